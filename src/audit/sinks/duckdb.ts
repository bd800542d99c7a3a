/** Audit sink for a DuckDB target: the same warehouse file dbt wrote, opened after dbt exits. */
import { type DuckDBAppender, type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { type AuditColumn, bigintOf, fitText, maxBytesOf } from '../columns.js';
import type { TableRef } from '../sql.js';
import {
  type AuditBatch,
  AuditReadError,
  type AuditReadQuery,
  type AuditReadRow,
  type AuditSink,
  type AuditTables,
  AuditWriteError,
} from './types.js';
import { writeBatch } from './write.js';

/**
 * How long an upload waits for a DuckDB file another process holds (dbt of
 * a concurrent run, another upload). DuckDB lets one process open a file for
 * writing and refuses the others at once; that lock is what serialises
 * racing uploads, so a refused open is retried, not an error.
 */
export const DUCKDB_LOCK_WAIT_MS = 60_000;

const isLockConflict = (error: unknown) => /could not set lock on file/i.test((error as Error).message ?? '');

/** A table, view or schema the SQL names is not there (or, read-only, not even the file). */
const isMissingRelation = (error: unknown) =>
  /Catalog Error: .*does not exist|database does not exist|Cannot open database .* read-only/i.test(
    (error as Error).message ?? '',
  );

/** Opens the file, waiting (up to `waitMs`) while another process holds its lock. */
async function openWhenFree(file: string, waitMs: number, readOnly = false): Promise<DuckDBInstance> {
  const giveUpAt = Date.now() + waitMs;
  for (let pause = 50; ; pause = Math.min(pause * 2, 1_000)) {
    try {
      return await DuckDBInstance.create(file, readOnly ? { access_mode: 'READ_ONLY' } : undefined);
    } catch (error) {
      if (!isLockConflict(error) || Date.now() + pause > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

export class DuckDbAuditSink implements AuditSink {
  readonly kind = 'duckdb';
  readonly dialect = 'duckdb';
  readonly location: string;

  constructor(
    private readonly file: string,
    private readonly tables: AuditTables,
    private readonly lockWaitMs = DUCKDB_LOCK_WAIT_MS,
  ) {
    this.location = file;
  }

  async write(batch: AuditBatch): Promise<void> {
    let instance: DuckDBInstance | undefined;
    try {
      instance = await openWhenFree(this.file, this.lockWaitMs);
      const connection = await instance.connect();
      try {
        await writeBatch(
          {
            execute: async (sql) => {
              await connection.run(sql);
            },
            columns: async (ref) => new Set(await tableColumns(connection, ref)),
            appendRows: (ref, columns, rows) => appendRows(connection, ref, columns, rows),
          },
          'duckdb',
          this.tables,
          batch,
        );
      } finally {
        connection.closeSync();
      }
    } catch (cause) {
      throw new AuditWriteError(`writing the audit to DuckDB ${this.file} failed: ${(cause as Error).message}`, {
        sink: this.kind,
        cause,
      });
    } finally {
      instance?.closeSync();
    }
  }

  /** A read-only query, the file opened read-only: a run writing it meanwhile makes it wait, as uploads do. */
  async read(query: AuditReadQuery): Promise<AuditReadRow[]> {
    let instance: DuckDBInstance | undefined;
    try {
      instance = await openWhenFree(this.file, this.lockWaitMs, true);
      const connection = await instance.connect();
      try {
        const prepared = await connection.prepare(query.sql);
        if (query.parameters.length) prepared.bind(query.parameters.map((parameter) => parameter.value));
        return (await prepared.runAndReadAll()).getRowsJson() as AuditReadRow[];
      } finally {
        connection.closeSync();
      }
    } catch (cause) {
      throw new AuditReadError(`reading the audit from DuckDB ${this.file} failed: ${(cause as Error).message}`, {
        sink: this.kind,
        missingRelation: isMissingRelation(cause),
        cause,
      });
    } finally {
      instance?.closeSync();
    }
  }
}

/** Lower-case column names of a table in their physical order; empty when it does not exist. */
async function tableColumns(connection: DuckDBConnection, ref: TableRef): Promise<string[]> {
  const prepared = await connection.prepare(
    `select lower(column_name) as name from duckdb_columns()
     where schema_name = $schema and table_name = $table order by column_index`,
  );
  prepared.bindVarchar(1, ref.schema);
  prepared.bindVarchar(2, ref.table);
  const reader = await prepared.runAndReadAll();
  return reader.getRowObjectsJson().map((row) => String(row.name));
}

/** One value through the appender: the same fitting as sqlLiteral (text to its byte limit, numbers finite). */
function appendValue(appender: DuckDBAppender, value: unknown, column: AuditColumn | undefined): void {
  const finite = typeof value === 'number' && Number.isFinite(value);
  if (!column) appender.appendDefault();
  else if (value === null || value === undefined) appender.appendNull();
  else if (column.type === 'bigint') {
    // As sqlLiteral: beyond 64 bits the appender threw, failing the whole write (issue 15).
    const integer = bigintOf(value);
    if (integer === undefined) appender.appendNull();
    else appender.appendBigInt(integer);
  } else if (column.type === 'float') {
    if (finite) appender.appendDouble(value as number);
    else appender.appendNull();
  } else if (column.type === 'timestamp' || column.type === 'date') {
    // DuckDB casts the text to the column's type, as it does `cast('...' as timestamp)`.
    appender.appendVarchar(String(value));
  } else appender.appendVarchar(fitText(String(value), maxBytesOf(column) ?? 65535));
}

/** Appends rows in the table's own column order; columns the kit does not define get their default. */
async function appendRows(
  connection: DuckDBConnection,
  ref: TableRef,
  columns: readonly AuditColumn[],
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  const order = await tableColumns(connection, ref);
  const byName = new Map(columns.map((column) => [column.name, column]));
  const appender = await connection.createAppender(ref.table, ref.schema);
  try {
    for (const row of rows) {
      for (const name of order) appendValue(appender, row[name], byName.get(name));
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
