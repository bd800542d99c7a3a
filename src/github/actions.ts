/**
 * Speaking GitHub Actions: a Markdown job summary, `::error` annotations on
 * the failing models' files, step outputs, and log groups. The builders are
 * pure; writeGithubFiles() appends to the files GitHub names in the env.
 */

import { randomBytes } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { isFailedStatus } from '../audit/tables.js';

export interface SummaryNode {
  uniqueId: string;
  name: string;
  resourceType: string;
  status: string;
  seconds: number | null;
  message: string | null;
  /** Path of the node's file relative to the repository root, for annotations. */
  file: string | null;
}

export interface RunSummary {
  product: string;
  target: string;
  command: string;
  selection: string;
  status: string;
  exitCode: number;
  invocationId: string;
  counts: Record<string, number>;
  nodes: SummaryNode[];
  auditRows: number;
  auditLocation: string | null;
  auditError: string | null;
}

const SLOWEST = 10;
const MESSAGE_CHARS = 1000;

/** GitHub's escaping for workflow command data. */
export function escapeData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** GitHub's escaping for workflow command properties. */
export function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

function trimmed(text: string | null, max = MESSAGE_CHARS): string {
  const value = (text ?? '').trim();
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

export function failedNodes(summary: RunSummary): SummaryNode[] {
  return summary.nodes.filter((node) => isFailedStatus(node.status));
}

function cellText(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\s+/g, ' ');
}

export function summaryMarkdown(summary: RunSummary): string {
  const icon = summary.status === 'success' ? '✅' : summary.status === 'failed' ? '❌' : '⚠️';
  const lines = [
    `## ${icon} dbt ${summary.command}: ${summary.product} on ${summary.target} (${summary.status})`,
    '',
    `Invocation \`${summary.invocationId}\`, exit code ${summary.exitCode}${summary.selection ? `, selection \`${summary.selection}\`` : ''}.`,
    '',
    '| status | nodes |',
    '|---|---:|',
    ...Object.entries(summary.counts)
      .filter(([, count]) => count > 0)
      .map(([status, count]) => `| ${status} | ${count} |`),
    '',
  ];
  const failed = failedNodes(summary);
  if (failed.length > 0) {
    lines.push('### Failed nodes', '');
    for (const node of failed) {
      lines.push(`- **${node.resourceType} ${node.name}** (${node.status})${node.file ? ` in \`${node.file}\`` : ''}`);
      lines.push(
        '',
        '  ```',
        ...trimmed(node.message)
          .split('\n')
          .map((line) => `  ${line}`),
        '  ```',
        '',
      );
    }
  }
  const slowest = [...summary.nodes]
    .filter((node) => node.seconds !== null)
    .sort((a, b) => (b.seconds ?? 0) - (a.seconds ?? 0))
    .slice(0, SLOWEST);
  if (slowest.length > 0) {
    lines.push('### Slowest nodes', '', '| node | status | seconds |', '|---|---|---:|');
    for (const node of slowest) {
      lines.push(
        `| ${cellText(`${node.resourceType} ${node.name}`)} | ${node.status} | ${(node.seconds ?? 0).toFixed(2)} |`,
      );
    }
    lines.push('');
  }
  if (summary.auditError) lines.push(`> ⚠️ The audit log was not written: ${cellText(summary.auditError)}`, '');
  else if (summary.auditLocation)
    lines.push(`Audit: ${summary.auditRows} rows written to ${summary.auditLocation}.`, '');
  return `${lines.join('\n')}\n`;
}

/** One `::error` command per failed node, pointing at its file when known. */
export function annotations(summary: RunSummary): string[] {
  return failedNodes(summary).map((node) => {
    const properties = [
      ...(node.file ? [`file=${escapeProperty(node.file)}`] : []),
      `title=${escapeProperty(`dbt ${node.resourceType} ${node.name} ${node.status}`)}`,
    ];
    return `::error ${properties.join(',')}::${escapeData(trimmed(node.message) || `${node.name} ${node.status}`)}`;
  });
}

/** The step outputs dbt-run writes under GitHub Actions, and what each holds (action.yml lists them). */
export const OUTPUT_DESCRIPTIONS = {
  status: "the run's status: success, failed, error, interrupted",
  invocation_id: "dbt's invocation id of the run",
  failed: 'unique ids of the nodes that failed, comma separated',
  audit_rows: 'rows written to the audit log',
} as const;

export function outputs(summary: RunSummary): Record<keyof typeof OUTPUT_DESCRIPTIONS, string> {
  return {
    status: summary.status,
    invocation_id: summary.invocationId,
    failed: failedNodes(summary)
      .map((node) => node.uniqueId)
      .join(','),
    audit_rows: String(summary.auditRows),
  };
}

/** GITHUB_OUTPUT lines; every value uses the delimiter form, safe for any text. */
export function outputLines(
  values: Record<string, string>,
  delimiter = `ghadelimiter_${randomBytes(8).toString('hex')}`,
): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}<<${delimiter}\n${value}\n${delimiter}\n`)
    .join('');
}

export function isGithubActions(env: NodeJS.ProcessEnv): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/** Appends the summary and outputs to the files GitHub gives the step. */
export async function writeGithubFiles(env: NodeJS.ProcessEnv, summary: RunSummary): Promise<void> {
  if (env.GITHUB_STEP_SUMMARY) await appendFile(env.GITHUB_STEP_SUMMARY, summaryMarkdown(summary));
  if (env.GITHUB_OUTPUT) await appendFile(env.GITHUB_OUTPUT, outputLines(outputs(summary)));
}
