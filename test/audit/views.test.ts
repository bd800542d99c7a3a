/**
 * The analyst views, defined once (src/audit/views.ts): every sink creates
 * them next to a new audit log, on DuckDB, on the test PostgreSQL and on
 * Redshift through the Data API fake, and they answer from the rows just
 * written; views that exist already (built by dbt) are left alone.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DuckDbAuditSink } from '../../src/audit/sinks/duckdb.js';
import { PostgresAuditSink } from '../../src/audit/sinks/postgres.js';
import { RedshiftAuditSink } from '../../src/audit/sinks/redshift.js';
import type { AuditBatch, AuditSink, AuditTables } from '../../src/audit/sinks/types.js';
import type { SqlDialect } from '../../src/audit/sql.js';
import { AUDIT_VIEWS, createViewSql, dbtViewSources } from '../../src/audit/views.js';
import { syntheticBatch } from '../harness/audit-batch.js';
import { tempDir } from '../harness/product.js';
import { FakeDataApi } from '../harness/redshift-data-fake.js';

const postgres = inject('postgres');
const fake = new FakeDataApi({ postgres, clusters: ['analytics'], startDelayMs: 5 });
let redshiftData: RedshiftDataClient;
let db: pg.Client;
let duckDir: string;

beforeAll(async () => {
  const endpoint = await fake.start();
  redshiftData = new RedshiftDataClient({
    region: 'eu-west-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  db = new pg.Client(postgres);
  await db.connect();
  duckDir = await tempDir('dbt-product-kit-views-');
});

afterAll(async () => {
  await db.end();
  await fake.stop();
  await rm(duckDir, { recursive: true, force: true });
});

function freshTables(): AuditTables {
  const schema = `views_${randomBytes(4).toString('hex')}`;
  return { log: { schema, table: 'dbt_audit_log' }, invocations: { schema, table: 'dbt_audit_invocations' } };
}

/** Three models run now: two succeed, one errors (so it is a recent failure). */
function batchRunNow(): AuditBatch {
  const batch = syntheticBatch(3);
  const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
  batch.nodes.forEach((row, index) => {
    Object.assign(row, {
      invocation_started_at: now,
      started_at: now,
      completed_at: now,
      model_execution_date: now.slice(0, 10),
    });
    if (index === 2) Object.assign(row, { status: 'error', message: 'relation "raw.orders" does not exist' });
  });
  return batch;
}

interface Warehouse {
  dialect: SqlDialect;
  sink(tables: AuditTables): AuditSink;
  query(sql: string): Promise<Record<string, unknown>[]>;
}

const duckFile = () => path.join(duckDir, 'audit.duckdb');

