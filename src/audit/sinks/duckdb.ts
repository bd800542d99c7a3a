/** Audit sink for a DuckDB target: the same warehouse file dbt wrote, opened after dbt exits. */
import { DuckDBInstance } from '@duckdb/node-api';
import type { TableRef } from '../sql.js';
import { type AuditBatch, type AuditSink, type AuditTables, AuditWriteError } from './types.js';
import { writeBatch } from './write.js';

export class DuckDbAuditSink implements AuditSink {
  readonly kind = 'duckdb';
  readonly location: string;

  constructor(
    private readonly file: string,
    private readonly tables: AuditTables,
  ) {
    this.location = file;
  }

  async write(batch: AuditBatch): Promise<void> {
    let instance: DuckDBInstance | undefined;
    try {
      instance = await DuckDBInstance.create(this.file);
      const connection = await instance.connect();
      try {
        await writeBatch(
          {
            execute: async (sql) => {
              await connection.run(sql);
            },
            columns: async (ref: TableRef) => {
              const reader = await connection.runAndReadAll(
                `select lower(column_name) as name from information_schema.columns
                 where table_schema = '${ref.schema.replaceAll("'", "''")}' and table_name = '${ref.table.replaceAll("'", "''")}'`,
              );
              return new Set(reader.getRowObjectsJson().map((row) => String(row.name)));
            },
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
}
