/**
 * What the report asks beyond `dbt-run audit`'s own questions: each run of
 * the slowest models (the duration trend) and the rows each model affected.
 * Defined like those (questions.ts: SQL written once against placeholders,
 * typed result columns) and planned by the same plan.ts, so the SQL is the
 * same on DuckDB, Postgres and Redshift. The rest of the report reads the
 * existing questions (runs, failures, slowest, flaky, freshness).
 */
import {
  type QuestionDefinition,
  type ResultColumn,
  type ResultRow,
  TIMED_RESOURCE_TYPES,
} from '../queries/questions.js';

/** The report's default look-back: a month of runs. */
export const REPORT_SINCE = '30d';
/** How many of the slowest models the duration trend follows, by default. */
export const REPORT_TOP = 8;

const timed = TIMED_RESOURCE_TYPES.map((type) => `'${type}'`).join(', ');

const DURATION_TREND_COLUMNS = [
  { name: 'started_at', type: 'timestamp', description: 'When the run started (UTC).' },
  { name: 'product_name', type: 'text', description: 'Data product.' },
  { name: 'unique_id', type: 'text', description: 'dbt unique_id of the model.' },
  { name: 'execution_seconds', type: 'float', digits: 3, description: 'Seconds dbt spent on it.' },
] as const satisfies readonly ResultColumn[];

const ROWS_AFFECTED_COLUMNS = [
  { name: 'product_name', type: 'text', description: 'Data product.' },
  { name: 'unique_id', type: 'text', description: 'dbt unique_id of the model, seed or snapshot.' },
  { name: 'runs', type: 'integer', description: 'Successful runs in the window.' },
  { name: 'last_rows', type: 'integer', description: 'Rows the adapter reported in the latest run.' },
  { name: 'total_rows', type: 'integer', description: 'Rows over every run in the window.' },
  { name: 'last_run_at', type: 'timestamp', description: 'When the latest run started (UTC).' },
] as const satisfies readonly ResultColumn[];

/**
 * Every successful run in the window of the `top` models slowest by median
 * (ranked as `audit slowest` ranks them), oldest first: one point per run.
 */
export const DURATION_TREND: QuestionDefinition<typeof DURATION_TREND_COLUMNS> = {
  name: 'duration-trend',
  summary: 'each run of the slowest models',
  question: 'How long did each run of the slowest models take?',
  table: 'log',
  nothing: `successful ${TIMED_RESOURCE_TYPES.join(', ')} runs`,
  columns: DURATION_TREND_COLUMNS,
  sql: ({ log, since, filters, top, time }) => `with timed as (
    select
        coalesce(product_name, '') as product_name,
        unique_id,
        execution_time,
        invocation_started_at
    from ${log}
    where resource_type in (${timed})
      and status = 'success'
      and execution_time is not null
      and invocation_started_at >= ${since}${filters}
),

slowest as (
    select
        product_name,
        unique_id,
        percentile_cont(0.5) within group (order by execution_time) as median_seconds
    from timed
    group by product_name, unique_id
    order by median_seconds desc, unique_id
    limit ${top}
)

select
    ${time('timed.invocation_started_at', 'started_at')},
    timed.product_name,
    timed.unique_id,
    timed.execution_time as execution_seconds
from timed
inner join slowest
    on slowest.product_name = timed.product_name
    and slowest.unique_id = timed.unique_id
order by timed.invocation_started_at, timed.unique_id`,
};

/** Per model, seed and snapshot: the rows its latest run reported and the sum over the window, most first. */
export const ROWS_AFFECTED: QuestionDefinition<typeof ROWS_AFFECTED_COLUMNS> = {
  name: 'rows-affected',
  summary: 'rows affected per model',
  question: 'How many rows does each model write?',
  table: 'log',
  nothing: `successful ${TIMED_RESOURCE_TYPES.join(', ')} runs`,
  columns: ROWS_AFFECTED_COLUMNS,
  sql: ({ log, since, filters, time }) => `with model_runs as (
    select
        coalesce(product_name, '') as product_name,
        unique_id,
        rows_affected,
        invocation_started_at,
        row_number() over (
            partition by coalesce(product_name, ''), unique_id
            order by invocation_started_at desc, invocation_id desc
        ) as recency
    from ${log}
    where resource_type in (${timed})
      and status = 'success'
      and invocation_started_at >= ${since}${filters}
),

per_model as (
    select
        product_name,
        unique_id,
        count(*) as runs,
        max(case when recency = 1 then rows_affected end) as last_rows,
        sum(rows_affected) as total_rows,
        max(invocation_started_at) as last_run_at
    from model_runs
    group by product_name, unique_id
)

select
    product_name,
    unique_id,
    runs,
    last_rows,
    total_rows,
    ${time('last_run_at', 'last_run_at')}
from per_model
order by case when total_rows is null then 1 else 0 end, total_rows desc, unique_id`,
};

export type DurationTrendRow = ResultRow<typeof DURATION_TREND_COLUMNS>;
export type RowsAffectedRow = ResultRow<typeof ROWS_AFFECTED_COLUMNS>;