async function duckQuery(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(duckFile());
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const WAREHOUSES: Record<string, Warehouse> = {
  DuckDB: {
    dialect: 'duckdb',
    sink: (tables) => new DuckDbAuditSink(duckFile(), tables),
    query: duckQuery,
  },
  PostgreSQL: {
    dialect: 'postgres',
    sink: (tables) => new PostgresAuditSink(postgres, tables),
    query: async (sql) => (await db.query(sql)).rows,
  },
  'Redshift (Data API fake)': {
    dialect: 'redshift',
    sink: (tables) =>
      new RedshiftAuditSink(
        redshiftData,
        { clusterIdentifier: 'analytics', database: postgres.database, region: 'eu-west-1', dbUser: 'orders' },
        tables,
        { pollStartMs: 5, pollMaxMs: 50 },
      ),
    query: async (sql) => (await db.query(sql)).rows,
  },
};

describe('analyst view SQL', () => {
  it('is one definition: Redshift gets its compute-node clock, dbt its ref() and macros', () => {
    const log = { schema: 'audit', table: 'dbt_audit_log' };
    for (const view of AUDIT_VIEWS) {
      const redshift = createViewSql(log, view, 'redshift');
      expect(redshift).toMatch(new RegExp(`^create view "audit"\\."${view.name}" as\\n`));
      expect(redshift).toContain('from "audit"."dbt_audit_log"');
      // current_timestamp and now() are leader-node only on Redshift: a view over a table fails with them.
      expect(redshift).not.toMatch(/current_timestamp|now\(\)/i);
      const dbt = view.sql(dbtViewSources('orders'));
      expect(dbt).toContain("{{ ref('orders', 'dbt_audit_log') }}");
      expect(dbt).not.toContain('"audit"');
    }
    expect(createViewSql(log, AUDIT_VIEWS[1] as (typeof AUDIT_VIEWS)[number], 'redshift')).toContain(
      "invocation_started_at >= getdate() - interval '7 days'",
    );
  });
});

describe.each(Object.entries(WAREHOUSES))('audit views on %s', (_label, warehouse) => {
  it('are created with a new audit log and answer from its rows', async () => {
    const tables = freshTables();
    const batch = batchRunNow();
    await warehouse.sink(tables).write(batch);
    const schema = tables.log.schema;

    const latest = await warehouse.query(
      `select unique_id, status from "${schema}"."audit_latest_status" order by unique_id`,
    );
    expect(latest).toEqual(batch.nodes.map((row) => ({ unique_id: row.unique_id, status: row.status })));
    const failures = await warehouse.query(`select unique_id, message from "${schema}"."audit_recent_failures"`);
    expect(failures).toEqual([{ unique_id: 'model.orders.m_2', message: 'relation "raw.orders" does not exist' }]);
    const trend = await warehouse.query(
      `select unique_id, runs from "${schema}"."audit_model_duration_trend" order by unique_id`,
    );
    expect(trend.map((row) => [row.unique_id, Number(row.runs)])).toEqual([
      ['model.orders.m_0', 1],
      ['model.orders.m_1', 1],
    ]);

    // A second upload finds the views and creates nothing (a CREATE VIEW would fail: no IF NOT EXISTS).
    const second = batchRunNow();
    await warehouse.sink(tables).write(second);
    const counts = await warehouse.query(`select count(*) as n from "${schema}"."audit_latest_status"`);
    expect(Number(counts[0]?.n)).toBe(3);
  });

  it('audit_latest_status keeps only the nodes the latest full build ran, and no hooks', async () => {
    const tables = freshTables();
    const { schema } = tables.log;
    /** A build at `time` of the nodes m_<index>, with a selection or none. */
    const build = (time: string, indexes: number[], selection: string | null, status = 'success') => {
      const batch = syntheticBatch(Math.max(...indexes) + 1);
      batch.nodes = batch.nodes.filter((_row, index) => indexes.includes(index));
      for (const row of batch.nodes) Object.assign(row, { invocation_started_at: `${time}.000100`, started_at: time });
      Object.assign(batch.invocation, { started_at: `${time}.000000`, selection, status });
      return batch;
    };
    const first = build('2026-11-20 05:00:00', [0, 1, 2], null);
    // The on-run-end hook's own result, as run_results.json has it.
    first.nodes.push({
      ...(first.nodes[0] as (typeof first.nodes)[number]),
      load_id: `${first.invocationId}.operation.orders.orders-on-run-end-0`,
      unique_id: 'operation.orders.orders-on-run-end-0',
      name: 'orders-on-run-end-0',
      resource_type: 'operation',
    });
    await warehouse.sink(tables).write(first);
    // m_2 deleted: the next full build runs m_0 and m_1 only; then a selection runs m_0, and a new m_3.
    await warehouse.sink(tables).write(build('2026-11-21 05:00:00', [0, 1], null));
    await warehouse.sink(tables).write(build('2026-11-21 06:00:00', [0, 3], '--select m_0 m_3'));
    // Neither a build that errored nor a selection says what the project has.
    await warehouse.sink(tables).write(build('2026-11-21 07:00:00', [1], null, 'error'));
    await warehouse.sink(tables).write(build('2026-11-21 08:00:00', [1], '--select m_1'));

    const latest = await warehouse.query(
      `select unique_id, cast(invocation_started_at as varchar) as started from "${schema}"."audit_latest_status" order by unique_id`,
    );
    expect(latest.map((row) => [row.unique_id, String(row.started).slice(0, 19)])).toEqual([
      ['model.orders.m_0', '2026-11-21 06:00:00'],
      ['model.orders.m_1', '2026-11-21 08:00:00'],
      ['model.orders.m_3', '2026-11-21 06:00:00'],
    ]);
  });

  it('that exist already (dbt built them) are left as they are', async () => {
    const tables = freshTables();
    const { schema } = tables.log;
    await warehouse.sink(tables).write(batchRunNow());
    await warehouse.query(`drop view "${schema}"."audit_recent_failures"`);
    await warehouse.query(`create view "${schema}"."audit_recent_failures" as select 'built by dbt' as origin`);
    await warehouse.sink(tables).write(batchRunNow());
    expect(await warehouse.query(`select origin from "${schema}"."audit_recent_failures"`)).toEqual([
      { origin: 'built by dbt' },
    ]);
  });
});
