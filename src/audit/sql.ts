/**
 * Pure SQL planning for the audit tables, per dialect. It mirrors the dbt
 * macros of a generated product (macros/audit/audit_sql.sql): the same types,
 * the same literal rules, the same byte limits. Every value that reaches SQL
 * goes through sqlLiteral().
 */
import { type AuditColumn, type AuditColumnType, fitText, maxBytesOf } from './columns.js';

export type SqlDialect = 'duckdb' | 'postgres' | 'redshift';

export interface TableRef {
  schema: string;
  table: string;
}

const TYPES: Record<'default' | 'redshift', Record<AuditColumnType, string>> = {
  default: {
    short_text: 'varchar(1024)',
    long_text: 'text',
    bigint: 'bigint',
    float: 'float8',
    timestamp: 'timestamp',
    date: 'date',
  },
  redshift: {
    short_text: 'varchar(1024)',
    long_text: 'varchar(65535)',
    bigint: 'bigint',
    float: 'double precision',
    timestamp: 'timestamp',
    date: 'date',
  },
};

export function sqlType(type: AuditColumnType, dialect: SqlDialect): string {
  return TYPES[dialect === 'redshift' ? 'redshift' : 'default'][type];
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function tableSql(ref: TableRef): string {
  return `${quoteIdentifier(ref.schema)}.${quoteIdentifier(ref.table)}`;
}

/**
 * A SQL literal for one value of a column. Text is fitted to the column's
 * byte limit; `'` is doubled everywhere and `\` too on Redshift, where it is
 * an escape character inside string literals (Postgres with
 * standard_conforming_strings and DuckDB read it literally).
 */
export function sqlLiteral(value: unknown, column: AuditColumn, dialect: SqlDialect): string {
  if (value === null || value === undefined) return 'null';
  if (column.type === 'bigint' || column.type === 'float') {
    if (typeof value !== 'number' || !Number.isFinite(value)) return 'null';
    if (column.type === 'bigint') return String(Math.trunc(value));
    // Through text: DuckDB would read a bare literal as DECIMAL and lose the last digit.
    return `cast('${value}' as ${sqlType('float', dialect)})`;
  }
  let text = fitText(String(value), maxBytesOf(column) ?? 65535);
  if (dialect === 'redshift') text = text.replaceAll('\\', '\\\\');
  const quoted = `'${text.replaceAll("'", "''")}'`;
  return column.type === 'timestamp' || column.type === 'date' ? `cast(${quoted} as ${column.type})` : quoted;
}

export function createSchemaSql(schema: string): string {
  return `create schema if not exists ${quoteIdentifier(schema)}`;
}

/** CREATE TABLE IF NOT EXISTS; on Redshift with DISTSTYLE AUTO and the given sort key. */
export function createTableSql(
  ref: TableRef,
  columns: readonly AuditColumn[],
  dialect: SqlDialect,
  sortKey: readonly string[] = [],
): string {
  const body = columns.map((column) => `  ${column.name} ${sqlType(column.type, dialect)}`).join(',\n');
  const options =
    dialect === 'redshift' ? ` diststyle auto${sortKey.length ? ` compound sortkey (${sortKey.join(', ')})` : ''}` : '';
  return `create table if not exists ${tableSql(ref)} (\n${body}\n)${options}`;
}

/** ALTER statements adding the columns a table made by an older kit lacks. */
export function addMissingColumnsSql(
  ref: TableRef,
  columns: readonly AuditColumn[],
  existing: ReadonlySet<string>,
  dialect: SqlDialect,
): string[] {
  return columns
    .filter((column) => !existing.has(column.name.toLowerCase()))
    .map((column) => `alter table ${tableSql(ref)} add column ${column.name} ${sqlType(column.type, dialect)}`);
}

/**
 * The statements that make `rows` the whole content of the table for one
 * key value (an invocation): a delete, then INSERTs of at most
 * `maxStatementBytes` each (UTF-8). Run them in one transaction and the
 * upload is idempotent: repeating it leaves the same rows.
 */
/** The DELETE of an upload's rows (by the invocation key), then its INSERTs: see insertRowsSql. */
export function replaceRowsSql(
  ref: TableRef,
  columns: readonly AuditColumn[],
  key: { column: string; value: string },
  rows: readonly Record<string, unknown>[],
  dialect: SqlDialect,
  maxStatementBytes = 1_000_000,
): string[] {
  return [deleteRowsSql(ref, columns, key, dialect), ...insertRowsSql(ref, columns, rows, dialect, maxStatementBytes)];
}

export function deleteRowsSql(
  ref: TableRef,
  columns: readonly AuditColumn[],
  key: { column: string; value: string },
  dialect: SqlDialect,
): string {
  const keyColumn = columns.find((column) => column.name === key.column);
  if (!keyColumn) throw new Error(`no column ${key.column}`);
  return `delete from ${tableSql(ref)} where ${key.column} = ${sqlLiteral(key.value, keyColumn, dialect)}`;
}

/** Multi-row INSERTs of at most maxStatementBytes (UTF-8) each. */
export function insertRowsSql(
  ref: TableRef,
  columns: readonly AuditColumn[],
  rows: readonly Record<string, unknown>[],
  dialect: SqlDialect,
  maxStatementBytes = 1_000_000,
): string[] {
  const statements: string[] = [];
  const head = `insert into ${tableSql(ref)} (${columns.map((column) => column.name).join(', ')}) values\n`;
  const headBytes = Buffer.byteLength(head);
  let tuples: string[] = [];
  let bytes = headBytes;
  for (const row of rows) {
    const tuple = `(${columns.map((column) => sqlLiteral(row[column.name], column, dialect)).join(', ')})`;
    const tupleBytes = Buffer.byteLength(tuple) + 2; // ",\n"
    if (tuples.length > 0 && bytes + tupleBytes > maxStatementBytes) {
      statements.push(head + tuples.join(',\n'));
      tuples = [];
      bytes = headBytes;
    }
    tuples.push(tuple);
    bytes += tupleBytes;
  }
  if (tuples.length > 0) statements.push(head + tuples.join(',\n'));
  return statements;
}
