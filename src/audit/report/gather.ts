/**
 * What the report shows, read through a sink with `ask()` (the questions of
 * `dbt-run audit`, and the report's own two in questions.ts): one query per
 * question, all at once (each read is its own connection, DuckDB read-only
 * instance or Data API statement, so the warehouse works on them together
 * and the Data API's polling waits overlap). Nothing here writes; a missing
 * table stops it with ask()'s error, before any file is made.
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
  const settled = await Promise.allSettled([
    ask(RUNS, asked),
    ask(FAILURES, asked),
    ask(SLOWEST, asked),
    ask(DURATION_TREND, asked),
    ask(FLAKY, asked),
    ask(FRESHNESS, asked),
    ask(ROWS_AFFECTED, asked),
  ] as const);
  // The first failure in this order, whichever came first: runs' table is the one a first run creates.
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  const value = <T>(result: PromiseSettledResult<T>) => (result as PromiseFulfilledResult<T>).value;
  const [runs, failures, slowest, trend, flaky, freshness, rowsAffected] = [
    value(settled[0]),
    value(settled[1]),
    value(settled[2]),
    value(settled[3]),
    value(settled[4]),
    value(settled[5]),
    value(settled[6]),
  ];
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
