/**
 * The audit definition as a generated product's files need it (pure): Jinja
 * literals for the macros (macros/audit/audit_columns.sql), the models'
 * table options, and the column tables of the READMEs. create-dbt-product
 * renders these into the product; the kit README's tables come from the same
 * functions (see src/docs/). Change a column in columns.ts and every copy
 * follows.
 */
import { AUDIT_MAX_STATEMENT_BYTES, type AuditColumn, maxBytesOf, TRUNCATION_MARKER } from './columns.js';
import { RUN_ORIGIN_ENV } from './origin.js';
import { STATUS_COUNTS } from './rows.js';
import { type SqlTypeFamily, sqlType } from './sql.js';
import {
  AUDIT_DIST_STYLE,
  AUDIT_HOOK_SWITCH,
  AUDIT_TABLES,
  type AuditTableDefinition,
  DEFAULT_AUDIT_SCHEMA,
  FAILED_STATUSES,
  redshiftTableOptions,
} from './tables.js';

const FAMILIES: readonly SqlTypeFamily[] = ['default', 'redshift'];

/** A value as a Jinja literal: JSON, but `none` for null (Jinja has no `null`). */
export function jinjaLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (Array.isArray(value)) return `[${value.map(jinjaLiteral).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}: ${jinjaLiteral(item)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** One column as the macros see it: name, logical type, byte limit, and its SQL type per adapter family. */
export function jinjaColumn(column: AuditColumn): string {
  return jinjaLiteral({
    name: column.name,
    type: column.type,
    max_bytes: maxBytesOf(column) ?? null,
    sql_types: Object.fromEntries(FAMILIES.map((family) => [family, sqlType(column, family)])),
  });
}

/** A Markdown table, its columns padded to their widest cell (as Biome formats the README's tables). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** A Markdown table of columns: name, logical type, Redshift type (with its byte limit), meaning. */
export function columnsMarkdown(columns: readonly AuditColumn[]): string {
  return markdownTable(
    ['column', 'type', 'Redshift type', 'meaning'],
    columns.map((column) => [
      `\`${column.name}\``,
      column.type,
      `\`${sqlType(column, 'redshift')}\``,
      column.description.replaceAll('|', '\\|'),
    ]),
  );
}

export interface TemplateColumn {
  name: string;
  description: string;
  jinja: string;
}

const templateColumn = (column: AuditColumn): TemplateColumn => ({
  name: column.name,
  description: column.description,
  jinja: jinjaColumn(column),
});

export interface AuditTemplateFacts {
  /** The columns in order: name and description for the docs, a Jinja literal for the macros. */
  columns: TemplateColumn[];
  invocationColumns: TemplateColumn[];
  /** Jinja literal: each table's model, sort key and Redshift options. */
  tables: string;
  /** Sort keys as the models' config() takes them (Jinja lists). */
  sortKeys: { log: string; invocations: string };
  distStyle: string;
  failedStatuses: string;
  /** Jinja literal: how the invocation row counts statuses (rows.ts STATUS_COUNTS). */
  statusCounts: string;
  hookSwitch: string;
  /** The switch's names and dbt-run's value, for the YAML and prose that name them. */
  hook: { env: string; var: string; off: string };
  /** Jinja literal: the variables that say where a run came from (see origin.ts). */
  originEnv: string;
  marker: { before: string; after: string };
  maxStatementBytes: number;
  /** The audit models' custom schema (dbt-product.yml audit.schema) and the log table's name. */
  schema: string;
  logTable: string;
  /** Markdown column tables for the product README. */
  columnsTable: string;
  invocationColumnsTable: string;
  /** Human figures for the README prose. */
  limits: { shortText: string; message: string; statement: string };
}

type Tables = { log: AuditTableDefinition; invocations: AuditTableDefinition };

/** Everything the product's templates say about the audit tables, from one definition (tests pass another). */
export function auditTemplateFacts(tables: Tables = AUDIT_TABLES): AuditTemplateFacts {
  const describe = (table: AuditTableDefinition) => ({
    model: table.model,
    sort_key: [...table.sortKey],
    redshift_options: redshiftTableOptions(table),
  });
  const message = tables.log.columns.find((column) => column.name === 'message');
  const shortText = tables.log.columns.find((column) => column.type === 'short_text');
  const figure = (column: AuditColumn | undefined) => (column ? (maxBytesOf(column) ?? 0).toLocaleString('en') : '?');
  return {
    columns: tables.log.columns.map(templateColumn),
    invocationColumns: tables.invocations.columns.map(templateColumn),
    tables: jinjaLiteral({ log: describe(tables.log), invocations: describe(tables.invocations) }),
    sortKeys: {
      log: jinjaLiteral([...tables.log.sortKey]),
      invocations: jinjaLiteral([...tables.invocations.sortKey]),
    },
    distStyle: AUDIT_DIST_STYLE,
    failedStatuses: jinjaLiteral([...FAILED_STATUSES]),
    statusCounts: jinjaLiteral({ counted: [...STATUS_COUNTS.counted], counted_as: STATUS_COUNTS.countedAs }),
    hookSwitch: jinjaLiteral({
      env: AUDIT_HOOK_SWITCH.env,
      var: AUDIT_HOOK_SWITCH.var,
      off_values: [...AUDIT_HOOK_SWITCH.offValues],
    }),
    hook: { env: AUDIT_HOOK_SWITCH.env, var: AUDIT_HOOK_SWITCH.var, off: AUDIT_HOOK_SWITCH.offValue },
    originEnv: jinjaLiteral({
      source: RUN_ORIGIN_ENV.source,
      run_id: RUN_ORIGIN_ENV.runId,
      url: RUN_ORIGIN_ENV.url,
      git_sha: RUN_ORIGIN_ENV.gitSha,
    }),
    marker: { before: jinjaLiteral(TRUNCATION_MARKER.before), after: jinjaLiteral(TRUNCATION_MARKER.after) },
    maxStatementBytes: AUDIT_MAX_STATEMENT_BYTES,
    schema: DEFAULT_AUDIT_SCHEMA,
    logTable: tables.log.model,
    columnsTable: columnsMarkdown(tables.log.columns),
    invocationColumnsTable: columnsMarkdown(tables.invocations.columns),
    limits: {
      shortText: figure(shortText),
      message: figure(message),
      statement: `${AUDIT_MAX_STATEMENT_BYTES / 1_000_000} MB`,
    },
  };
}
