/** The run's summary for people and GitHub (pure). */
import path from 'node:path';
import type { AuditRow } from '../audit/columns.js';
import type { RunSummary } from '../github/actions.js';

export function statusCounts(rows: readonly { status: string | null }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of rows) counts[status ?? 'unknown'] = (counts[status ?? 'unknown'] ?? 0) + 1;
  return counts;
}

/**
 * The summary of the nodes as the audit recorded them (one row per result),
 * with each node's file (`nodeFiles`: original_file_path by unique_id, from
 * the manifest) for annotations.
 */
export function runSummary(
  base: Omit<RunSummary, 'nodes' | 'counts'>,
  rows: readonly AuditRow[],
  nodeFiles: ReadonlyMap<string, string>,
  files: { projectDir: string; repositoryRoot: string },
): RunSummary {
  return {
    ...base,
    counts: statusCounts(rows),
    nodes: rows.map((row) => {
      const uniqueId = row.unique_id ?? '';
      const nodeFile = nodeFiles.get(uniqueId);
      const file = nodeFile ? path.join(files.projectDir, nodeFile) : null;
      return {
        uniqueId,
        name: row.name ?? uniqueId,
        resourceType: row.resource_type ?? 'node',
        status: row.status ?? 'unknown',
        seconds: row.execution_time,
        message: row.message,
        file: file ? path.relative(files.repositoryRoot, file).split(path.sep).join('/') : null,
      };
    }),
  };
}
