/** Audit sink for a Postgres target, through the pg client with the profile's connection. */
import pg from 'pg';
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

export interface PostgresConnectionOptions {
  host: string;
  port: number;
  user: string;
  password?: string | undefined;
  database: string;
  connectionTimeoutMillis?: number;
}

/** The advisory lock's key: every writer of these tables (runs, flushes, other machines) uses the same. */
export function auditLockKey(tables: AuditTables): string {
  return `dbt-product-kit audit ${tables.log.schema}.${tables.log.table}`;
}

export class PostgresAuditSink implements AuditSink {
  readonly kind = 'postgres';
  readonly dialect = 'postgres';
  readonly location: string;

  constructor(
    private readonly connection: PostgresConnectionOptions,
    private readonly tables: AuditTables,
  ) {
    this.location = `postgres://${connection.user}@${connection.host}:${connection.port}/${connection.database}`;
  }

  async write(batch: AuditBatch): Promise<void> {
    const client = new pg.Client({ connectionTimeoutMillis: 10_000, ...this.connection });
    try {
      await client.connect();
      await writeBatch(
        {
          execute: async (sql) => {
            await client.query(sql);
          },
          columns: async (ref: TableRef) => {
            // The catalog by the relation's oid (an index lookup): 0.4 ms a call, where
            // information_schema.columns took 2 to 4 ms (measured beside 1,000 views), and an
            // upload asks for each table and view. It also sees columns the writer may not read.
            const result = await client.query<{ name: string }>(
              `select lower(attname) as name from pg_catalog.pg_attribute
               where attrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2)) and attnum > 0 and not attisdropped`,
              [ref.schema, ref.table],
            );
            return new Set(result.rows.map((row) => row.name));
          },
          lockTables: async (tables) => {
            // One lock per audit log table, keyed by its name: released by commit or rollback.
            await client.query('select pg_advisory_xact_lock(hashtext($1))', [auditLockKey(tables)]);
          },
        },
        'postgres',
        this.tables,
        batch,
      );
    } catch (cause) {
      throw new AuditWriteError(`writing the audit to ${this.location} failed: ${(cause as Error).message}`, {
        sink: this.kind,
        cause,
      });
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** A read-only query (rows as arrays: bigint and numeric come as text, decoded by the caller). */
  async read(query: AuditReadQuery): Promise<AuditReadRow[]> {
    const client = new pg.Client({ connectionTimeoutMillis: 10_000, ...this.connection });
    try {
      await client.connect();
      const result = await client.query<unknown[]>({
        text: query.sql,
        values: query.parameters.map((parameter) => parameter.value),
        rowMode: 'array',
      });
      return result.rows as AuditReadRow[];
    } catch (cause) {
      const code = (cause as { code?: string }).code;
      throw new AuditReadError(`reading the audit from ${this.location} failed: ${(cause as Error).message}`, {
        sink: this.kind,
        // undefined_table, invalid_schema_name
        missingRelation: code === '42P01' || code === '3F000',
        cause,
      });
    } finally {
      await client.end().catch(() => {});
    }
  }
}
