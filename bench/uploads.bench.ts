/**
 * Concurrent audit uploads benchmark (npm run bench; BENCH_UPLOADS, default 20
 * concurrent uploads; BENCH_UPLOAD_NODES, default 5,000 nodes each;
 * BENCH_RECORD_NODES, default 50,000). For each sink that writes through SQL
 * (PostgresAuditSink on the test PostgreSQL, RedshiftAuditSink through the
 * Redshift Data API fake over the same PostgreSQL):
 *   distinct  20 uploads at once of 20 invocations into a schema that does not
 *             exist yet (every upload is a first upload: all create the tables)
 *   repeated  20 uploads at once of 4 invocations, each uploaded 5 times (a
 *             retried or re-recorded run), into the tables the first round made
 * Each round must leave every node exactly once (rows per invocation counted
 * in the database, load_id distinct) and one invocation row each, with no
 * upload failing; throughput is the rows uploaded over the round's wall time.
 * Then one 50,000-node run is recorded the real way (read run_results.json and
 * manifest.json through src/run/collect.ts, write through the sink) in a
 * process of its own on the compiled kit, whose peak RSS is read back (goal:
 * at most 300 MB). Results: bench/results/uploads.json (or BENCH_UPLOADS_RESULTS),
 * written before anything is asserted, so a failing round is recorded too.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { PostgresAuditSink } from '../src/audit/sinks/postgres.js';
import { RedshiftAuditSink } from '../src/audit/sinks/redshift.js';
import type { AuditBatch, AuditSink, AuditTables } from '../src/audit/sinks/types.js';
import { kitVersion } from '../src/version.js';
import { syntheticBatch } from '../test/harness/audit-batch.js';
import { FakeDataApi } from '../test/harness/redshift-data-fake.js';
import { writeSyntheticArtifacts } from './synthetic-artifacts.js';

const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 20);
const NODES = Number(process.env.BENCH_UPLOAD_NODES ?? 5000);
const RECORD_NODES = Number(process.env.BENCH_RECORD_NODES ?? 50_000);
/** In the repeated round, each invocation is uploaded this many times at once. */
const REPEATS = 5;
const RSS_GOAL_BYTES = 300 * 1024 * 1024;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = path.resolve(
  process.env.BENCH_UPLOADS_RESULTS ?? fileURLToPath(new URL('./results/uploads.json', import.meta.url)),
);

type SinkKind = 'postgres' | 'redshift-data';
const SINKS: SinkKind[] = ['postgres', 'redshift-data'];

const report = {
  benchmark: 'uploads',
  kit_version: kitVersion(),
  measured_at: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model,
    node: process.version,
    // The machine is shared: its 1-minute load when the benchmark started and at each save.
    load_average_at_start: os.loadavg()[0],
    load_average_at_save: os.loadavg()[0],
  },
  goal: { exactly_once: true, errors: 0, record_peak_rss_bytes: RSS_GOAL_BYTES },
  note: 'Both sinks write to the same local PostgreSQL (the Data API fake runs the SQL there): throughput compares the kit, not Redshift.',
  rounds: [] as RoundResult[],
  record: [] as RecordResult[],
};

