/**
 * Pure builders of audit rows from dbt's artifacts: one node row per entry of
 * run_results.json, enriched from the manifest, and one invocation row. The
 * runner writes them after dbt exits; the JSONL copy and every sink get the
 * same rows.
 */
import type { Manifest, RunResult, RunResults } from '../dbt/artifacts.js';
import type { AuditRow, InvocationRow } from './columns.js';
import type { RunOrigin } from './origin.js';

/** The audit tables' timestamp text: UTC, 'YYYY-MM-DD HH:MM:SS.ffffff', as the hook writes it. */
export function auditTimestamp(value: string | Date | null | undefined): string | null {
  if (value == null || value === '') return null;
  if (value instanceof Date) return `${value.toISOString().replace('T', ' ').replace('Z', '')}000`;
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]00:?00)?$/.exec(value);
  if (!match) return null;
  return `${match[1]} ${match[2]}${(match[3] ?? '.').padEnd(7, '0').slice(0, 7)}`;
}

/**
 * JSON as the hook's tojson(value, sort_keys=true) writes it (Python's
 * json.dumps): keys sorted, `", "` and `": "` between items, every character
 * outside printable ASCII escaped. tags and meta are stored this way by both
 * writers, so the same node gives the same text.
 */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value as object).sort();
    return `{${keys.map((key) => `${pythonJson(key)}: ${pythonJson((value as Record<string, unknown>)[key])}`).join(', ')}}`;
  }
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  return JSON.stringify(value);
}

/** Microseconds since the epoch of an ISO timestamp, keeping the digits Date drops (dbt writes six). */
function epochMicros(iso: string): number {
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  const whole = Date.parse(iso.replace(/\.\d+/, ''));
  return whole * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6));
}

/**
 * Seconds between a timing's start and end to the microsecond, computed as
 * Python's timedelta.total_seconds() does (whole microseconds / 10^6), so the
 * hook and the runner store the same float.
 */
function seconds(timing: RunResult['timing'][number] | undefined): number | null {
  if (!timing?.started_at || !timing.completed_at) return null;
  const elapsed = (epochMicros(timing.completed_at) - epochMicros(timing.started_at)) / 1e6;
  return Number.isFinite(elapsed) ? elapsed : null;
}

export interface InvocationContext {
  productName: string;
  targetName: string;
  command: string;
  selection: string;
  dbtVersion: string | null;
  /** When dbt-run started dbt (the invocation row's started_at). */
  startedAt: Date;
  completedAt: Date;
  origin: RunOrigin;
  recordedAt: Date;
}

/**
 * When the invocation started by dbt's own clock, as the node rows record it:
 * run_results.json's invocation_started_at (dbt 1.9+), else when dbt-run
 * started dbt. The hook records dbt's run_started_at, taken microseconds apart.
 */
function invocationStart(runResults: RunResults, context: InvocationContext): string | null {
  return auditTimestamp(runResults.metadata.invocation_started_at) ?? auditTimestamp(context.startedAt);
}

