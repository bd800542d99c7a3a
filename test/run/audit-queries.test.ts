/**
 * `dbt-run audit runs|failures|slowest|history|flaky|freshness` in-process
 * on a known audit history (test/harness/audit-history.ts), seeded through
 * the sinks into DuckDB, the test PostgreSQL, and the Redshift Data API fake
 * (the real SDK client; SQL run on that PostgreSQL): each question's exact
 * rows in --format json on all three, CSV, the aligned table, an empty
 * window, a missing table, a missing analyst view, and bad flags.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { DuckDbAuditSink } from '../../src/audit/sinks/duckdb.js';
import { PostgresAuditSink } from '../../src/audit/sinks/postgres.js';
import { RedshiftAuditSink } from '../../src/audit/sinks/redshift.js';
import type { AuditSink, AuditTables } from '../../src/audit/sinks/types.js';
import { main } from '../../src/run/cli.js';
import type { RunnerIo } from '../../src/run/io.js';
import { queryDuckDb } from '../../src/warehouse/duckdb.js';
import {
  answeredTime,
  PAYMENTS_ERROR_RUN,
  PAYMENTS_MESSAGE,
  RUN_COUNT,
  runStatus,
  STALE_MESSAGE,
  seedBatch,
  seedRuns,
} from '../harness/audit-history.js';
import { queryPostgres, scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { FakeDataApi } from '../harness/redshift-data-fake.js';

const postgres = inject('postgres');
const fake = new FakeDataApi({ postgres, clusters: ['analytics'], startDelayMs: 5 });
let fakeEndpoint: string;
let product: TestProduct;
/** The history's base time, whole seconds: every seeded time is this minus whole hours. */
const base = new Date(Math.floor(Date.now() / 1000) * 1000);

interface Backend {
  label: string;
  target: string;
  /** DBT_SCHEMA: each backend its own audit schema (`<this>_audit`). */
  schema: () => string;
  env: () => Record<string, string>;
  sink(tables: AuditTables): AuditSink;
  dropLatestStatusView(tables: AuditTables): Promise<void>;
}

const tablesOf = (schema: string): AuditTables => ({
  log: { schema: `${schema}_audit`, table: 'dbt_audit_log' },
  invocations: { schema: `${schema}_audit`, table: 'dbt_audit_invocations' },
});

const BACKENDS: Backend[] = [
  {
    label: 'DuckDB',
    target: 'local',
    schema: () => product.schema,
    env: () => ({}),
    sink: (tables) => new DuckDbAuditSink(product.duckdbPath, tables),
    dropLatestStatusView: async (tables) => {
      await queryDuckDb(product.duckdbPath, `drop view "${tables.log.schema}".audit_latest_status`, {
        readOnly: false,
      });
    },
  },
  {
    label: 'Postgres',
    target: 'postgres',
    schema: () => `${product.schema}_pg`,
    env: () => ({}),
    sink: (tables) => new PostgresAuditSink(postgres, tables),
    dropLatestStatusView: async (tables) => {
      await queryPostgres(`drop view "${tables.log.schema}".audit_latest_status`);
    },
  },
  {
    label: 'Redshift (Data API fake)',
    target: 'prod',
    schema: () => `${product.schema}_rs`,
    env: () => ({
      DBT_REDSHIFT_HOST: 'analytics.c1abc2def3gh.eu-west-1.redshift.amazonaws.com',
      DBT_ENV_SECRET_REDSHIFT_PASSWORD: 'unused-by-the-data-api',
      AWS_ENDPOINT_URL_REDSHIFT_DATA: fakeEndpoint,
    }),
    sink: (tables) =>
      new RedshiftAuditSink(
        new RedshiftDataClient({
          region: 'eu-west-1',
          endpoint: fakeEndpoint,
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        }),
        { clusterIdentifier: 'analytics', database: postgres.database, region: 'eu-west-1', dbUser: 'shop' },
        tables,
        { pollStartMs: 5, pollMaxMs: 50 },
      ),
    dropLatestStatusView: async (tables) => {
      await queryPostgres(`drop view "${tables.log.schema}".audit_latest_status`);
    },
  },
];

