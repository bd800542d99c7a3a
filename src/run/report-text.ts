/**
 * The lines a run ends with, for people (pure): each failure with what to
 * act on, the audit line and the final line. Counts say what they count:
 * nodes apart from dbt's on-run-start/end hooks (run_results.json lists a
 * hook as an `operation`), rows apart from the invocation row.
 */
import type { FailureDetail, FailureReport, NodeRef } from './failures.js';

/** Statuses in the order a reader scans them: what went well, then what did not. */
const STATUS_ORDER = ['success', 'pass', 'no-op', 'warn', 'error', 'runtime error', 'fail', 'skipped'];

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, count) => sum + count, 0);

function byStatus(counts: Record<string, number>): string {
  const rank = (status: string) => (STATUS_ORDER.includes(status) ? STATUS_ORDER.indexOf(status) : STATUS_ORDER.length);
  return Object.entries(counts)
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
}

/** "29 nodes: 12 success, 14 pass, 1 warn, 1 error, 1 fail, 1 skipped; 1 hook: 1 success", or "no nodes". */
export function countsText(nodes: Record<string, number>, hooks: Record<string, number>): string {
  const nodeCount = total(nodes);
  const hookCount = total(hooks);
  const parts = [
    nodeCount ? `${plural(nodeCount, 'node')}: ${byStatus(nodes)}` : 'no nodes',
    hookCount ? `${plural(hookCount, 'hook')}: ${byStatus(hooks)}` : '',
  ];
  return parts.filter(Boolean).join('; ');
}

/** Where the audit went, and what: node and hook rows, and the invocation row a run always has. */
export function auditText(audit: {
  rows: number;
  location: string | null;
  error: string | null;
  nodes: Record<string, number>;
  hooks: Record<string, number>;
}): string | undefined {
  if (audit.error) return `audit: NOT written: ${audit.error}`;
  if (!audit.location) return undefined;
  if (audit.rows === 0) return `audit: the invocation row written to ${audit.location} (no node ran)`;
  const hooks = total(audit.hooks);
  const what = `${plural(total(audit.nodes), 'node')}${hooks ? `, ${plural(hooks, 'hook')}` : ''}`;
  return `audit: ${plural(audit.rows, 'row')} written to ${audit.location} (${what}) with the invocation row`;
}

const SHOWN_SKIPPED = 10;

function nodeNames(nodes: readonly NodeRef[]): string {
  const shown = nodes.slice(0, SHOWN_SKIPPED).map((node) => `${node.resourceType} ${node.name}`);
  const more = nodes.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** Where a failure is: its file, with the line when it is not simply the file's start. */
export function fileText(failure: Pick<FailureDetail, 'file' | 'line'>): string | null {
  if (!failure.file) return null;
  return failure.line && failure.line > 1 ? `${failure.file}:${failure.line}` : failure.file;
}

/**
 * One failure as a block of lines: what failed and where, dbt's message, the
 * compiled SQL, the failing rows, and what it skipped.
 */
export function failureLines(failure: FailureDetail): string[] {
  const where = fileText(failure);
  const lines = [`✗ ${failure.status} ${failure.resourceType} ${failure.name}${where ? ` (${where})` : ''}`];
  for (const line of (failure.message ?? '').trimEnd().split('\n'))
    if (line.trim()) lines.push(`    ${line.trimEnd()}`);
  if (failure.compiledPath) lines.push(`    compiled SQL: ${failure.compiledPath}`);
  if (failure.resourceType === 'test') {
    lines.push(
      failure.failingRowsQuery
        ? `    failing rows: ${failure.failingRowsQuery}`
        : '    failing rows: not stored (the test has no store_failures); the compiled SQL selects them',
    );
  }
  if (failure.skipped.length > 0) {
    lines.push(`    skipped because of it (${failure.skipped.length}): ${nodeNames(failure.skipped)}`);
  }
  return lines;
}

/** Every failure's block, then the skipped nodes no failure explains. */
export function failureReportLines(report: FailureReport): string[] {
  const lines = report.failures.flatMap(failureLines);
  if (report.skippedUnexplained.length > 0) {
    lines.push(
      `- skipped, no failure of this run above them (${report.skippedUnexplained.length}): ${nodeNames(report.skippedUnexplained)}`,
    );
  }
  return lines;
}

/** "dbt-run: failed (exit 1) in 19.6s; 29 nodes: ...; invocation <id>" */
export function finalText(report: {
  status: string;
  exitCode: number;
  elapsedSeconds: number;
  counts: Record<string, number>;
  hooks: Record<string, number>;
  invocationId: string;
}): string {
  return `dbt-run: ${report.status} (exit ${report.exitCode}) in ${report.elapsedSeconds.toFixed(1)}s; ${countsText(report.counts, report.hooks)}; invocation ${report.invocationId}`;
}