async function save(): Promise<void> {
  report.machine.load_average_at_save = os.loadavg()[0];
  await mkdir(path.dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
}

const tablesIn = (schema: string): AuditTables => ({
  log: { schema, table: 'dbt_audit_log' },
  invocations: { schema, table: 'dbt_audit_invocations' },
});

let fake: FakeDataApi;
let endpoint: string;
const target = () => ({
  clusterIdentifier: 'bench',
  database: inject('postgres').database,
  region: 'eu-west-1',
  dbUser: 'bench',
});

function sinkFor(kind: SinkKind, tables: AuditTables): AuditSink {
  if (kind === 'postgres') return new PostgresAuditSink(inject('postgres'), tables);
  const client = new RedshiftDataClient({
    region: 'eu-west-1',
    endpoint,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  return new RedshiftAuditSink(client, target(), tables, { pollStartMs: 50, pollMaxMs: 1000 });
}

beforeAll(async () => {
  fake = new FakeDataApi({ postgres: inject('postgres'), clusters: ['bench'], startDelayMs: 5 });
  endpoint = await fake.start();
});
afterAll(async () => {
  await fake?.stop();
});

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client(inject('postgres'));
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Rows per invocation as the database holds them: node rows, distinct load ids, invocation rows. */
async function countsByInvocation(tables: AuditTables) {
  const quoted = (ref: { schema: string; table: string }) => `"${ref.schema}"."${ref.table}"`;
  const exists = await query<{ n: string }>(
    `select count(*) as n from information_schema.tables where table_schema = '${tables.log.schema}'`,
  );
  if (Number(exists[0]?.n) < 2) return new Map<string, { rows: number; loadIds: number; invocationRows: number }>();
  const nodes = await query<{ invocation_id: string; rows: string; load_ids: string }>(
    `select invocation_id, count(*) as rows, count(distinct load_id) as load_ids from ${quoted(tables.log)} group by invocation_id`,
  );
  const invocations = await query<{ invocation_id: string; n: string }>(
    `select invocation_id, count(*) as n from ${quoted(tables.invocations)} group by invocation_id`,
  );
  const counts = new Map<string, { rows: number; loadIds: number; invocationRows: number }>();
  for (const row of nodes) {
    counts.set(row.invocation_id, { rows: Number(row.rows), loadIds: Number(row.load_ids), invocationRows: 0 });
  }
  for (const row of invocations) {
    const entry = counts.get(row.invocation_id) ?? { rows: 0, loadIds: 0, invocationRows: 0 };
    counts.set(row.invocation_id, { ...entry, invocationRows: Number(row.n) });
  }
  return counts;
}

interface RoundResult {
  sink: SinkKind;
  round: 'distinct' | 'repeated';
  uploads: number;
  invocations: number;
  nodes_per_upload: number;
  rows_uploaded: number;
  rows_of_successful_uploads: number;
  wall_s: number;
  rows_per_s: number;
  failed_uploads: number;
  errors: string[];
  error_count_by_message: Record<string, number>;
  /** Invocations whose rows are not exactly its nodes once (missing, duplicated, or no single invocation row). */
  not_exactly_once: { invocation_id: string; rows: number; load_ids: number; invocation_rows: number }[];
  exactly_once: boolean;
}

/** Uploads every batch at once (repeats included), then counts what the database holds. */
async function round(
  kind: SinkKind,
  name: RoundResult['round'],
  tables: AuditTables,
  batches: AuditBatch[],
  uploads: AuditBatch[],
): Promise<RoundResult> {
  const started = process.hrtime.bigint();
  const settled = await Promise.allSettled(uploads.map((batch) => sinkFor(kind, tables).write(batch)));
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  // Statement ids made the same failure read as many.
  const errors = settled.flatMap((outcome) =>
    outcome.status === 'rejected'
      ? [
          String((outcome.reason as Error)?.message ?? outcome.reason).replace(
            /statement [0-9a-f-]{36}/g,
            'statement <id>',
          ),
        ]
      : [],
  );
  const counts = await countsByInvocation(tables);
  const notExactlyOnce = batches.flatMap((batch) => {
    const count = counts.get(batch.invocationId) ?? { rows: 0, loadIds: 0, invocationRows: 0 };
    const once =
      count.rows === batch.nodes.length && count.loadIds === batch.nodes.length && count.invocationRows === 1;
    return once
      ? []
      : [
          {
            invocation_id: batch.invocationId,
            rows: count.rows,
            load_ids: count.loadIds,
            invocation_rows: count.invocationRows,
          },
        ];
  });
  const rows = uploads.reduce((sum, batch) => sum + batch.nodes.length, 0);
  const written = uploads.reduce(
    (sum, batch, index) => sum + (settled[index]?.status === 'fulfilled' ? batch.nodes.length : 0),
    0,
  );
  return {
    sink: kind,
    round: name,
    uploads: uploads.length,
    invocations: batches.length,
    nodes_per_upload: NODES,
    rows_uploaded: rows,
    rows_of_successful_uploads: written,
    wall_s: wall,
    /** Rows of the uploads that succeeded, over the round's wall time. */
    rows_per_s: Math.round(written / wall),
    failed_uploads: errors.length,
    errors: [...new Set(errors)],
    error_count_by_message: Object.fromEntries(
      [...new Set(errors)].map((e) => [e, errors.filter((x) => x === e).length]),
    ),
    not_exactly_once: notExactlyOnce,
    exactly_once: notExactlyOnce.length === 0,
  };
}

it(`uploads ${UPLOADS} batches of ${NODES.toLocaleString('en-US')} nodes at once, each node exactly once`, async () => {
  for (const kind of SINKS) {
    // A schema nobody created: every upload of the first round finds the tables missing.
    const tables = tablesIn(`bench_up_${randomBytes(4).toString('hex')}`);
    const distinct = Array.from({ length: UPLOADS }, () => syntheticBatch(NODES));
    const first = await round(kind, 'distinct', tables, distinct, distinct);
    report.rounds.push(first);
    console.log(JSON.stringify(first));
    await save();

    const repeatedIds = Array.from({ length: Math.max(1, Math.floor(UPLOADS / REPEATS)) }, () => syntheticBatch(NODES));
    const uploads = Array.from(
      { length: UPLOADS },
      (_, index) => repeatedIds[index % repeatedIds.length] as AuditBatch,
    );
    const second = await round(kind, 'repeated', tables, repeatedIds, uploads);
    report.rounds.push(second);
    console.log(JSON.stringify(second));
    await save();
  }
  // Asserted once everything was measured and saved: a failure names each round's outcome.
  for (const result of report.rounds) {
    const label = `${result.sink} ${result.round}`;
    expect(result.errors, label).toEqual([]);
    expect(result.not_exactly_once, label).toEqual([]);
  }
});

interface RecordResult {
  sink: SinkKind;
  nodes: number;
  run_results_bytes: number;
  manifest_bytes: number;
  rows_recorded: number;
  rows_in_database: number;
  collect_s: number;
  write_s: number;
  rows_per_s: number;
  /** The peak once the batch was built, before the sink wrote it. */
  collect_peak_rss_mb: number;
  peak_rss_bytes: number;
  peak_rss_mb: number;
  within_goal: boolean;
}

it(`records one ${RECORD_NODES.toLocaleString('en-US')}-node run in a process of at most 300 MB`, async () => {
  // The child runs the compiled kit, as dbt-run does.
  if (!existsSync(path.join(ROOT, 'dist/run/collect.js'))) await execa('npm', ['run', 'build'], { cwd: ROOT });
  const work = await mkdtemp(path.join(os.tmpdir(), 'bench-uploads-'));
  try {
    const targetDir = path.join(work, 'target');
    const project = 'bench';
    for (const kind of SINKS) {
      const invocationId = `inv-${randomBytes(6).toString('hex')}`;
      const sizes = await writeSyntheticArtifacts(targetDir, project, RECORD_NODES, invocationId);
      const tables = tablesIn(`bench_rec_${randomBytes(4).toString('hex')}`);
      const job = {
        targetDir,
        project,
        sink: kind,
        tables,
        connection: inject('postgres'),
        endpoint,
        target: target(),
      };
      const child = await execa(process.execPath, [path.join(ROOT, 'bench/record-run.mjs'), JSON.stringify(job)], {
        cwd: ROOT,
        reject: false,
        all: true,
      });
      expect(child.exitCode, child.all).toBe(0);
      const measured = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}');
      const counts = (await countsByInvocation(tables)).get(invocationId);
      const entry: RecordResult = {
        sink: kind,
        nodes: RECORD_NODES,
        run_results_bytes: sizes.runResultsBytes,
        manifest_bytes: sizes.manifestBytes,
        rows_recorded: measured.rows,
        rows_in_database: counts?.rows ?? 0,
        collect_s: measured.collect_s,
        write_s: measured.write_s,
        rows_per_s: Math.round(measured.rows / measured.write_s),
        collect_peak_rss_mb: Math.round((measured.collect_peak_rss_bytes / 1024 / 1024) * 10) / 10,
        peak_rss_bytes: measured.peak_rss_bytes,
        peak_rss_mb: Math.round((measured.peak_rss_bytes / 1024 / 1024) * 10) / 10,
        within_goal: measured.peak_rss_bytes <= RSS_GOAL_BYTES,
      };
      report.record.push(entry);
      console.log(JSON.stringify(entry));
      await save();
      expect(measured.invocation_id).toBe(invocationId);
      expect(counts).toEqual({ rows: RECORD_NODES, loadIds: RECORD_NODES, invocationRows: 1 });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  for (const entry of report.record) expect(entry.peak_rss_bytes, entry.sink).toBeLessThanOrEqual(RSS_GOAL_BYTES);
});
