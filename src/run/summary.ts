/** The run's summary for people and GitHub (pure). */
import path from 'node:path';
import type { Manifest, RunResults } from '../dbt/artifacts.js';
import type { RunSummary } from '../github/actions.js';

export function statusCounts(runResults: RunResults | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of runResults?.results ?? []) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

export function runSummary(
  base: Omit<RunSummary, 'nodes' | 'counts'>,
  runResults: RunResults | undefined,
  manifest: Manifest | undefined,
  files: { projectDir: string; repositoryRoot: string },
): RunSummary {
  return {
    ...base,
    counts: statusCounts(runResults),
    nodes: (runResults?.results ?? []).map((result) => {
      const node = manifest?.nodes[result.unique_id];
      const file = node?.original_file_path ? path.join(files.projectDir, node.original_file_path) : null;
      return {
        uniqueId: result.unique_id,
        name: node?.name ?? result.unique_id.split('.').at(-1) ?? result.unique_id,
        resourceType: node?.resource_type ?? result.unique_id.split('.')[0] ?? 'node',
        status: result.status,
        seconds: result.execution_time ?? null,
        message: result.message ?? null,
        file: file ? path.relative(files.repositoryRoot, file).split(path.sep).join('/') : null,
      };
    }),
  };
}
