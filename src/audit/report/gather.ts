/**
 * What the report shows, read through a sink with `ask()` (the questions of
 * `dbt-run audit`, and the report's own two in questions.ts): one query per
 * question, one after another (a DuckDB file takes one reader at a time).
 * Nothing here writes; a missing table stops it with ask()'s error, before
 * any file is made.
 */
import { type AskOptions, ask } from '../queries/ask.js';
import type { QueryRequest } from '../queries/plan.js';
import {
  FAILURES,
  type FailuresRow,
  FLAKY,
  type FlakyRow,
  FRESHNESS,
  type FreshnessRow,
  RUNS,
  type RunsRow,
  SLOWEST,
  type SlowestRow,
} from '../queries/questions.js';
import type { AuditWindow } from '../queries/window.js';
import { DURATION_TREND, type DurationTrendRow, REPORT_TOP, ROWS_AFFECTED, type RowsAffectedRow } from './questions.js';

/** Everything the page is made from (plain data: the renderer is pure). */
export interface ReportData {
  /** When it was generated (ISO 8601 UTC). */
  generatedAt: string;
  window: AuditWindow;
  /** What was read: the sink's kind and the audit tables (no connection details). */
  source: { kind: string; log: string; invocations: string };
  filters: { product?: string | undefined; env?: string | undefined };
  /** "no runs recorded in ... since ...": the empty page's message. */
  nothing: string;
  runs: RunsRow[];
  failures: FailuresRow[];
  slowest: SlowestRow[];
  trend: DurationTrendRow[];
  flaky: FlakyRow[];
  freshness: FreshnessRow[];
  rowsAffected: RowsAffectedRow[];
}

export interface GatherOptions extends Omit<AskOptions, 'request'> {
  request: QueryRequest;
}

/** Every question the report needs, asked in turn. */
export async function gatherReport(options: GatherOptions): Promise<ReportData> {
  const { reader, tables } = options;
  const request = { ...options.request, top: options.request.top ?? REPORT_TOP };
  const asked = { ...options, request };
  // Runs first: the invocation table is the one a first run creates, so its absence is named first.
  const runs = await ask(RUNS, asked);
  const failures = await ask(FAILURES, asked);
  const slowest = await ask(SLOWEST, asked);
  const trend = await ask(DURATION_TREND, asked);
  const flaky = await ask(FLAKY, asked);
  const freshness = await ask(FRESHNESS, asked);
  const rowsAffected = await ask(ROWS_AFFECTED, asked);
  const name = (ref: (typeof tables)['log']) => `${ref.schema}.${ref.table}`;
  return {
    generatedAt: request.now.toISOString(),
    window: runs.window,
    source: { kind: reader.kind, log: name(tables.log), invocations: name(tables.invocations) },
    filters: { product: request.product, env: request.env },
    nothing: runs.nothing,
    runs: runs.rows,
    failures: failures.rows,
    slowest: slowest.rows,
    trend: trend.rows,
    flaky: flaky.rows,
    freshness: freshness.rows,
    rowsAffected: rowsAffected.rows,
  };
}

/** No run and no node row in the window: the report is a page that says so. */
export function isEmptyReport(data: ReportData): boolean {
  return (
    data.runs.length === 0 &&
    data.failures.length === 0 &&
    data.trend.length === 0 &&
    data.flaky.length === 0 &&
    data.freshness.length === 0 &&
    data.rowsAffected.length === 0
  );
}
