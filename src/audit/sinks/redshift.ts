/**
 * Audit sink for a Redshift target, through the Redshift Data API (the
 * runner in CI has an IAM role and no network path to the cluster). One
 * query reads the tables' and views' columns; the upload is the same
 * statements as every sink's (create or migrate the tables, create missing
 * views, delete the invocation's rows, insert),
 * cut to the Data API's limits and sent in as few BatchExecuteStatement
 * calls as they allow: each batch is one transaction, and a rerun of the
 * whole upload is idempotent because it starts by deleting the invocation.
 */
import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { DATA_API_LIMITS, DataApi, type DataApiOptions, dataApiErrorLine } from '../../redshift/data-api.js';
import { type DataApiTarget, describeDataApiTarget } from '../../redshift/target.js';
import { type TableRef, tableSql } from '../sql.js';
import { AUDIT_VIEWS, viewRef } from '../views.js';
import {
  type AuditBatch,
  AuditReadError,
  type AuditReadQuery,
  type AuditReadRow,
  type AuditSink,
  type AuditTables,
  AuditWriteError,
} from './types.js';
import { planBatch } from './write.js';

/** Statements in groups of at most `size`, in order (pure). */
export function packBatches(
  statements: readonly string[],
  size: number = DATA_API_LIMITS.maxBatchStatements,
): string[][] {
  const batches: string[][] = [];
  for (let start = 0; start < statements.length; start += size) batches.push(statements.slice(start, start + size));
  return batches;
}

const tableKey = (ref: TableRef) => `${ref.schema}.${ref.table}`.toLowerCase();

/**
 * Redshift runs transactions serialisably and aborts one of two that touch
 * the same rows at once (error 1023), and racing first-time CREATEs collide
 * on the catalog. An upload is idempotent, so it is planned again and rerun.
 */
const CONFLICT = /serializ|1023|concurrent transaction|already exists|duplicate key value/i;
const UPLOAD_ATTEMPTS = 4;

/**
 * The upload's batches with the audit tables locked in each (pure, made as
 * they are asked for): Redshift's LOCK holds to the end of the batch's
 * transaction, so a racing upload waits instead of being aborted. The lock
 * comes after the first batch's DDL (it needs the tables) and before any
 * delete.
 */
export function* withTableLocks(
  ddl: readonly string[],
  writes: Iterable<string>,
  tables: AuditTables,
): Generator<string[]> {
  const lock = `lock ${tableSql(tables.log)}, ${tableSql(tables.invocations)}`;
  const size = DATA_API_LIMITS.maxBatchStatements - 1;
  // The DDL shares the first batch when there is room; every batch then takes the lock before writing.
  if (ddl.length > size) yield* packBatches(ddl);
  let batch: string[] = ddl.length > size ? [] : [...ddl];
  batch.push(lock);
  for (const statement of writes) {
    if (batch.length > size) {
      yield batch;
      batch = [lock];
    }
    batch.push(statement);
  }
  yield batch;
}

export class RedshiftAuditSink implements AuditSink {
  readonly kind = 'redshift-data';
  readonly dialect = 'redshift';
  readonly location: string;
  readonly api: DataApi;

  constructor(
    client: RedshiftDataClient,
    private readonly target: DataApiTarget,
    private readonly tables: AuditTables,
    options: Partial<DataApiOptions> = {},
  ) {
    this.api = new DataApi(client, target, options);
    this.location = describeDataApiTarget(target);
  }

  /** The statements of an upload, already within the Data API's limits (for tests and the benchmark). */
  async plan(batch: AuditBatch): Promise<string[][]> {
    return [...(await this.batches(batch))];
  }

  /** The upload's Data API batches, each made when the previous one was sent. */
  private async batches(batch: AuditBatch): Promise<Iterable<string[]>> {
    const existing = await this.existingColumns();
    const { ddl, writes } = await planBatch(
      { columns: async (ref) => existing.get(tableKey(ref)) ?? new Set() },
      'redshift',
      this.tables,
      batch,
      { maxStatementBytes: DATA_API_LIMITS.maxSqlBytes },
    );
    return withTableLocks(ddl, writes, this.tables);
  }

  async write(batch: AuditBatch): Promise<void> {
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          for (const sqls of await this.batches(batch)) await this.api.batch(sqls);
          return;
        } catch (error) {
          if (attempt >= UPLOAD_ATTEMPTS || !CONFLICT.test((error as Error).message ?? '')) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.random() * 200));
        }
      }
    } catch (cause) {
      throw new AuditWriteError(
        `writing the audit to ${this.kind} ${this.location} failed: ${dataApiErrorLine(cause, this.target)}`,
        {
          sink: this.kind,
          cause,
        },
      );
    }
  }

  /** A `select 1` (dbt-run doctor); throws the one line for what went wrong. */
  async check(): Promise<void> {
    try {
      await this.api.query('select 1');
    } catch (cause) {
      throw new AuditWriteError(dataApiErrorLine(cause, this.target), { sink: this.kind, cause });
    }
  }

  /**
   * A read-only query: one ExecuteStatement with named parameters, then
   * GetStatementResult page by page (DataApi.query); each field as its type.
   */
  async read(query: AuditReadQuery): Promise<AuditReadRow[]> {
    try {
      const parameters = Object.fromEntries(query.parameters.map((parameter) => [parameter.name, parameter.value]));
      const records = await this.api.query(query.sql, parameters);
      return records.map((fields) =>
        fields.map((field) =>
          field.isNull
            ? null
            : (field.stringValue ?? field.longValue ?? field.doubleValue ?? field.booleanValue ?? null),
        ),
      );
    } catch (cause) {
      throw new AuditReadError(
        `reading the audit from ${this.kind} ${this.location} failed: ${dataApiErrorLine(cause, this.target)}`,
        {
          sink: this.kind,
          missingRelation: /(relation|schema) "[^"]*" does not exist/i.test((cause as Error).message ?? ''),
          cause,
        },
      );
    }
  }

  /** Columns of the audit tables and views in one query (names as parameters, never in the SQL text). */
  private async existingColumns(): Promise<Map<string, Set<string>>> {
    const relations = [
      this.tables.log,
      this.tables.invocations,
      ...AUDIT_VIEWS.map((view) => viewRef(this.tables.log, view)),
    ];
    const parameters: Record<string, string> = {};
    const matches = relations.map((ref, index) => {
      parameters[`schema_${index}`] = ref.schema;
      parameters[`table_${index}`] = ref.table;
      return `(lower(table_schema) = lower(:schema_${index}) and lower(table_name) = lower(:table_${index}))`;
    });
    const rows = await this.api.query(
      `select lower(table_schema), lower(table_name), lower(column_name) from information_schema.columns
where ${matches.join('\n   or ')}`,
      parameters,
    );
    const columns = new Map<string, Set<string>>();
    for (const [schema, table, column] of rows) {
      const key = `${schema?.stringValue}.${table?.stringValue}`;
      columns.set(key, (columns.get(key) ?? new Set()).add(String(column?.stringValue)));
    }
    return columns;
  }
}
