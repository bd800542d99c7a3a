/** The run's summary for people and GitHub (pure). */
import path from 'node:path';
import type { AuditRow } from '../audit/columns.js';
import type { RunSummary } from '../github/actions.js';
import type { FailureReport } from './failures.js';

export function statusCounts(rows: readonly { status: string | null }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of rows) counts[status ?? 'unknown'] = (counts[status ?? 'unknown'] ?? 0) + 1;
  return counts;
}

/** dbt's on-run-start/end hooks: run_results.json lists each as an `operation`, beside the nodes. */
export const isHook = (row: { resource_type: string | null }) => row.resource_type === 'operation';

/** Nodes and hooks by status, apart: "success=12" counted the on-run-end hook as a node. */
export function nodeAndHookCounts(rows: readonly AuditRow[]): {
  counts: Record<string, number>;
  hooks: Record<string, number>;
} {
  return { counts: statusCounts(rows.filter((row) => !isHook(row))), hooks: statusCounts(rows.filter(isHook)) };
}

/** A project-relative file as GitHub names it: relative to the repository root, with slashes. */
function repositoryPath(file: string, files: { projectDir: string; repositoryRoot: string }): string {
  return path.relative(files.repositoryRoot, path.join(files.projectDir, file)).split(path.sep).join('/');
}

/**
 * The summary of the nodes as the audit recorded them (one row per result),
 * with each node's file (`nodeFiles`: original_file_path by unique_id, from
 * the manifest) for annotations, and each failure's detail (line, compiled
 * SQL, failing rows, what it skipped).
 */
export function runSummary(
  base: Omit<RunSummary, 'nodes' | 'counts' | 'hooks' | 'skippedUnexplained'>,
  rows: readonly AuditRow[],
  nodeFiles: ReadonlyMap<string, string>,
  files: { projectDir: string; repositoryRoot: string },
  failures: FailureReport = { failures: [], skippedUnexplained: [] },
): RunSummary {
  const details = new Map(failures.failures.map((failure) => [failure.uniqueId, failure]));
  return {
    ...base,
    ...nodeAndHookCounts(rows),
    skippedUnexplained: failures.skippedUnexplained,
    nodes: rows.map((row) => {
      const uniqueId = row.unique_id ?? '';
      const nodeFile = nodeFiles.get(uniqueId);
      const detail = details.get(uniqueId);
      return {
        uniqueId,
        name: row.name ?? uniqueId,
        resourceType: row.resource_type ?? 'node',
        status: row.status ?? 'unknown',
        seconds: row.execution_time,
        message: row.message,
        file: nodeFile ? repositoryPath(nodeFile, files) : null,
        line: detail?.line ?? null,
        compiledPath: detail?.compiledPath ?? null,
        failingRowsQuery: detail?.failingRowsQuery ?? null,
        skipped: detail?.skipped ?? [],
      };
    }),
  };
}