/** The manifest a build left: where the failing nodes' compiled SQL is. */
const MANIFEST = {
  metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json' },
  nodes: {
    'model.shop.payments': {
      package_name: 'shop',
      original_file_path: 'models/marts/payments.sql',
      path: 'marts/payments.sql',
    },
    'test.shop.unique_orders_id': {
      package_name: 'shop',
      original_file_path: 'models/marts/schema.yml',
      path: 'unique_orders_id.sql',
    },
  },
};

beforeAll(async () => {
  fakeEndpoint = await fake.start();
  product = await scaffoldTestProduct({ name: 'shop' });
  await mkdir(path.join(product.dir, 'target'), { recursive: true });
  await writeFile(path.join(product.dir, 'target', 'manifest.json'), JSON.stringify(MANIFEST));
  // The SDK reads credentials from the process; the endpoint comes from the command's environment.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  for (const backend of BACKENDS) {
    const sink = backend.sink(tablesOf(backend.schema()));
    for (const run of seedRuns()) await sink.write(seedBatch(run, base));
  }
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await product?.cleanup();
  await fake.stop();
});

async function dbtRun(backend: Backend, args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: RunnerIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { ...product.env, DBT_SCHEMA: backend.schema(), ...backend.env(), ...env },
    cwd: product.dir,
  };
  const exitCode = await main(['audit', ...args, '--target', backend.target], io);
  return { exitCode, stdout, stderr };
}

async function json(backend: Backend, args: string[]): Promise<unknown[]> {
  const result = await dbtRun(backend, [...args, '--format', 'json']);
  expect(result.exitCode, result.stderr).toBe(0);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout);
}

