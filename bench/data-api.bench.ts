/**
 * Redshift Data API upload benchmark (npm run bench; sizes from
 * BENCH_DATA_API_SIZES, default 1000,10000,50000 nodes): for one invocation
 * of N nodes, the Data API calls the sink makes (BatchExecuteStatement,
 * ExecuteStatement, DescribeStatement), the SQL statements and bytes sent,
 * the largest statement, and the upload's wall time against the test fake
 * (the real SDK client over HTTP, SQL run on the test PostgreSQL). Goal:
 * 10,000 nodes in at most 3 batch executions. Results:
 * bench/results/data-api.json (or BENCH_DATA_API_RESULTS).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { expect, inject, it } from 'vitest';
import { RedshiftAuditSink } from '../src/audit/sinks/redshift.js';
import { DATA_API_LIMITS } from '../src/redshift/data-api.js';
import { kitVersion } from '../src/version.js';
import { syntheticBatch } from '../test/harness/audit-batch.js';
import { FakeDataApi } from '../test/harness/redshift-data-fake.js';

const SIZES = (process.env.BENCH_DATA_API_SIZES ?? '1000,10000,50000').split(',').map(Number);
const RESULTS = path.resolve(
  process.env.BENCH_DATA_API_RESULTS ?? fileURLToPath(new URL('./results/data-api.json', import.meta.url)),
);

it('measures Data API calls, batches, bytes and upload time per invocation size', async () => {
  const postgres = inject('postgres');
  const fake = new FakeDataApi({ postgres, clusters: ['bench'], startDelayMs: 5 });
  const endpoint = await fake.start();
  const client = new RedshiftDataClient({
    region: 'eu-west-1',
    endpoint,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const target = { clusterIdentifier: 'bench', database: postgres.database, region: 'eu-west-1', dbUser: 'bench' };
  const uploads: unknown[] = [];
  try {
    for (const nodes of SIZES) {
      const schema = `bench_${randomBytes(4).toString('hex')}`;
      const tables = {
        log: { schema, table: 'dbt_audit_log' },
        invocations: { schema, table: 'dbt_audit_invocations' },
      };
      const sink = new RedshiftAuditSink(client, target, tables, { pollStartMs: 50, pollMaxMs: 1000 });
      const batch = syntheticBatch(nodes);
      const first = fake.calls.length;
      const started = process.hrtime.bigint();
      await sink.write(batch);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const calls = fake.calls.slice(first);
      const batches = calls.filter((call) => call.operation === 'BatchExecuteStatement');
      const statements = batches.flatMap((call) => call.sqlBytes);
      const entry = {
        nodes,
        batch_executions: batches.length,
        execute_statements: calls.filter((call) => call.operation === 'ExecuteStatement').length,
        describe_statements: calls.filter((call) => call.operation === 'DescribeStatement').length,
        sql_statements: statements.length,
        sql_bytes: statements.reduce((sum, bytes) => sum + bytes, 0),
        largest_statement_bytes: Math.max(...statements),
        upload_s: seconds,
      };
      for (const bytes of statements) expect(bytes).toBeLessThanOrEqual(DATA_API_LIMITS.maxSqlBytes);
      for (const call of batches) expect(call.sqlBytes.length).toBeLessThanOrEqual(DATA_API_LIMITS.maxBatchStatements);
      if (nodes === 10_000) expect(entry.batch_executions).toBeLessThanOrEqual(3);
      uploads.push(entry);
      console.log(JSON.stringify(entry));
    }
  } finally {
    await fake.stop();
  }
  await mkdir(path.dirname(RESULTS), { recursive: true });
  await writeFile(
    RESULTS,
    `${JSON.stringify(
      {
        benchmark: 'data-api',
        kit_version: kitVersion(),
        measured_at: new Date().toISOString(),
        machine: { cpus: os.cpus().length, node: process.version },
        limits: DATA_API_LIMITS,
        goal: { batch_executions_at_10000: 3 },
        note: 'Upload time is against the local fake (SQL on PostgreSQL); on Redshift each batch also waits for the cluster.',
        uploads,
      },
      null,
      2,
    )}\n`,
  );
});
