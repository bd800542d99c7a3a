/**
 * Writing a batch through any SQL connection: create the schema, tables and
 * analyst views when missing, add columns a newer kit defines, then replace
 * the invocation's rows, all in one transaction.
 */
import type { AuditColumn } from '../columns.js';
import {
  addMissingColumnsSql,
  createSchemaSql,
  createTableSql,
  deleteRowsSql,
  insertStatements,
  type SqlDialect,
  type TableRef,
} from '../sql.js';
import { AUDIT_TABLES, type AuditTableDefinition, redshiftTableOptions } from '../tables.js';
import { AUDIT_VIEWS, createViewSql, viewRef } from '../views.js';
import type { AuditBatch, AuditTables } from './types.js';

/** The little a sink's connection must do. */
export interface SqlExecutor {
  execute(sql: string): Promise<void>;
  /** Lower-case column names of a table or view; empty when it does not exist. */
  columns(ref: TableRef): Promise<Set<string>>;
  /**
   * Bulk-loads rows inside the current transaction, without SQL (DuckDB's
   * appender: 1,000 rows in milliseconds, where parsing a 600 KB INSERT takes
   * 160 ms). Without it, rows go in as INSERT statements.
   */
  appendRows?(ref: TableRef, columns: readonly AuditColumn[], rows: readonly Record<string, unknown>[]): Promise<void>;
  /**
   * Holds, until the transaction ends, a lock that every upload to these
   * tables takes first (Postgres: an advisory lock). Racing uploads then run
   * one after another: the first creates the schema and tables, the next
   * finds them; two uploads of one invocation leave its rows once.
   */
  lockTables?(tables: AuditTables): Promise<void>;
}

/** Rows for one table, for executors that append. */
export interface RowsToAppend {
  ref: TableRef;
  columns: readonly AuditColumn[];
  rows: readonly Record<string, unknown>[];
}

/**
 * One upload, in order (without BEGIN/COMMIT): `ddl` creates or migrates the
 * tables, then `writes` deletes the invocation's rows and inserts them again
 * (INSERTs made as they are read: see insertStatements). With `append`, the
 * rows are returned apart instead of as INSERT statements.
 */
export async function planBatch(
  executor: Pick<SqlExecutor, 'columns'>,
  dialect: SqlDialect,
  tables: AuditTables,
  batch: AuditBatch,
  options: { maxStatementBytes?: number; append?: boolean } = {},
): Promise<{ ddl: string[]; writes: Iterable<string>; appends: RowsToAppend[] }> {
  const appends: RowsToAppend[] = [];
  // CREATE SCHEMA only when a table is missing: even with IF NOT EXISTS it needs a privilege
  // an audit writer may lack, and on Redshift its failure would roll back the whole upload.
  const ddl: string[] = [];
  const schemas = new Set<string>();
  for (const [key, table] of Object.entries(AUDIT_TABLES) as [keyof AuditTables, AuditTableDefinition][]) {
    const ref = tables[key];
    const existing = await executor.columns(ref);
    if (existing.size === 0) {
      schemas.add(ref.schema);
      ddl.push(createTableSql(ref, table.columns, dialect, redshiftTableOptions(table)));
    } else ddl.push(...addMissingColumnsSql(ref, table.columns, existing, dialect));
  }
  // The analyst views, after the tables they read. dbt builds the same views when the product
  // is built; whichever comes first, dbt replaces them and the sink leaves existing ones alone.
  for (const view of AUDIT_VIEWS) {
    if ((await executor.columns(viewRef(tables.log, view))).size === 0) {
      ddl.push(createViewSql(tables.log, view, dialect, tables.invocations));
    }
  }
  // Both tables are keyed by invocation: an upload replaces one invocation's rows.
  const key = { column: 'invocation_id', value: batch.invocationId };
  // Both deletes first and the invocation row last: an upload that needs several
  // transactions (the Data API's batches) never shows an invocation row without
  // all of its node rows.
  const uploads: RowsToAppend[] = [
    { ref: tables.log, columns: AUDIT_TABLES.log.columns, rows: batch.nodes },
    { ref: tables.invocations, columns: AUDIT_TABLES.invocations.columns, rows: [batch.invocation] },
  ];
  if (options.append) appends.push(...uploads);
  function* writes(): Generator<string> {
    for (const upload of uploads) yield deleteRowsSql(upload.ref, upload.columns, key, dialect);
    if (options.append) return;
    for (const upload of uploads)
      yield* insertStatements(upload.ref, upload.columns, upload.rows, dialect, options.maxStatementBytes);
  }
  return { ddl: [...[...schemas].map(createSchemaSql), ...ddl], writes: writes(), appends };
}

/**
 * Runs the whole upload in one transaction; rolls back on any error. The
 * tables are looked at after the lock is held, inside the transaction: what
 * to create is decided on what the previous upload committed.
 */
export async function writeBatch(
  executor: SqlExecutor,
  dialect: SqlDialect,
  tables: AuditTables,
  batch: AuditBatch,
): Promise<void> {
  await executor.execute('begin');
  try {
    await executor.lockTables?.(tables);
    const { ddl, writes, appends } = await planBatch(executor, dialect, tables, batch, {
      append: executor.appendRows !== undefined,
    });
    for (const statement of ddl) await executor.execute(statement);
    for (const statement of writes) await executor.execute(statement);
    for (const { ref, columns, rows } of appends) await executor.appendRows?.(ref, columns, rows);
    await executor.execute('commit');
  } catch (error) {
    await executor.execute('rollback').catch(() => {});
    throw error;
  }
}