const runs = seedRuns();
const shopRun = (index: number) => runs.find((run) => run.invocationId === `inv-${String(index).padStart(2, '0')}`);
const url = (index: number) => `https://github.com/acme/shop/actions/runs/${1000 + index}`;
const at = (index: number) => answeredTime(base, index * 6 + 1);
const regexpOf = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.each(BACKENDS)('dbt-run audit on $label', (backend) => {
  it('runs: every invocation of the last 7 days, newest first; --product and --env filter', async () => {
    const expected = runs
      .filter((run) => run.hoursAgo < 7 * 24)
      .sort((a, b) => a.hoursAgo - b.hoursAgo)
      .map((run) => ({
        started_at: answeredTime(base, run.hoursAgo),
        invocation_id: run.invocationId,
        product_name: run.product,
        target_name: run.target,
        command: 'build',
        status: runStatus(run),
        exit_code: runStatus(run) === 'failed' ? 1 : 0,
        elapsed_seconds: run.elapsed,
        nodes_total: run.nodes.length,
        nodes_failed: run.nodes.filter((node) => node.status === 'error' || node.status === 'fail').length,
        nodes_skipped: run.nodes.filter((node) => node.status === 'skipped').length,
        run_url: run.runUrl,
      }));
    expect(expected).toHaveLength(RUN_COUNT + 1);
    expect(expected.slice(0, 3).map((run) => run.invocation_id)).toEqual(['inv-00', 'other-00', 'inv-01']);
    expect(expected.find((run) => run.invocation_id === 'inv-03')).toMatchObject({
      status: 'failed',
      nodes_failed: 1,
      nodes_skipped: 1,
    });
    expect(await json(backend, ['runs'])).toEqual(expected);
    expect(await json(backend, ['runs', '--product', 'other'])).toEqual([expected[1]]);
    expect(await json(backend, ['runs', '--env', 'prod', '--since', '20h'])).toEqual([
      expected[0],
      expected[2],
      expected[3],
      expected[4],
    ]);
  });

  it('failures: errors and failed tests with message, compiled SQL path and run link', async () => {
    const uniqueFailed = (index: number) => ({
      started_at: at(index),
      invocation_id: `inv-0${index}`,
      product_name: 'shop',
      target_name: 'prod',
      unique_id: 'test.shop.unique_orders_id',
      resource_type: 'test',
      status: 'fail',
      failures: 2,
      message: 'Got 2 results, configured to fail if != 0',
      compiled_path: 'target/compiled/shop/models/marts/schema.yml/unique_orders_id.sql',
      run_url: url(index),
    });
    expect(await json(backend, ['failures'])).toEqual([
      {
        started_at: at(0),
        invocation_id: 'inv-00',
        product_name: 'shop',
        target_name: 'prod',
        unique_id: 'source.shop.raw.orders',
        resource_type: 'source',
        status: 'error',
        failures: null,
        message: STALE_MESSAGE,
        compiled_path: null,
        run_url: url(0),
      },
      uniqueFailed(2),
      {
        started_at: at(PAYMENTS_ERROR_RUN),
        invocation_id: 'inv-03',
        product_name: 'shop',
        target_name: 'prod',
        unique_id: 'model.shop.payments',
        resource_type: 'model',
        status: 'error',
        failures: null,
        message: PAYMENTS_MESSAGE,
        compiled_path: 'target/compiled/shop/models/marts/payments.sql',
        run_url: url(3),
      },
      uniqueFailed(7),
      uniqueFailed(8),
    ]);
  });

  it('slowest: median and p95 over the window, against the window before; --top', async () => {
    const shop = [
      {
        product_name: 'shop',
        unique_id: 'model.shop.orders',
        runs: 20,
        median_seconds: 2.5,
        p95_seconds: 4,
        previous_median_seconds: 2,
        change_percent: 25,
      },
      {
        product_name: 'shop',
        unique_id: 'model.shop.payments',
        runs: 19,
        median_seconds: 1.5,
        p95_seconds: 1.5,
        previous_median_seconds: null,
        change_percent: null,
      },
      {
        product_name: 'shop',
        unique_id: 'model.shop.customers',
        runs: 20,
        median_seconds: 0.5,
        p95_seconds: 0.5,
        previous_median_seconds: 1,
        change_percent: -50,
      },
      {
        product_name: 'shop',
        unique_id: 'seed.shop.raw_orders',
        runs: 20,
        median_seconds: 0.25,
        p95_seconds: 0.25,
        previous_median_seconds: null,
        change_percent: null,
      },
    ];
    const other = {
      product_name: 'other',
      unique_id: 'model.other.things',
      runs: 1,
      median_seconds: 9,
      p95_seconds: 9,
      previous_median_seconds: null,
      change_percent: null,
    };
    expect(await json(backend, ['slowest'])).toEqual([other, ...shop]);
    expect(await json(backend, ['slowest', '--top', '2', '--product', 'shop'])).toEqual(shop.slice(0, 2));
  });

  it('history: one node by name or unique_id, newest first; an ambiguous name is refused', async () => {
    const payments = Array.from({ length: RUN_COUNT }, (_, index) => ({
      started_at: at(index),
      invocation_id: `inv-${String(index).padStart(2, '0')}`,
      target_name: 'prod',
      unique_id: 'model.shop.payments',
      status: index === PAYMENTS_ERROR_RUN ? 'error' : 'success',
      execution_seconds: index === PAYMENTS_ERROR_RUN ? 0.05 : 1.5,
      rows_affected: index === PAYMENTS_ERROR_RUN ? 0 : 7,
      failures: null,
      run_url: url(index),
    }));
    expect(await json(backend, ['history', 'payments'])).toEqual(payments);
    expect(await json(backend, ['history', 'model.shop.payments'])).toEqual(payments);
    const orders = await json(backend, ['history', 'model.shop.orders', '--since', '24h']);
    expect(orders).toEqual(
      [0, 1, 2, 3].map((index) => ({
        started_at: at(index),
        invocation_id: `inv-0${index}`,
        target_name: 'prod',
        unique_id: 'model.shop.orders',
        status: 'success',
        execution_seconds: shopRun(index)?.nodes[0]?.execution_time,
        rows_affected: 100 + index,
        failures: null,
        run_url: url(index),
      })),
    );
    const ambiguous = await dbtRun(backend, ['history', 'orders']);
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.stdout).toBe('');
    expect(ambiguous.stderr).toBe(
      'error: "orders" names 2 nodes (model.shop.orders, source.shop.raw.orders): give its unique_id\n',
    );
  });

  it('flaky: the flapping test with its flip rate; skipped runs and older runs do not count', async () => {
    expect(await json(backend, ['flaky'])).toEqual([
      {
        product_name: 'shop',
        unique_id: 'test.shop.unique_orders_id',
        runs: 20,
        flips: 4,
        flip_rate: 0.211,
        last_status: 'pass',
        last_run_at: at(0),
      },
    ]);
    // Within the last day it ran 4 times (runs 0 to 3) and failed in run 2: two flips of three changes.
    expect(await json(backend, ['flaky', '--since', '1d'])).toEqual([
      {
        product_name: 'shop',
        unique_id: 'test.shop.unique_orders_id',
        runs: 4,
        flips: 2,
        flip_rate: 0.667,
        last_status: 'pass',
        last_run_at: at(0),
      },
    ]);
  });

  it('freshness: each source’s latest check, the stale one first; also without the analyst view', async () => {
    const expected = [
      {
        product_name: 'shop',
        unique_id: 'source.shop.raw.orders',
        status: 'error',
        checked_at: at(0),
        target_name: 'prod',
        message: STALE_MESSAGE,
        run_url: url(0),
      },
      {
        product_name: 'shop',
        unique_id: 'source.shop.raw.customers',
        status: 'pass',
        checked_at: at(5),
        target_name: 'prod',
        message: 'PASS',
        run_url: url(5),
      },
    ];
    expect(await json(backend, ['freshness'])).toEqual(expected);
    // The old source shows with a window that reaches it.
    expect(((await json(backend, ['freshness', '--since', '2w'])) as { unique_id: string }[]).at(-1)?.unique_id).toBe(
      'source.shop.raw.legacy',
    );
    await backend.dropLatestStatusView(tablesOf(backend.schema()));
    expect(await json(backend, ['freshness'])).toEqual(expected);
  });

  it('an empty window says so in a line (on stderr beside empty JSON); a missing table says what creates it', async () => {
    const table = `"${backend.schema()}_audit"."dbt_audit_invocations"`;
    const empty = await dbtRun(backend, ['runs', '--since', '30m']);
    expect(empty.exitCode).toBe(0);
    expect(empty.stdout).toMatch(
      new RegExp(`^no runs recorded in ${regexpOf(table)} since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\n$`),
    );
    const emptyJson = await dbtRun(backend, ['failures', '--product', 'nobody', '--format', 'json']);
    expect(emptyJson.exitCode).toBe(0);
    expect(emptyJson.stdout).toBe('[]\n');
    expect(emptyJson.stderr).toMatch(/^no failures recorded in .*"dbt_audit_log" since .* UTC for product nobody\n$/);

    const missing = await dbtRun(backend, ['runs'], { DBT_SCHEMA: 'nowhere' });
    expect(missing.exitCode).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(
      /^error: no audit table "nowhere_audit"\."dbt_audit_invocations" in \S+ .*: the first run dbt-run records creates it \(dbt-run build\), as does building the product's audit models\n$/,
    );
  });
  it('a long history comes back whole (through the Data API: page by page)', async () => {
    // 1,500 runs of one node in one upload (each row naming its own invocation), after every other test here.
    const batch = seedBatch(
      {
        invocationId: 'long-load',
        product: 'long',
        target: 'prod',
        hoursAgo: 30 * 24,
        elapsed: 1,
        runUrl: 'https://ci.example/long',
        nodes: [],
      },
      base,
    );
    batch.nodes = Array.from({ length: 1500 }, (_, index) => {
      const node = seedBatch(
        {
          invocationId: `long-${index}`,
          product: 'long',
          target: 'prod',
          hoursAgo: 1 + index / 100,
          elapsed: 1,
          runUrl: 'https://ci.example/long',
          nodes: [
            { unique_id: 'model.long.big', name: 'big', resource_type: 'model', status: 'success', execution_time: 1 },
          ],
        },
        base,
      ).nodes[0];
      return node as (typeof batch.nodes)[number];
    });
    await backend.sink(tablesOf(backend.schema())).write(batch);
    const before = fake.calls.filter((call) => call.operation === 'GetStatementResult').length;
    const rows = (await json(backend, ['history', 'big', '--product', 'long'])) as { invocation_id: string }[];
    expect(rows).toHaveLength(1500);
    expect(rows[0]?.invocation_id).toBe('long-0');
    expect(rows.at(-1)?.invocation_id).toBe('long-1499');
    const pages = fake.calls.filter((call) => call.operation === 'GetStatementResult').length - before;
    expect(pages).toBe(backend.target === 'prod' ? 2 : 0);
  });
});

