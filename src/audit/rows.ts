/**
 * Pure builders of audit rows from dbt's artifacts: one node row per entry of
 * run_results.json, enriched from the manifest, and one invocation row. The
 * runner writes them after dbt exits; the JSONL copy and every sink get the
 * same rows.
 */
import type { Manifest, RunResult, RunResults } from '../dbt/artifacts.js';
import type { AuditRow, InvocationRow } from './columns.js';

/** Where a run came from: GitHub Actions, Airflow, or a person's machine. */
export interface RunOrigin {
  run_source: 'github' | 'airflow' | 'local';
  run_id: string | null;
  run_url: string | null;
  repository: string | null;
  git_sha: string | null;
  git_ref: string | null;
  actor: string | null;
}

/** Reads the run's origin from the environment; `local` supplies what git and the OS know. */
export function runOrigin(
  env: NodeJS.ProcessEnv,
  local: { gitSha?: string | null; gitRef?: string | null; user?: string | null } = {},
): RunOrigin {
  const value = (name: string) => env[name] || null;
  if (env.GITHUB_ACTIONS === 'true') {
    const server = env.GITHUB_SERVER_URL || 'https://github.com';
    const repository = value('GITHUB_REPOSITORY');
    const runId = value('GITHUB_RUN_ID');
    return {
      run_source: 'github',
      run_id: runId,
      run_url: repository && runId ? `${server}/${repository}/actions/runs/${runId}` : null,
      repository,
      git_sha: value('GITHUB_SHA'),
      git_ref: value('GITHUB_REF_NAME') ?? value('GITHUB_REF'),
      actor: value('GITHUB_ACTOR'),
    };
  }
  if (env.AIRFLOW_CTX_DAG_ID) {
    return {
      run_source: 'airflow',
      run_id: value('AIRFLOW_CTX_DAG_RUN_ID'),
      run_url: null,
      repository: null,
      git_sha: local.gitSha ?? null,
      git_ref: local.gitRef ?? null,
      actor: [env.AIRFLOW_CTX_DAG_ID, env.AIRFLOW_CTX_TASK_ID].filter(Boolean).join('.') || null,
    };
  }
  return {
    run_source: 'local',
    run_id: null,
    run_url: null,
    repository: null,
    git_sha: local.gitSha ?? null,
    git_ref: local.gitRef ?? null,
    actor: local.user ?? null,
  };
}

/** The audit tables' timestamp text: UTC, 'YYYY-MM-DD HH:MM:SS.ffffff', as the hook writes it. */
export function auditTimestamp(value: string | Date | null | undefined): string | null {
  if (value == null || value === '') return null;
  if (value instanceof Date) return `${value.toISOString().replace('T', ' ').replace('Z', '')}000`;
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]00:?00)?$/.exec(value);
  if (!match) return null;
  return `${match[1]} ${match[2]}${(match[3] ?? '.').padEnd(7, '0').slice(0, 7)}`;
}

function seconds(timing: RunResult['timing'][number] | undefined): number | null {
  if (!timing?.started_at || !timing.completed_at) return null;
  const elapsed = (Date.parse(timing.completed_at) - Date.parse(timing.started_at)) / 1000;
  return Number.isFinite(elapsed) ? elapsed : null;
}

export interface InvocationContext {
  productName: string;
  targetName: string;
  command: string;
  selection: string;
  dbtVersion: string | null;
  startedAt: Date;
  completedAt: Date;
  origin: RunOrigin;
  recordedAt: Date;
}

/** One audit row per entry of run_results.json, enriched from the manifest when there is one. */
export function auditRows(
  runResults: RunResults,
  manifest: Manifest | undefined,
  context: InvocationContext,
): AuditRow[] {
  const invocationId = runResults.metadata.invocation_id;
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
      model_execution_date: auditTimestamp(context.startedAt)?.slice(0, 10) ?? null,
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
      invocation_started_at: auditTimestamp(context.startedAt),
      recorded_by: 'runner',
      recorded_at: auditTimestamp(context.recordedAt),
      tags: node ? JSON.stringify(node.tags) : null,
      meta: node ? JSON.stringify({ ...node.meta, ...(node.config.meta ?? {}) }) : null,
    };
  });
}

export type InvocationStatus = 'success' | 'failed' | 'error' | 'interrupted';

/** Counts of run results by status, as the invocation row stores them. */
export function countStatuses(results: readonly { status: string }[]) {
  const counts = { success: 0, error: 0, skipped: 0, pass: 0, fail: 0, warn: 0, other: 0 };
  for (const { status } of results) {
    if (status === 'runtime error') counts.error++;
    else if (status in counts && status !== 'other') counts[status as keyof typeof counts]++;
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
  const counts = countStatuses(runResults?.results ?? []);
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
    nodes_total: runResults?.results.length ?? 0,
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
    git_ref: context.origin.git_ref,
    actor: context.origin.actor,
    recorded_at: auditTimestamp(context.recordedAt),
  };
}