/** One audit row per entry of run_results.json, enriched from the manifest when there is one. */
export function auditRows(
  runResults: RunResults,
  manifest: Manifest | undefined,
  context: InvocationContext,
): AuditRow[] {
  const invocationId = runResults.metadata.invocation_id;
  const invocationStartedAt = invocationStart(runResults, context);
  return runResults.results.map((result) => {
    const node = manifest?.nodes[result.unique_id];
    const compile = result.timing.find((timing) => timing.name === 'compile');
    const execute = result.timing.find((timing) => timing.name === 'execute');
    const rowsAffected = result.adapter_response?.rows_affected;
    const [, packageName, ...rest] = result.unique_id.split('.');
    return {
      load_id: `${invocationId}.${result.unique_id}`,
      invocation_id: invocationId,
      database_name: node?.database ?? null,
      schema_name: node?.schema ?? null,
      name: node?.name ?? rest[0] ?? result.unique_id,
      resource_type: node?.resource_type ?? result.unique_id.split('.')[0] ?? null,
      status: result.status,
      execution_time: result.execution_time ?? null,
      rows_affected: typeof rowsAffected === 'number' ? rowsAffected : 0,
      model_execution_date: invocationStartedAt?.slice(0, 10) ?? null,
      product_name: context.productName,
      target_name: context.targetName,
      unique_id: result.unique_id,
      package_name: node?.package_name ?? packageName ?? null,
      materialization: node?.config.materialized ?? null,
      relation_name: result.relation_name ?? node?.relation_name ?? null,
      started_at: auditTimestamp(result.timing[0]?.started_at),
      completed_at: auditTimestamp(result.timing.at(-1)?.completed_at),
      compile_seconds: seconds(compile),
      execute_seconds: seconds(execute),
      message: result.message ?? null,
      failures: result.failures ?? null,
      thread_id: result.thread_id ?? null,
      dbt_version: context.dbtVersion,
      run_source: context.origin.run_source,
      run_url: context.origin.run_url,
      git_sha: context.origin.git_sha,
      invocation_started_at: invocationStartedAt,
      recorded_by: 'runner',
      recorded_at: auditTimestamp(context.recordedAt),
      tags: node ? pythonJson(node.tags) : null,
      // Config meta over the node's own, as the hook merges them.
      meta: node ? pythonJson({ ...node.meta, ...(node.config.meta ?? {}) }) : null,
    };
  });
}

export type InvocationStatus = 'success' | 'failed' | 'error' | 'interrupted';

/**
 * How the invocation row counts statuses: each of these into its nodes_<status> column, a
 * status counted as another (`runtime error` is an error) into that one's, any other into
 * nodes_other. The hook counts by the same rules (rendered into audit_columns.sql).
 */
export const STATUS_COUNTS = {
  counted: ['success', 'error', 'skipped', 'pass', 'fail', 'warn'],
  countedAs: { 'runtime error': 'error' },
} as const;

type CountedStatus = (typeof STATUS_COUNTS.counted)[number];

/** Counts of run results by status, as the invocation row stores them. */
export function countStatuses(results: readonly { status: string }[]) {
  const counts = { success: 0, error: 0, skipped: 0, pass: 0, fail: 0, warn: 0, other: 0 };
  const aliases: Readonly<Record<string, CountedStatus>> = STATUS_COUNTS.countedAs;
  for (const { status } of results) {
    const key = aliases[status] ?? status;
    if ((STATUS_COUNTS.counted as readonly string[]).includes(key)) counts[key as CountedStatus]++;
    else counts.other++;
  }
  return counts;
}

/** The invocation row; `runResults` is undefined when dbt died before writing it. */
export function invocationRow(
  invocationId: string,
  runResults: RunResults | undefined,
  context: InvocationContext,
  outcome: { status: InvocationStatus; exitCode: number; errorMessage: string | null },
): InvocationRow {
  // The on-run-start/end hooks are operations, not nodes: counted apart, as the console counts them.
  const nodes = (runResults?.results ?? []).filter((result) => !result.unique_id.startsWith('operation.'));
  const counts = countStatuses(nodes);
  return {
    invocation_id: invocationId,
    product_name: context.productName,
    target_name: context.targetName,
    command: context.command,
    selection: context.selection || null,
    dbt_version: context.dbtVersion,
    status: outcome.status,
    exit_code: outcome.exitCode,
    started_at: auditTimestamp(context.startedAt),
    completed_at: auditTimestamp(context.completedAt),
    elapsed_seconds: (context.completedAt.getTime() - context.startedAt.getTime()) / 1000,
    nodes_total: nodes.length,
    nodes_success: counts.success,
    nodes_error: counts.error,
    nodes_skipped: counts.skipped,
    nodes_pass: counts.pass,
    nodes_fail: counts.fail,
    nodes_warn: counts.warn,
    nodes_other: counts.other,
    error_message: outcome.errorMessage,
    run_source: context.origin.run_source,
    run_id: context.origin.run_id,
    run_url: context.origin.run_url,
    repository: context.origin.repository,
    git_sha: context.origin.git_sha,
    git_dirty: context.origin.git_dirty == null ? null : Number(context.origin.git_dirty),
    git_ref: context.origin.git_ref,
    actor: context.origin.actor,
    recorded_at: auditTimestamp(context.recordedAt),
  };
}
