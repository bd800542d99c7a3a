/**
 * Speaking GitHub Actions: a Markdown job summary, `::error` annotations on
 * the failing models' files, step outputs, and log groups. The builders are
 * pure; writeGithubFiles() appends to the files GitHub names in the env.
 */

import { randomBytes } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { isFailedStatus } from '../audit/tables.js';

/** A node named in a summary (what a failure skipped). */
export interface SummaryNodeRef {
  uniqueId: string;
  name: string;
  resourceType: string;
}

export interface SummaryNode {
  uniqueId: string;
  name: string;
  resourceType: string;
  status: string;
  seconds: number | null;
  message: string | null;
  /** Path of the node's file relative to the repository root, for annotations. */
  file: string | null;
  /** The line of `file` a failure points at (where a YAML file declares a test; 1 for a SQL file). */
  line?: number | null | undefined;
  /** A failure's compiled SQL, relative to the project. */
  compiledPath?: string | null | undefined;
  /** A failed test's `select` of its stored failing rows. */
  failingRowsQuery?: string | null | undefined;
  /** What dbt skipped because this node failed. */
  skipped?: readonly SummaryNodeRef[] | undefined;
}

export interface RunSummary {
  product: string;
  target: string;
  command: string;
  selection: string;
  status: string;
  exitCode: number;
  invocationId: string;
  /** Nodes by status; on-run-start/end hooks in `hooks`. */
  counts: Record<string, number>;
  hooks?: Record<string, number> | undefined;
  nodes: SummaryNode[];
  /** Skipped nodes no failure of the run explains. */
  skippedUnexplained?: readonly SummaryNodeRef[] | undefined;
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

const SHOWN_SKIPPED = 20;

function refText(node: SummaryNodeRef): string {
  return `${node.resourceType} ${node.name}`;
}

/** What a person acts on beside dbt's message: the compiled SQL, the failing rows, what it skipped. */
function actionLines(node: SummaryNode): string[] {
  const skipped = node.skipped ?? [];
  const shown = skipped.slice(0, SHOWN_SKIPPED).map(refText).join(', ');
  const more = skipped.length > SHOWN_SKIPPED ? ` and ${skipped.length - SHOWN_SKIPPED} more` : '';
  return [
    ...(node.compiledPath ? [`compiled SQL: ${node.compiledPath}`] : []),
    ...(node.failingRowsQuery ? [`failing rows: ${node.failingRowsQuery}`] : []),
    ...(skipped.length ? [`skipped because of it (${skipped.length}): ${shown}${more}`] : []),
  ];
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
  const hooks = Object.entries(summary.hooks ?? {}).filter(([, count]) => count > 0);
  if (hooks.length > 0) {
    lines.push(
      `On-run-start/end hooks (not counted as nodes): ${hooks.map(([status, count]) => `${count} ${status}`).join(', ')}.`,
      '',
    );
  }
  const failed = failedNodes(summary);
  if (failed.length > 0) {
    lines.push('### Failed nodes', '');
    for (const node of failed) {
      const where = node.file ? `${node.file}${node.line && node.line > 1 ? `:${node.line}` : ''}` : null;
      lines.push(`- **${node.resourceType} ${node.name}** (${node.status})${where ? ` in \`${where}\`` : ''}`);
      lines.push(
        '',
        '  ```',
        ...trimmed(node.message)
          .split('\n')
          .map((line) => `  ${line}`),
        '  ```',
        '',
      );
      const compiled = node.compiledPath ? [`  Compiled SQL: \`${node.compiledPath}\``] : [];
      const rows = node.failingRowsQuery ? [`  Failing rows: \`${cellText(node.failingRowsQuery)}\``] : [];
      if (compiled.length || rows.length) lines.push(...compiled, ...rows, '');
    }
  }
  // Each skipped node, with the failure that skipped it: a skip is a consequence, named.
  const skippedBy = failed.flatMap((node) => (node.skipped ?? []).map((skipped) => ({ skipped, by: node })));
  const unexplained = summary.skippedUnexplained ?? [];
  if (skippedBy.length > 0 || unexplained.length > 0) {
    lines.push('### Skipped nodes', '', '| node | skipped because of |', '|---|---|');
    for (const { skipped, by } of skippedBy) {
      lines.push(`| ${cellText(refText(skipped))} | ${cellText(`${refText(by)} (${by.status})`)} |`);
    }
    for (const skipped of unexplained) lines.push(`| ${cellText(refText(skipped))} | no failure of this run |`);
    lines.push('');
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
  else if (summary.auditLocation && summary.auditRows === 0)
    lines.push(`Audit: the invocation row written to ${summary.auditLocation} (no node ran).`, '');
  else if (summary.auditLocation)
    lines.push(`Audit: ${summary.auditRows} rows written to ${summary.auditLocation}, with the invocation row.`, '');
  return `${lines.join('\n')}\n`;
}

/**
 * One `::error` command per failed node, at its file and line when known
 * (see SummaryNode.line), with what to act on after dbt's message.
 */
export function annotations(summary: RunSummary): string[] {
  return failedNodes(summary).map((node) => {
    const properties = [
      ...(node.file ? [`file=${escapeProperty(node.file)}`] : []),
      ...(node.file && node.line ? [`line=${node.line}`] : []),
      `title=${escapeProperty(`dbt ${node.resourceType} ${node.name} ${node.status}`)}`,
    ];
    const message = [trimmed(node.message) || `${node.name} ${node.status}`, ...actionLines(node)].join('\n');
    return `::error ${properties.join(',')}::${escapeData(message)}`;
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
