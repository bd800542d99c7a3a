/**
 * Planning a question (pure): its SQL for one warehouse with every user value
 * a bound parameter (`$1` on DuckDB and Postgres, `:name` on the Redshift Data
 * API), and the README's ready SQL from the same definition.
 */
import type { AuditTables } from '../sinks/types.js';
import { type SqlDialect, tableSql } from '../sql.js';
import { AUDIT_VIEWS, viewRef, warehouseViewSources } from '../views.js';
import type { QuerySources, QuestionDefinition, ResultColumn } from './questions.js';
import { type AuditWindow, auditWindow, timestampText } from './window.js';

/** What is asked: the window (`7d`, ending now) and the optional filters, all as the user gave them. */
export interface QueryRequest {
  since: string;
  now: Date;
  product?: string | undefined;
  env?: string | undefined;
  /** `audit history`: a unique_id or a node name. */
  node?: string | undefined;
  /** `audit slowest --top`. */
  top?: number | undefined;
}

/** A bound parameter, by name (the Data API) and by position (DuckDB, Postgres): always a non-empty string. */
export interface QueryParameter {
  name: string;
  value: string;
}

export interface PlannedQuery {
  sql: string;
  parameters: QueryParameter[];
  /** The columns the SQL selects, in order. */
  columns: readonly ResultColumn[];
  window: AuditWindow;
}

/** Where the question runs: the warehouse's dialect, the tables, and whether audit_latest_status is there. */
export interface QueryTarget {
  dialect: SqlDialect;
  tables: AuditTables;
  /** false: the view is missing, so its definition goes inline. */
  latestStatusView: boolean;
}

const LATEST_STATUS = AUDIT_VIEWS.find((view) => view.name === 'audit_latest_status') as (typeof AUDIT_VIEWS)[number];

/**
 * Timestamps as text the same on every warehouse (UTC, to the second: decode.ts keeps the first 19
 * characters and makes them ISO 8601). On Redshift a plain cast (ISO text under its default
 * DATESTYLE): a format string's colons (`HH24:MI:SS`) would sit beside the `:name` parameters
 * the Data API parses, and no literal should look like one.
 */
const TIME_TEXT: Record<SqlDialect, (expression: string, alias: string) => string> = {
  duckdb: (expression, alias) => `strftime(${expression}, '%Y-%m-%d %H:%M:%S') as ${alias}`,
  postgres: (expression, alias) => `to_char(${expression}, 'YYYY-MM-DD HH24:MI:SS') as ${alias}`,
  redshift: (expression, alias) => `cast(${expression} as varchar) as ${alias}`,
};

/** The columns a question's SQL selects (the derived ones are filled in after). */
export function selectedColumns(question: QuestionDefinition): readonly ResultColumn[] {
  return question.columns.filter((column) => !column.derived);
}

/** The question's SQL and parameters for one warehouse, over the window ending at `request.now`. */
export function planQuestion(question: QuestionDefinition, request: QueryRequest, target: QueryTarget): PlannedQuery {
  const window = auditWindow(request.since, request.now);
  const parameters: QueryParameter[] = [];
  const bind = (name: string, value: string) => {
    let index = parameters.findIndex((parameter) => parameter.name === name);
    if (index < 0) index = parameters.push({ name, value }) - 1;
    return target.dialect === 'redshift' ? `:${name}` : `$${index + 1}`;
  };
  const timestamp = (name: string, date: Date) => `cast(${bind(name, timestampText(date))} as timestamp)`;
  const { log } = target.tables;
  // Getters: a parameter is bound only when the question's SQL uses it (DuckDB refuses unused ones).
  const sources: QuerySources = {
    log: tableSql(log),
    invocations: tableSql(target.tables.invocations),
    latestStatus: target.latestStatusView
      ? tableSql(viewRef(log, LATEST_STATUS))
      : `(\n${LATEST_STATUS.sql(warehouseViewSources(log, target.dialect))}\n)`,
    get since() {
      return timestamp('since', window.since);
    },
    get previousSince() {
      return timestamp('previous_since', window.previousSince);
    },
    get filters() {
      let filters = '';
      if (request.product) filters += `\n  and product_name = ${bind('product', request.product)}`;
      if (request.env) filters += `\n  and target_name = ${bind('env', request.env)}`;
      return filters;
    },
    get node() {
      return request.node ? bind('node', request.node) : "''";
    },
    top: request.top ?? DEFAULT_TOP,
    time: TIME_TEXT[target.dialect],
  };
  return { sql: question.sql(sources), parameters, columns: selectedColumns(question), window };
}

/** How many nodes `audit slowest` lists by default. */
export const DEFAULT_TOP = 10;

/** Names the README's SQL uses for the tables: the audit schema of a target whose schema is `analytics`. */
export const ANALYST_SCHEMA = 'analytics_audit';

/**
 * The SQL an analyst runs for a question (pure): the same definition, over the last seven
 * days by the warehouse's clock, timestamps as they are, no filters, and an example node.
 */
export function analystSql(question: QuestionDefinition): string {
  return question.sql({
    log: `${ANALYST_SCHEMA}.dbt_audit_log`,
    invocations: `${ANALYST_SCHEMA}.dbt_audit_invocations`,
    latestStatus: `${ANALYST_SCHEMA}.${LATEST_STATUS.name}`,
    since: "current_timestamp - interval '7 days'",
    previousSince: "current_timestamp - interval '14 days'",
    filters: '',
    node: "'stg_orders'",
    top: DEFAULT_TOP,
    time: (expression, alias) => (expression === alias ? expression : `${expression} as ${alias}`),
  });
}
