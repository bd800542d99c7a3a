/**
 * dbt's freshness results (target/sources.json, written by `dbt source
 * freshness`), read as the run results the audit is built from: one result
 * per checked source, its message saying when the source was last loaded and
 * against which limits. A source whose check could not run (a runtime error)
 * is left out of sources.json by dbt 1.11; its result comes from dbt's events
 * (collect.ts), as for any run that left no artifact.
 */
import { z } from 'zod';
import {
  ArtifactError,
  type ArtifactReading,
  type RunResults,
  readArtifact,
  resultsMetadata,
  schemaVersion,
  timing,
} from './artifacts.js';

/** sources.json v3 is dbt 1.5 and later; the kit runs dbt 1.8 and later. */
const OLDEST_SOURCES_VERSION = 3;

const period = z.object({ count: z.number().nullish(), period: z.string().nullish() });

const freshnessResult = z.object({
  unique_id: z.string(),
  status: z.string(),
  max_loaded_at: z.string().nullish(),
  max_loaded_at_time_ago_in_s: z.number().nullish(),
  criteria: z.object({ warn_after: period.nullish(), error_after: period.nullish() }).nullish(),
  /** Older dbt versions list a check that could not run, with its error. */
  error: z.string().nullish(),
  timing: z.array(timing).default([]),
  thread_id: z.string().nullish(),
  execution_time: z.number().nullish(),
  adapter_response: z.record(z.string(), z.unknown()).nullish(),
});

const sourcesResults = z.looseObject({
  metadata: resultsMetadata,
  results: z.array(freshnessResult),
  elapsed_time: z.number().nullish(),
});

export type FreshnessResult = z.infer<typeof freshnessResult>;
export type SourcesResults = z.infer<typeof sourcesResults>;

const SOURCES_READING: ArtifactReading = {
  what: 'sources.json',
  document: sourcesResults,
  entries: { results: { entry: freshnessResult, container: 'array' } },
};

export async function readSourcesResults(path: string): Promise<SourcesResults> {
  const parsed = (await readArtifact(path, SOURCES_READING)) as SourcesResults;
  const version = schemaVersion(parsed.metadata.dbt_schema_version) ?? 0;
  if (version < OLDEST_SOURCES_VERSION) {
    throw new ArtifactError(
      `sources.json at ${path} has schema ${parsed.metadata.dbt_schema_version}; dbt-run reads v${OLDEST_SOURCES_VERSION} and later (dbt 1.5 and later)`,
      { path },
    );
  }
  return parsed;
}

/** "12 hours", "1 day": a freshness limit as dbt-product.yml's readers wrote it. */
function limitText(limit: z.infer<typeof period> | null | undefined): string | null {
  if (!limit?.count || !limit.period) return null;
  return `${limit.count} ${limit.period}${limit.count === 1 ? '' : 's'}`;
}

/** An age in the unit a person reads it in: "45 s", "12 min", "36.2 h", "3.5 days". */
export function ageText(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

/**
 * What the audit row's message says of a check (pure): when the source was
 * last loaded, how long ago, and the limits it was held to:
 * `last loaded 2026-12-01 04:00:00 UTC, 36.2 h ago (warn after 12 hours, error after 24 hours)`.
 */
export function freshnessMessage(result: FreshnessResult): string | null {
  if (result.error) return result.error;
  const limits = [
    limitText(result.criteria?.warn_after) && `warn after ${limitText(result.criteria?.warn_after)}`,
    limitText(result.criteria?.error_after) && `error after ${limitText(result.criteria?.error_after)}`,
  ].filter(Boolean);
  const loaded = result.max_loaded_at ? /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})/.exec(result.max_loaded_at) : null;
  const when = loaded ? `last loaded ${loaded[1]} ${loaded[2]} UTC` : 'never loaded (no rows)';
  const age =
    loaded && typeof result.max_loaded_at_time_ago_in_s === 'number'
      ? `, ${ageText(result.max_loaded_at_time_ago_in_s)} ago`
      : '';
  return `${when}${age}${limits.length ? ` (${limits.join(', ')})` : ''}`;
}

/** sources.json as run results (pure): what the audit rows, alerts and reports read for every command. */
export function freshnessRunResults(sources: SourcesResults): RunResults {
  return {
    metadata: sources.metadata,
    elapsed_time: sources.elapsed_time,
    results: sources.results.map((result) => ({
      unique_id: result.unique_id,
      status: result.status,
      timing: result.timing,
      thread_id: result.thread_id,
      execution_time: result.execution_time,
      adapter_response: result.adapter_response,
      message: freshnessMessage(result),
      failures: null,
      relation_name: null,
    })),
  };
}
