/**
 * Writing a batch through any SQL connection: create the schema and tables
 * when missing, add columns a newer kit defines, then replace the
 * invocation's rows, all in one transaction.
 */
import { AUDIT_COLUMNS, INVOCATION_COLUMNS } from '../columns.js';
import {
  addMissingColumnsSql,
  createSchemaSql,
  createTableSql,
  replaceRowsSql,
  type SqlDialect,
  type TableRef,
} from '../sql.js';
import type { AuditBatch, AuditTables } from './types.js';

/** The little a sink's connection must do. */
export interface SqlExecutor {
  execute(sql: string): Promise<void>;
  /** Lower-case column names of a table; empty when the table does not exist. */
  columns(ref: TableRef): Promise<Set<string>>;
}

const TABLES = [
  { key: 'log', columns: AUDIT_COLUMNS, sortKey: ['invocation_started_at', 'unique_id'] },
  { key: 'invocations', columns: INVOCATION_COLUMNS, sortKey: ['started_at'] },
] as const;

/** All statements of one upload, in order (without BEGIN/COMMIT). */
export async function planBatch(
  executor: Pick<SqlExecutor, 'columns'>,
  dialect: SqlDialect,
  tables: AuditTables,
  batch: AuditBatch,
  maxStatementBytes?: number,
): Promise<string[]> {
  const statements: string[] = [];
  for (const schema of new Set([tables.log.schema, tables.invocations.schema]))
    statements.push(createSchemaSql(schema));
  for (const { key, columns, sortKey } of TABLES) {
    const ref = tables[key];
    const existing = await executor.columns(ref);
    if (existing.size === 0) statements.push(createTableSql(ref, columns, dialect, sortKey));
    else statements.push(...addMissingColumnsSql(ref, columns, existing, dialect));
  }
  const key = { column: 'invocation_id', value: batch.invocationId };
  statements.push(...replaceRowsSql(tables.log, AUDIT_COLUMNS, key, batch.nodes, dialect, maxStatementBytes));
  statements.push(
    ...replaceRowsSql(tables.invocations, INVOCATION_COLUMNS, key, [batch.invocation], dialect, maxStatementBytes),
  );
  return statements;
}

/** Runs the whole upload in one transaction; rolls back on any error. */
export async function writeBatch(
  executor: SqlExecutor,
  dialect: SqlDialect,
  tables: AuditTables,
  batch: AuditBatch,
): Promise<void> {
  const statements = await planBatch(executor, dialect, tables, batch);
  await executor.execute('begin');
  try {
    for (const statement of statements) await executor.execute(statement);
    await executor.execute('commit');
  } catch (error) {
    await executor.execute('rollback').catch(() => {});
    throw error;
  }
}
