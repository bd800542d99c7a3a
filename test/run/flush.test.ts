/**
 * Nothing is lost: an audit write that fails leaves the upload spooled under
 * target/, the run keeps dbt's exit code (2 with --strict-audit), and
 * `dbt-run audit flush` later completes the audit without duplicates, on
 * Postgres and, for a Redshift target, through the Data API fake.
 */
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { queryPostgres, runDbtRun, scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { FakeDataApi } from '../harness/redshift-data-fake.js';

const postgres = inject('postgres');
const fake = new FakeDataApi({ postgres, clusters: ['analytics'], startDelayMs: 5 });
let fakeEndpoint: string;
let product: TestProduct;

beforeAll(async () => {
  fakeEndpoint = await fake.start();
  product = await scaffoldTestProduct({ name: 'shop' });
});

afterAll(async () => {
  await product.cleanup();
  await fake.stop();
});

const spoolDir = () => path.join(product.dir, 'target', 'dbt-product-kit', 'spool');
const spooled = async () =>
  (await readdir(spoolDir()).catch(() => [] as string[])).filter((name) => name.endsWith('.jsonl'));
const count = async (table: string, invocationId: string) =>
  Number(
    (
      await queryPostgres(
        `select count(*) as n from "${product.schema}_audit"."${table}" where invocation_id = '${invocationId}'`,
      )
    )[0]?.n,
  );

describe('spool and dbt-run audit flush', () => {
  it('a failed write spools the upload, keeps the exit code, and flush completes it once', async () => {
    // An audit table of the wrong shape (integer invocation ids): the runner's DELETE fails.
    await queryPostgres(`create schema "${product.schema}_audit"`);
    await queryPostgres(`create table "${product.schema}_audit"."dbt_audit_log" (invocation_id integer)`);
    const build = ['seed', '--target', 'postgres'];
    const run = await runDbtRun(product, build);
    expect(run.exitCode, run.output).toBe(0);
    expect(run.stderr).toMatch(
      /audit: NOT written: .*rows kept in target\/dbt-product-kit\/spool\/\S+\.jsonl: dbt-run audit flush sends them/,
    );
    const [file] = await spooled();
    expect(file).toBeDefined();
    const invocationId = path.basename(file as string, '.jsonl');

    const strict = await runDbtRun(product, [...build, '--strict-audit']);
    expect(strict.exitCode, strict.output).toBe(2);
    expect(await spooled()).toHaveLength(2);

    await queryPostgres(`drop table "${product.schema}_audit"."dbt_audit_log"`);
    const flush = await runDbtRun(product, ['audit', 'flush']);
    expect(flush.exitCode, flush.output).toBe(0);
    expect(flush.stdout).toContain('audit flush: 2 sent, 0 still spooled');
    expect(await spooled()).toEqual([]);
    const jsonl = (
      await readFile(path.join(product.dir, 'target', 'dbt-product-kit', 'audit', `${invocationId}.jsonl`), 'utf8')
    )
      .trim()
      .split('\n');
    const nodes = jsonl.length - 1;
    expect(nodes).toBeGreaterThan(0);
    expect(await count('dbt_audit_log', invocationId)).toBe(nodes);
    expect(await count('dbt_audit_invocations', invocationId)).toBe(1);

    const again = await runDbtRun(product, ['audit', 'flush']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout.trim()).toBe('audit flush: nothing spooled');
    expect(await count('dbt_audit_log', invocationId)).toBe(nodes);
  });

  it("flush sends a Redshift target's upload through the Data API, and a bad spool file is named", async () => {
    // An upload recorded for the prod (Redshift) target, as a CI run whose Data API call failed leaves
    // it: the first test's upload, given another invocation id and target.
    const source = (await readdir(path.join(product.dir, 'target', 'dbt-product-kit', 'audit'))).find((name) =>
      name.endsWith('.jsonl'),
    ) as string;
    const lines = (await readFile(path.join(product.dir, 'target', 'dbt-product-kit', 'audit', source), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const invocationId = 'redshift-upload-1';
    // Without the Postgres destination the first upload kept: as an upload spooled by an older kit.
    const rewritten = lines.map((line) => ({
      ...line,
      destination: undefined,
      row: { ...line.row, invocation_id: invocationId, target_name: 'prod' },
    }));
    await writeFile(
      path.join(spoolDir(), `${invocationId}.jsonl`),
      `${rewritten.map((line) => JSON.stringify(line)).join('\n')}\n`,
    );
    await writeFile(path.join(spoolDir(), 'garbage.jsonl'), 'not json\n');
    const env = {
      DBT_REDSHIFT_HOST: 'analytics.c1abc2def3gh.eu-west-1.redshift.amazonaws.com',
      DBT_ENV_SECRET_REDSHIFT_PASSWORD: 'unused-by-the-data-api',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_REDSHIFT_DATA: fakeEndpoint,
    };
    const flush = await runDbtRun(product, ['audit', 'flush'], env);
    expect(flush.exitCode, flush.output).toBe(2);
    expect(flush.stdout).toContain(
      `audit flush: ${invocationId} (${rewritten.length - 1} rows) written to redshift-data cluster analytics/dev (eu-west-1)`,
    );
    expect(flush.stderr).toMatch(
      /^error: garbage: target\/dbt-product-kit\/spool\/garbage\.jsonl is not an audit upload .*: move it away$/m,
    );
    expect(fake.calls.some((call) => call.operation === 'BatchExecuteStatement')).toBe(true);
    expect(await count('dbt_audit_log', invocationId)).toBe(rewritten.length - 1);
    expect(await spooled()).toEqual(['garbage.jsonl']);
  });

  it('a Redshift target the Data API cannot be told from: one line naming the fix, exit 2, still spooled', async () => {
    const env = {
      DBT_REDSHIFT_HOST: 'localhost',
      DBT_ENV_SECRET_REDSHIFT_PASSWORD: 'x',
      AWS_REGION: '',
      AWS_DEFAULT_REGION: '',
    };
    await rm(path.join(spoolDir(), 'garbage.jsonl'), { force: true }); // only the Redshift upload's problem in view
    const upload = (await readdir(path.join(product.dir, 'target', 'dbt-product-kit', 'audit'))).find((name) =>
      name.startsWith('redshift-upload-1'),
    ) as string;
    await rename(path.join(product.dir, 'target', 'dbt-product-kit', 'audit', upload), path.join(spoolDir(), upload));
    const flush = await runDbtRun(product, ['audit', 'flush'], env);
    expect(flush.exitCode, flush.output).toBe(2);
    expect(flush.stderr.trim()).toBe(
      'error: redshift-upload-1: cannot tell the Redshift cluster or workgroup from host "localhost": set --audit-cluster or --audit-workgroup (or audit.redshift in dbt-product.yml)',
    );
    const noRegion = await runDbtRun(product, ['audit', 'flush', '--audit-cluster', 'analytics'], env);
    expect(noRegion.exitCode).toBe(2);
    expect(noRegion.stderr.trim()).toBe(
      'error: redshift-upload-1: no AWS region for the Redshift Data API: set AWS_REGION (or use the cluster endpoint as host)',
    );
    expect(await spooled()).toEqual(['redshift-upload-1.jsonl']);
  });
});

describe('dbt-run audit flush after the environment changed', () => {
  it("writes where the run meant to, and keeps an upload whose database is not the target's any more", async () => {
    const moved = await scaffoldTestProduct({ name: 'shop' });
    try {
      const audit = `${moved.schema}_audit`;
      // The run's audit table has the wrong shape: the upload is spooled.
      await queryPostgres(`create schema "${audit}"`);
      await queryPostgres(`create table "${audit}"."dbt_audit_log" (invocation_id integer)`);
      const run = await runDbtRun(moved, ['seed', '--target', 'postgres']);
      expect(run.exitCode, run.output).toBe(0);
      const spool = path.join(moved.dir, 'target', 'dbt-product-kit', 'spool');
      const [file] = await readdir(spool);
      const invocationId = path.basename(file as string, '.jsonl');
      await queryPostgres(`drop table "${audit}"."dbt_audit_log"`);

      // Another database now: the upload stays spooled, and the line names both.
      const elsewhere = await runDbtRun(moved, ['audit', 'flush'], { DBT_POSTGRES_DATABASE: 'another_db' });
      expect(elsewhere.exitCode, elsewhere.output).toBe(2);
      expect(elsewhere.stderr).toContain(
        `spooled for postgres ${inject('postgres').database}, but target postgres now points at postgres another_db`,
      );
      expect(await readdir(spool)).toEqual([file]);

      // Another schema now (DBT_SCHEMA): the rows still go to the run's audit schema.
      const other = `${moved.schema}_later`;
      const flush = await runDbtRun(moved, ['audit', 'flush'], { DBT_SCHEMA: other });
      expect(flush.exitCode, flush.output).toBe(0);
      const rows = await queryPostgres(
        `select count(*)::int as n from "${audit}".dbt_audit_log where invocation_id = '${invocationId}'`,
      );
      expect(rows[0]?.n).toBeGreaterThan(0);
      const wrong = await queryPostgres(
        `select count(*)::int as n from information_schema.tables where table_schema = '${other}_audit'`,
      );
      expect(wrong).toEqual([{ n: 0 }]);
    } finally {
      await moved.cleanup();
    }
  });
});