describe('dbt-run audit output formats and flags (DuckDB)', () => {
  const duckdb = BACKENDS[0] as Backend;

  it('CSV: a header, RFC 4180 quoting, empty for null', async () => {
    const result = await dbtRun(duckdb, ['runs', '--product', 'other', '--format', 'csv']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      'started_at,invocation_id,product_name,target_name,command,status,exit_code,elapsed_seconds,nodes_total,nodes_failed,nodes_skipped,run_url\r\n' +
        `${answeredTime(base, 2)},other-00,other,dev,build,success,0,12,1,0,0,https://github.com/acme/other/actions/runs/1\r\n`,
    );
    const failures = await dbtRun(duckdb, ['failures', '--since', '20h', '--format', 'csv']);
    expect(failures.stdout.split('\r\n')).toEqual([
      'started_at,invocation_id,product_name,target_name,unique_id,resource_type,status,failures,message,compiled_path,run_url',
      `${at(0)},inv-00,shop,prod,source.shop.raw.orders,source,error,,${STALE_MESSAGE},,${url(0)}`,
      `${at(2)},inv-02,shop,prod,test.shop.unique_orders_id,test,fail,2,"Got 2 results, configured to fail if != 0",target/compiled/shop/models/marts/schema.yml/unique_orders_id.sql,${url(2)}`,
      `${at(3)},inv-03,shop,prod,model.shop.payments,model,error,,"Database Error in model payments: relation ""raw.payments"" does not exist",target/compiled/shop/models/marts/payments.sql,${url(3)}`,
      '',
    ]);
  });

  it('the table: aligned columns, numbers to the right, floats to their digits, nulls blank', async () => {
    const result = await dbtRun(duckdb, ['slowest', '--product', 'shop', '--top', '2']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      [
        'product_name  unique_id            runs  median_seconds  p95_seconds  previous_median_seconds  change_percent',
        '------------  -------------------  ----  --------------  -----------  -----------------------  --------------',
        'shop          model.shop.orders      20           2.500        4.000                    2.000            25.0',
        'shop          model.shop.payments    19           1.500        1.500',
        '',
      ].join('\n'),
    );
  });

  it.each([
    [
      ['runs', '--since', '7x'],
      '--since "7x" is not a duration: write a whole number and m, h, d or w (30m, 24h, 7d, 2w; at most 3650d)',
    ],
    [
      ['runs', '--since', '0d'],
      '--since "0d" is not a duration: write a whole number and m, h, d or w (30m, 24h, 7d, 2w; at most 3650d)',
    ],
    [['slowest', '--top', '0'], '--top "0" is not a count: write a whole number from 1 to 10000'],
    [['flaky', '--format', 'xml'], '--format "xml" is not a format: use table, json or csv'],
    [['runs', '--product', ' '], '--product is empty: give a value or leave it out'],
    [['history'], "missing required argument 'node'"],
    [['runs', '--top', '3'], "unknown option '--top'"],
  ])('bad input %j: one line, exit 2, nothing read', async (args, message) => {
    // A schema with no tables: a flag checked too late would say "no audit table" instead.
    const result = await dbtRun(duckdb, args, { DBT_SCHEMA: 'nowhere' });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`error: ${message}\n`);
  });
});
