/**
 * Issue 15, item 4: uploads that race. Four first-time writers of one audit
 * schema at once (CREATE SCHEMA/TABLE/VIEW collided: 1 of 4 succeeded), one
 * invocation uploaded four times at once (6 rows for 3 nodes), on the test
 * Postgres and through the Data API fake; a DuckDB file another process
 * holds; and a run's upload racing a flush over the spool.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DuckDbAuditSink } from '../../src/audit/sinks/duckdb.js';
import {
  claimSpooled,
  releaseAbandonedClaims,
  spoolBatch,
  spoolClaimed,
  spooledIds,
} from '../../src/audit/sinks/index.js';
import { PostgresAuditSink } from '../../src/audit/sinks/postgres.js';
import { RedshiftAuditSink } from '../../src/audit/sinks/redshift.js';
import type { AuditSink, AuditTables } from '../../src/audit/sinks/types.js';
import { queryDuckDb } from '../../src/warehouse/duckdb.js';
import { syntheticBatch } from '../harness/audit-batch.js';
import { queryPostgres, tempDir } from '../harness/product.js';
import { FakeDataApi } from '../harness/redshift-data-fake.js';

const postgres = inject('postgres');
const fake = new FakeDataApi({ postgres, clusters: ['analytics'], startDelayMs: 5 });
let dataApi: RedshiftDataClient;

beforeAll(async () => {
  dataApi = new RedshiftDataClient({
    region: 'eu-west-1',
    endpoint: await fake.start(),
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});
afterAll(() => fake.stop());

function freshTables(): AuditTables {
  const schema = `race_${randomBytes(4).toString('hex')}`;
  return { log: { schema, table: 'dbt_audit_log' }, invocations: { schema, table: 'dbt_audit_invocations' } };
}

const SINKS: { label: string; make: (tables: AuditTables) => AuditSink }[] = [
  { label: 'Postgres', make: (tables) => new PostgresAuditSink(postgres, tables) },
  {
    label: 'Data API fake',
    make: (tables) =>
      new RedshiftAuditSink(
        dataApi,
        { clusterIdentifier: 'analytics', database: postgres.database, region: 'eu-west-1', dbUser: 'orders' },
        tables,
        { pollStartMs: 5, pollMaxMs: 50 },
      ),
  },
];

async function rowsPerInvocation(tables: AuditTables) {
  const count = async (ref: AuditTables['log']) =>
    Object.fromEntries(
      (
        await queryPostgres<{ invocation_id: string; n: string }>(
          `select invocation_id, count(*) as n from "${ref.schema}"."${ref.table}" group by invocation_id`,
        )
      ).map((row) => [row.invocation_id, Number(row.n)]),
    );
  return { log: await count(tables.log), invocations: await count(tables.invocations) };
}

describe.each(SINKS)('racing uploads, $label', ({ make }) => {
  it('four first-time writers of one new audit schema all succeed, each invocation once', async () => {
    const tables = freshTables();
    const batches = Array.from({ length: 4 }, () => syntheticBatch(3));
    const outcomes = await Promise.allSettled(batches.map((batch) => make(tables).write(batch)));
    expect(outcomes.map((outcome) => (outcome.status === 'rejected' ? String(outcome.reason) : 'ok'))).toEqual(
      Array(4).fill('ok'),
    );
    const rows = await rowsPerInvocation(tables);
    for (const batch of batches) {
      expect(rows.log[batch.invocationId]).toBe(3);
      expect(rows.invocations[batch.invocationId]).toBe(1);
    }
    // The analyst views were created once, by whichever writer came first.
    const views = await queryPostgres(`select table_name from information_schema.views where table_schema = $1`, [
      tables.log.schema,
    ]);
    expect(views.length).toBeGreaterThan(0);
  });

  it('one invocation uploaded four times at once leaves its rows once', async () => {
    const tables = freshTables();
    await make(tables).write(syntheticBatch(1)); // the tables exist: the race is on the rows alone
    const batch = syntheticBatch(3);
    await Promise.all(Array.from({ length: 4 }, () => make(tables).write(batch)));
    const rows = await rowsPerInvocation(tables);
    expect(rows.log[batch.invocationId]).toBe(3);
    expect(rows.invocations[batch.invocationId]).toBe(1);
  });
});

describe('racing uploads, DuckDB', () => {
  it('waits while another process holds the file, then writes', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'warehouse.duckdb');
    // Another process opens the file for writing and keeps it for two seconds (dbt of a concurrent run would).
    const holder = promisify(execFile)(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api';
         const instance = await DuckDBInstance.create(${JSON.stringify(file)});
         console.log('holding');
         setTimeout(() => instance.closeSync(), 2000);`,
      ],
      { cwd: process.cwd() },
    );
    // Until the holder has the file, nothing is racing yet.
    for (let tries = 0; tries < 100; tries++) {
      const held = await queryDuckDb(file, 'select 1').then(
        () => false,
        (error: Error) => /lock/i.test(error.message),
      );
      if (held) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const tables = freshTables();
    const batch = syntheticBatch(3);
    const started = Date.now();
    await new DuckDbAuditSink(file, tables).write(batch);
    expect(Date.now() - started).toBeGreaterThan(200);
    await holder;
    const rows = await queryDuckDb(
      file,
      `select count(*)::int as n from "${tables.log.schema}"."${tables.log.table}" where invocation_id = '${batch.invocationId}'`,
    );
    expect(rows).toEqual([{ n: 3 }]);
  });
});

describe('the spool: one sender per upload', () => {
  it('of a run sending its upload and a flush, only the run has it; of two flushes, one; a dead sender’s claim returns', async () => {
    const targetDir = path.join(await tempDir(), 'target');
    await mkdir(targetDir, { recursive: true });
    const running = syntheticBatch(2);
    await spoolClaimed(targetDir, running);
    // A flush sees nothing to claim for an upload a run is sending.
    expect(await spooledIds(targetDir)).toEqual([]);
    expect(await claimSpooled(targetDir, running.invocationId)).toBeUndefined();

    const waiting = syntheticBatch(2);
    await spoolBatch(targetDir, waiting);
    const claims = await Promise.all([
      claimSpooled(targetDir, waiting.invocationId),
      claimSpooled(targetDir, waiting.invocationId),
    ]);
    expect(claims.filter(Boolean)).toHaveLength(1);

    // A claim left by a process that died (kill -9 in mid-upload) is waiting again at the next flush.
    const dead = await promisify(execFile)(process.execPath, ['-e', 'console.log(process.pid)']);
    const abandoned = syntheticBatch(1);
    const sending = path.join(targetDir, 'dbt-product-kit', 'sending');
    await spoolBatch(targetDir, abandoned);
    await rename(
      path.join(targetDir, 'dbt-product-kit', 'spool', `${abandoned.invocationId}.jsonl`),
      path.join(sending, `${abandoned.invocationId}.${dead.stdout.trim()}.jsonl`),
    );
    expect(await releaseAbandonedClaims(targetDir)).toBe(1);
    expect(await spooledIds(targetDir)).toEqual([abandoned.invocationId]);
    // Claims of live processes (this one) stay where they are.
    expect((await readdir(sending)).sort()).toEqual(
      [`${running.invocationId}.${process.pid}.jsonl`, `${waiting.invocationId}.${process.pid}.jsonl`].sort(),
    );
  });
});
