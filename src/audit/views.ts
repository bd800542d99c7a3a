/**
 * The analyst views over the audit log, defined once. A generated product
 * builds them as dbt models (create-dbt-product writes each model's SQL from
 * here, with ref() and dbt's cross-database macros), and the audit sinks
 * create the same views when they are missing: a Redshift audit schema that
 * only dbt-run writes to (a central cluster, a first run with --select) still
 * gets them. The SQL is written once against three placeholders.
 */
import { AUDIT_COLUMNS } from './columns.js';
import { quoteIdentifier, type SqlDialect, type TableRef, tableSql } from './sql.js';
import { AUDIT_TABLES, FAILED_STATUSES } from './tables.js';

/** How long audit_recent_failures looks back (the dbt var `audit_failure_days` defaults to this). */
export const AUDIT_FAILURE_DAYS = 7;

/** What a view's SQL refers to, spelled for dbt or for one warehouse. */
export interface ViewSources {
  /** The audit log table, as FROM names it. */
  log: string;
  /** The invocation log table (dbt-run's rows, one per invocation), as FROM names it. */
  invocations: string;
  /** The audit log's columns, comma separated, one per line. */
  columns: string;
  /** The earliest invocation_started_at that still counts as recent. */
  failuresSince: string;
}

export interface AuditView {
  name: string;
  description: string;
  sql(sources: ViewSources): string;
}

export const AUDIT_VIEWS: readonly AuditView[] = [
  {
    name: 'audit_latest_status',
    description:
      "The latest audit row of every node (per product and unique_id) that is still in the product: a node that the product's latest full `dbt-run build` (no selection, not errored or interrupted) did not run was deleted, renamed or disabled, and is left out. On-run-start/end hooks (resource_type operation) are not nodes and are left out too. A source's latest freshness check stays (builds do not check sources).",
    // Which nodes the project still has is known from the invocation log: a full build runs every
    // node, so a node whose latest row is older than the latest full build is no longer there.
    // A product with no full build recorded (hook-only runs, selections only) keeps every node.
    // Sources are checked by `dbt-run source freshness`, never by a build: their latest check stays.
    sql: ({ log, invocations, columns }) => `with ranked as (
    select
        audit_log.*,
        row_number() over (
            partition by product_name, unique_id
            order by invocation_started_at desc, completed_at desc
        ) as recency
    from ${log} as audit_log
    where coalesce(resource_type, '') <> 'operation'
),

full_builds as (
    select
        product_name,
        invocation_id,
        started_at,
        row_number() over (partition by product_name order by started_at desc) as recency
    from ${invocations}
    where command = 'build'
      and selection is null
      and status in ('success', 'failed')
),

kept as (
    select ranked.*
    from ranked
    left join full_builds as latest_build
        on latest_build.product_name = ranked.product_name
        and latest_build.recency = 1
    where ranked.recency = 1
      and (
          latest_build.invocation_id is null
          or ranked.resource_type = 'source'
          or ranked.invocation_id = latest_build.invocation_id
          or ranked.invocation_started_at >= latest_build.started_at
      )
)

select
${columns}
from kept`,
  },
  {
    name: 'audit_recent_failures',
    description: `Errors and failed tests of the last \`audit_failure_days\` days (var, default ${AUDIT_FAILURE_DAYS}).`,
    sql: ({ log, columns, failuresSince }) => `select
${columns}
from ${log}
where status in (${FAILED_STATUSES.map((status) => `'${status}'`).join(', ')})
  and invocation_started_at >= ${failuresSince}`,
  },
  {
    name: 'audit_model_duration_trend',
    description:
      'Daily runs, average and maximum run time of every successful model, with the change against its previous day.',
    sql: ({ log }) => `with daily as (
    select
        product_name,
        unique_id,
        name,
        model_execution_date,
        count(*) as runs,
        avg(execution_time) as avg_execution_time,
        max(execution_time) as max_execution_time,
        sum(rows_affected) as rows_affected
    from ${log}
    where resource_type = 'model'
      and status = 'success'
    group by product_name, unique_id, name, model_execution_date
)

select
    daily.*,
    avg_execution_time - lag(avg_execution_time) over (
        partition by product_name, unique_id
        order by model_execution_date
    ) as avg_execution_time_change
from daily`,
  },
];

/**
 * The sources as a product's dbt model writes them: ref() naming the product
 * (installed as a parent package, a one-argument ref would find the child's
 * audit log first), the audit_columns() macro, dbt.dateadd and the var.
 */
export const dbtViewSources = (project: string): ViewSources => ({
  log: `{{ ref('${project}', '${AUDIT_TABLES.log.model}') }}`,
  invocations: `{{ ref('${project}', '${AUDIT_TABLES.invocations.model}') }}`,
  columns: `{%- for column in audit_columns() %}
    {{ column.name }}{{ ',' if not loop.last }}
{%- endfor %}`,
  failuresSince: "{{ dbt.dateadd('day', -1 * (var('audit_failure_days') | int), dbt.current_timestamp()) }}",
});

const NOW: Record<SqlDialect, string> = {
  // getdate() runs on compute nodes; now() is leader-node only on Redshift.
  redshift: 'getdate()',
  postgres: 'current_timestamp',
  duckdb: 'current_timestamp',
};

/** The invocation log beside an audit log, where the sinks put it when nothing else says. */
const invocationsBeside = (log: TableRef): TableRef => ({ schema: log.schema, table: AUDIT_TABLES.invocations.model });

/** The sources of the views next to an audit log table, for one warehouse (pure). */
export function warehouseViewSources(
  log: TableRef,
  dialect: SqlDialect,
  invocations: TableRef = invocationsBeside(log),
): ViewSources {
  return {
    log: tableSql(log),
    invocations: tableSql(invocations),
    columns: AUDIT_COLUMNS.map((column) => `    ${quoteIdentifier(column.name)}`).join(',\n'),
    failuresSince: `${NOW[dialect]} - interval '${AUDIT_FAILURE_DAYS} days'`,
  };
}

/** Where each view lives: next to the audit log, as dbt puts the audit models in one schema. */
export function viewRef(log: TableRef, view: AuditView): TableRef {
  return { schema: log.schema, table: view.name };
}

/** CREATE VIEW for one view next to `log` (pure; callers create only the missing ones). */
export function createViewSql(
  log: TableRef,
  view: AuditView,
  dialect: SqlDialect,
  invocations: TableRef = invocationsBeside(log),
): string {
  return `create view ${tableSql(viewRef(log, view))} as\n${view.sql(warehouseViewSources(log, dialect, invocations))}`;
}
