/**
 * Pure SQL planning for the audit tables, per dialect. It mirrors the dbt
 * macros of a generated product (macros/audit/audit_sql.sql): the same types,
 * the same literal rules, the same byte limits. Every value that reaches SQL
 * goes through sqlLiteral().
 */
import { KitError } from '../errors.js';
import {
  AUDIT_MAX_STATEMENT_BYTES,
  type AuditColumn,
  type AuditColumnType,
  bigintOf,
  fitText,
  maxBytesOf,
} from './columns.js';

export type SqlDialect = 'duckdb' | 'postgres' | 'redshift';

export interface TableRef {
  schema: string;
  table: string;
}

/**
 * The SQL type of each logical column type: `default` serves DuckDB and
 * Postgres, `redshift` Redshift (varchar measured in bytes, at most 65,535).
 * `{bytes}` stands for the column's byte limit. The product's macros get
 * every column's SQL types from here (audit_schema.sql).
 */
export const SQL_TYPES: Record<SqlTypeFamily, Record<AuditColumnType, string>> = {
  default: {
    short_text: 'varchar({bytes})',
    long_text: 'text',
    bigint: 'bigint',
    float: 'float8',
    timestamp: 'timestamp',
    date: 'date',
  },
  redshift: {
    short_text: 'varchar({bytes})',
    long_text: 'varchar({bytes})',
    bigint: 'bigint',
    float: 'double precision',
    timestamp: 'timestamp',
    date: 'date',
  },
};

export type SqlTypeFamily = 'default' | 'redshift';

export function sqlTypeFamily(dialect: SqlDialect): SqlTypeFamily {
  return dialect === 'redshift' ? 'redshift' : 'default';
}

/** The SQL type of one column in a dialect: its logical type's, sized by its byte limit. */
export function sqlType(column: AuditColumn, dialect: SqlDialect | SqlTypeFamily): string {
  const family = dialect === 'default' ? 'default' : sqlTypeFamily(dialect);
  return SQL_TYPES[family][column.type].replace('{bytes}', String(maxBytesOf(column) ?? ''));
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
export function sqlLiteral(
  value: unknown,
  column: AuditColumn,
  dialect: SqlDialect,
  maxBytes: number | undefined = maxBytesOf(column),
): string {
  if (value === null || value === undefined) return 'null';
  if (column.type === 'bigint' || column.type === 'float') {
    if (typeof value !== 'number' || !Number.isFinite(value)) return 'null';
    if (column.type === 'bigint') return bigintOf(value)?.toString() ?? 'null';
    // Through text: DuckDB would read a bare literal as DECIMAL and lose the last digit.
    return `cast('${value}' as ${sqlType(column, dialect)})`;
  }
  // Text columns are fitted to their limit; timestamps and dates have none (and are short).
  let text = maxBytes === undefined ? String(value) : fitText(String(value), maxBytes);
  if (dialect === 'redshift') text = text.replaceAll('\\', '\\\\');
  const quoted = `'${text.replaceAll("'", "''")}'`;
  return column.type === 'timestamp' || column.type === 'date' ? `cast(${quoted} as ${column.type})` : quoted;
}

export function createSchemaSql(schema: string): string {
  return `create schema if not exists ${quoteIdentifier(schema)}`;
}

/**
 * CREATE TABLE IF NOT EXISTS; on Redshift followed by the table's options
 * (see redshiftTableOptions in tables.ts), exactly as the product's dbt
 * models create the same tables.
 */
export function createTableSql(
  ref: TableRef,
  columns: readonly AuditColumn[],
  dialect: SqlDialect,
  redshiftOptions = '',
): string {
  const body = columns.map((column) => `  ${column.name} ${sqlType(column, dialect)}`).join(',\n');
  const options = dialect === 'redshift' && redshiftOptions ? ` ${redshiftOptions}` : '';
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
    .map((column) => `alter table ${tableSql(ref)} add column ${column.name} ${sqlType(column, dialect)}`);
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
  maxStatementBytes = AUDIT_MAX_STATEMENT_BYTES,
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
  if (!keyColumn) throw new KitError(`no column ${key.column}`);
  return `delete from ${tableSql(ref)} where ${key.column} = ${sqlLiteral(key.value, keyColumn, dialect)}`;
}

/**
 * One row as a SQL tuple of at most `maxBytes` (UTF-8). A row whose text
 * would not fit (65 KB messages, doubled again by Redshift's escaping, in a
 * 100 KB Data API statement) has its largest text value cut further, with
 * the truncation marker, until it does: the statement never fails for it.
 */
export function tupleSql(
  row: Record<string, unknown>,
  columns: readonly AuditColumn[],
  dialect: SqlDialect,
  maxBytes = Number.POSITIVE_INFINITY,
): string {
  const limits = columns.map((column) => maxBytesOf(column));
  for (;;) {
    const literals = columns.map((column, index) => sqlLiteral(row[column.name], column, dialect, limits[index]));
    const tuple = `(${literals.join(', ')})`;
    if (Buffer.byteLength(tuple) <= maxBytes) return tuple;
    let largest = -1;
    let largestBytes = 0;
    literals.forEach((literal, index) => {
      const bytes = Buffer.byteLength(literal);
      if (limits[index] !== undefined && bytes > largestBytes) {
        largest = index;
        largestBytes = bytes;
      }
    });
    // Nothing left to cut (a row of numbers cannot be this big): let the database say so.
    if (largest < 0 || largestBytes <= 256) return tuple;
    // Halve the value's limit (not the literal's size: escaping can make that twice the value).
    limits[largest] = Math.floor(Math.min(limits[largest] ?? largestBytes, largestBytes) / 2);
  }
}

/**
 * Multi-row INSERTs of at most maxStatementBytes (UTF-8) each, made as they
 * are asked for: an upload of 50,000 rows is never all SQL at once.
 */
export function* insertStatements(
  ref: TableRef,
  columns: readonly AuditColumn[],
  rows: readonly Record<string, unknown>[],
  dialect: SqlDialect,
  maxStatementBytes = AUDIT_MAX_STATEMENT_BYTES,
): Generator<string> {
  const head = `insert into ${tableSql(ref)} (${columns.map((column) => column.name).join(', ')}) values\n`;
  const headBytes = Buffer.byteLength(head);
  let tuples: string[] = [];
  let bytes = headBytes;
  for (const row of rows) {
    const tuple = tupleSql(row, columns, dialect, maxStatementBytes - headBytes);
    const tupleBytes = Buffer.byteLength(tuple) + 2; // ",\n"
    if (tuples.length > 0 && bytes + tupleBytes > maxStatementBytes) {
      yield head + tuples.join(',\n');
      tuples = [];
      bytes = headBytes;
    }
    tuples.push(tuple);
    bytes += tupleBytes;
  }
  if (tuples.length > 0) yield head + tuples.join(',\n');
}

/** All of insertStatements at once (tests, small uploads). */
export function insertRowsSql(
  ref: TableRef,
  columns: readonly AuditColumn[],
  rows: readonly Record<string, unknown>[],
  dialect: SqlDialect,
  maxStatementBytes = AUDIT_MAX_STATEMENT_BYTES,
): string[] {
  return [...insertStatements(ref, columns, rows, dialect, maxStatementBytes)];
}
