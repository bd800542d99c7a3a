/**
 * The questions `dbt-run audit` answers, defined once: each one's SQL
 * (written once against placeholders, like the analyst views), its result
 * columns with their types, and what to say when nothing matched. The CLI
 * plans them per dialect with bound parameters (plan.ts); the README's "For
 * analysts" SQL is rendered from the same definitions (analystSql).
 */
import { FAILED_STATUSES } from '../tables.js';
import {
  FAILURES_COLUMNS,
  FLAKY_COLUMNS,
  FRESHNESS_COLUMNS,
  HISTORY_COLUMNS,
  type ResultColumn,
  type ResultType,
  RUNS_COLUMNS,
  SLOWEST_COLUMNS,
} from './result-columns.js';

export type { ResultColumn, ResultType } from './result-columns.js';

/** What a question's SQL refers to, spelled for one warehouse (bound parameters) or for the README. */
export interface QuerySources {
  /** The audit log and invocation tables, as FROM names them. */
  log: string;
  invocations: string;
  /** audit_latest_status: the view, or its definition inline where the view is missing. */
  latestStatus: string;
  /** Start of the window, and of the window before it (SQL timestamp expressions). */
  since: string;
  previousSince: string;
  /** `--product` / `--env` conditions on the scanned table (`\n  and product_name = ...`), or ''. */
  filters: string;
  /** The node `audit history` asks about (a text expression). */
  node: string;
  /** `--top`, a validated whole number. */
  top: number;
  /** A timestamp column as the result shows it, named `alias` (`<expression> as <alias>`). */
  time(expression: string, alias: string): string;
}

/** The table whose absence stops a question, and what its rows are called in "no ... recorded". */
export type QuestionTable = 'log' | 'invocations';

export interface QuestionDefinition<Columns extends readonly ResultColumn[] = readonly ResultColumn[]> {
  readonly name: string;
  readonly summary: string;
  /** The README's question, the heading of its ready SQL. */
  readonly question: string;
  readonly table: QuestionTable;
  /** Whether the SQL reads audit_latest_status (a view; inlined when missing). */
  readonly usesLatestStatus?: boolean;
  /** "no <this> recorded in ... since ...". */
  readonly nothing: string;
  readonly columns: Columns;
  sql(sources: QuerySources): string;
}

const failed = FAILED_STATUSES.map((status) => `'${status}'`).join(', ');

/** Nodes whose run time `audit slowest` ranks: what builds a relation, as dbt timed it. */
export const TIMED_RESOURCE_TYPES = ['model', 'seed', 'snapshot'] as const;
/** Nodes `audit flaky` follows. */
export const TESTED_RESOURCE_TYPES = ['test', 'unit_test'] as const;
const list = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

export const RUNS: QuestionDefinition<typeof RUNS_COLUMNS> = {
  name: 'runs',
  summary: 'recent invocations: status, duration, nodes, run link',
  question: 'Which runs happened lately, and how did they end?',
  table: 'invocations',
  nothing: 'runs',
  columns: RUNS_COLUMNS,
  sql: ({ invocations, since, filters, time }) => `select
    ${time('started_at', 'started_at')},
    invocation_id,
    product_name,
    target_name,
    command,
    status,
    exit_code,
    elapsed_seconds,
    nodes_total,
    coalesce(nodes_error, 0) + coalesce(nodes_fail, 0) as nodes_failed,
    nodes_skipped,
    run_url
from ${invocations} as invocation
where started_at >= ${since}${filters}
order by invocation.started_at desc, invocation_id`,
};

export const FAILURES: QuestionDefinition<typeof FAILURES_COLUMNS> = {
  name: 'failures',
  summary: 'nodes that failed: message, compiled SQL path, run link',
  question: 'What failed, and why?',
  table: 'log',
  nothing: 'failures',
  columns: FAILURES_COLUMNS,
  sql: ({ log, since, filters, time }) => `select
    ${time('invocation_started_at', 'started_at')},
    invocation_id,
    product_name,
    target_name,
    unique_id,
    resource_type,
    status,
    failures,
    message,
    run_url
from ${log}
where status in (${failed})
  and invocation_started_at >= ${since}${filters}
order by invocation_started_at desc, unique_id`,
};

/**
 * Median and 95th percentile per node in the window and the window before,
 * in one pass: a row belongs to one of the two, and the two are folded into
 * one row per node by a second grouping rather than a join (a join of the
 * grouped rows was planned as a nested loop on a freshly loaded Postgres
 * table, without statistics: 0.5 s of the 1.2 s it took on 100,000 rows).
 * percentile_cont runs on all three warehouses (Redshift asks that every
 * such call in a query sorts by the same column: it does).
 */
export const SLOWEST: QuestionDefinition<typeof SLOWEST_COLUMNS> = {
  name: 'slowest',
  summary: 'the slowest models: median and p95 run time, and the trend against the window before',
  question: 'Which models are slowest, and are they getting slower?',
  table: 'log',
  nothing: `successful ${TIMED_RESOURCE_TYPES.join(', ')} runs`,
  columns: SLOWEST_COLUMNS,
  sql: ({ log, since, previousSince, filters, top }) => `with timed as (
    select
        product_name,
        unique_id,
        execution_time,
        case when invocation_started_at >= ${since} then 1 else 0 end as in_window
    from ${log}
    where resource_type in (${list(TIMED_RESOURCE_TYPES)})
      and status = 'success'
      and execution_time is not null
      and invocation_started_at >= ${previousSince}${filters}
),

per_window as (
    select
        product_name,
        unique_id,
        in_window,
        count(*) as runs,
        percentile_cont(0.5) within group (order by execution_time) as median_seconds,
        percentile_cont(0.95) within group (order by execution_time) as p95_seconds
    from timed
    group by product_name, unique_id, in_window
),

per_node as (
    select
        product_name,
        unique_id,
        max(case when in_window = 1 then runs end) as runs,
        max(case when in_window = 1 then median_seconds end) as median_seconds,
        max(case when in_window = 1 then p95_seconds end) as p95_seconds,
        max(case when in_window = 0 then median_seconds end) as previous_median_seconds
    from per_window
    group by product_name, unique_id
)

select
    product_name,
    unique_id,
    runs,
    median_seconds,
    p95_seconds,
    previous_median_seconds,
    case
        when previous_median_seconds > 0
            then 100 * (median_seconds - previous_median_seconds) / previous_median_seconds
    end as change_percent
from per_node
where runs is not null
order by median_seconds desc, unique_id
limit ${top}`,
};

export const HISTORY: QuestionDefinition<typeof HISTORY_COLUMNS> = {
  name: 'history',
  summary: "one node's runs: status, run time, rows",
  question: 'How has one node run lately?',
  table: 'log',
  nothing: 'runs of the node',
  columns: HISTORY_COLUMNS,
  sql: ({ log, since, filters, node, time }) => `select
    ${time('invocation_started_at', 'started_at')},
    invocation_id,
    target_name,
    unique_id,
    status,
    execution_time as execution_seconds,
    rows_affected,
    failures,
    run_url
from ${log}
where (unique_id = ${node} or name = ${node})
  and invocation_started_at >= ${since}${filters}
order by invocation_started_at desc, invocation_id, unique_id`,
};

/**
 * A test is flaky when its status changes from one run to the next within
 * the window (skipped runs say nothing about the test and are left out).
 */
export const FLAKY: QuestionDefinition<typeof FLAKY_COLUMNS> = {
  name: 'flaky',
  summary: 'tests whose status flipped between runs, with their flip rate',
  question: 'Which tests flip between passing and failing?',
  table: 'log',
  nothing: 'test that changed status',
  columns: FLAKY_COLUMNS,
  sql: ({ log, since, filters, time }) => `with test_runs as (
    select
        coalesce(product_name, '') as product_name,
        unique_id,
        status,
        invocation_started_at,
        lag(status) over (
            partition by coalesce(product_name, ''), unique_id
            order by invocation_started_at, invocation_id
        ) as previous_status,
        row_number() over (
            partition by coalesce(product_name, ''), unique_id
            order by invocation_started_at desc, invocation_id desc
        ) as recency
    from ${log}
    where resource_type in (${list(TESTED_RESOURCE_TYPES)})
      and status <> 'skipped'
      and invocation_started_at >= ${since}${filters}
),

per_test as (
    select
        product_name,
        unique_id,
        count(*) as runs,
        sum(case when status <> previous_status then 1 else 0 end) as flips,
        max(case when recency = 1 then status end) as last_status,
        max(invocation_started_at) as last_run_at
    from test_runs
    group by product_name, unique_id
)

select
    product_name,
    unique_id,
    runs,
    flips,
    cast(flips as float8) / (runs - 1) as flip_rate,
    last_status,
    ${time('last_run_at', 'last_run_at')}
from per_test
where flips > 0
order by flip_rate desc, flips desc, unique_id`,
};

/**
 * Each source's latest freshness check, from audit_latest_status: a source's
 * rows are those dbt's freshness results give (resource_type `source`,
 * status pass, warn, error or runtime error).
 */
export const FRESHNESS: QuestionDefinition<typeof FRESHNESS_COLUMNS> = {
  name: 'freshness',
  summary: "each source's latest freshness check (stale ones first)",
  question: 'How fresh is each source?',
  table: 'log',
  usesLatestStatus: true,
  nothing: 'source freshness checks',
  columns: FRESHNESS_COLUMNS,
  sql: ({ latestStatus, since, filters, time }) => `select
    product_name,
    unique_id,
    status,
    ${time('invocation_started_at', 'checked_at')},
    target_name,
    message,
    run_url
from ${latestStatus} as latest_status
where resource_type = 'source'
  and invocation_started_at >= ${since}${filters}
order by
    case when status in (${failed}) then 0 when status = 'warn' then 1 else 2 end,
    unique_id`,
};

export const QUESTIONS = [RUNS, FAILURES, SLOWEST, HISTORY, FLAKY, FRESHNESS] as const;

export type QuestionName = (typeof QUESTIONS)[number]['name'];

type ValueOf<T extends ResultType> = T extends 'integer' | 'float' ? number : string;

/** One result row of a question, typed by its columns; any value may be null. */
export type ResultRow<Columns extends readonly ResultColumn[]> = {
  [C in Columns[number] as C['name']]: ValueOf<C['type']> | null;
};

export type RunsRow = ResultRow<typeof RUNS_COLUMNS>;
export type FailuresRow = ResultRow<typeof FAILURES_COLUMNS>;
export type SlowestRow = ResultRow<typeof SLOWEST_COLUMNS>;
export type HistoryRow = ResultRow<typeof HISTORY_COLUMNS>;
export type FlakyRow = ResultRow<typeof FLAKY_COLUMNS>;
export type FreshnessRow = ResultRow<typeof FRESHNESS_COLUMNS>;
