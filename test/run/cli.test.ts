/** dbt-run's other faces: --json output, doctor and --help (real dbt on DuckDB and Postgres). */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { DBT_RUN_BIN, runDbtRun, scaffoldTestProduct } from '../harness/product.js';
import { FakeDataApi } from '../harness/redshift-data-fake.js';

describe('dbt-run --json', () => {
  it('prints only NDJSON: node events, then a summary', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const run = await runDbtRun(product, ['build', '--select', '+stg_orders +stg_customers', '--json']);
      expect(run.exitCode, run.output).toBe(0);
      const events = run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(events[0]).toMatchObject({ type: 'start' });
      const nodes = events.filter((event) => event.type === 'node');
      expect(nodes).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ uniqueId: 'seed.shop.raw_orders', status: 'success' }),
          expect.objectContaining({ uniqueId: 'model.shop.stg_orders', status: 'success' }),
        ]),
      );
      expect(nodes.filter((node) => node.resourceType === 'test').every((node) => node.status === 'pass')).toBe(true);
      expect(events.at(-1)).toMatchObject({ type: 'summary', exitCode: 0, status: 'success' });
      expect(events.at(-1).auditRows).toBe(nodes.length + 1); // + the on-run-end hook's own result
      // The hook is counted apart from the nodes; each node names the dbt thread that ran it.
      expect(events.at(-1).hooks).toEqual({ success: 1 });
      expect(Object.values(events.at(-1).counts as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(
        nodes.length,
      );
      expect(nodes.every((node) => /^Thread-\d+/.test(node.thread))).toBe(true);
    } finally {
      await product.cleanup();
    }
  });
});

describe('dbt-run in a terminal', () => {
  it('shows a live listr2 progress line, then the summary', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      // util-linux `script` gives dbt-run a pseudo-terminal of 120 columns.
      const command = `stty cols 120 rows 40; ${process.execPath} ${DBT_RUN_BIN} build --select "+stg_orders +stg_customers"`;
      const run = await execa('script', ['-qfec', command, '/dev/null'], {
        cwd: product.dir,
        env: { ...product.env, DBT_PATH: inject('dbtPath'), CI: '', GITHUB_ACTIONS: '', TERM: 'xterm' },
        reject: false,
        stdin: 'ignore',
      });
      const screen = stripVTControlCharacters(run.stdout);
      expect(run.exitCode, screen).toBe(0);
      // A run that passed ends on a green tick, its nodes counted by how they ended.
      expect(screen).toMatch(/✔ dbt build: (\d+) of \1 nodes finished \(\1 ok\)/);
      expect(screen).toMatch(/audit: \d+ rows written to duckdb/);
      expect(screen).toMatch(/dbt-run: success \(exit 0\)/);
      // No per-node lines: those are for logs, not terminals.
      expect(screen).not.toMatch(/✓ success model stg_orders/);
    } finally {
      await product.cleanup();
    }
  });
});

describe('dbt-run setup', () => {
  it('reuses the pinned venv when it is there', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const run = await runDbtRun(product, ['setup']);
      expect(run.exitCode, run.output).toBe(0);
      expect(run.stdout).toMatch(/^dbt (already installed|installed): .+\/bin\/dbt$/m);
    } finally {
      await product.cleanup();
    }
  });
});

describe('dbt-run doctor', () => {
  it('passes every check on a working DuckDB product', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const run = await runDbtRun(product, ['doctor']);
      expect(run.exitCode, run.output).toBe(0);
      for (const check of [
        '✓ dbt:',
        '✓ project: shop',
        '✓ profile: profile shop, target local (duckdb)',
        '✓ connection',
        '✓ audit sink: DuckDB',
      ]) {
        expect(run.stdout).toContain(check);
      }
      expect(run.stdout).toContain('all checks passed');
    } finally {
      await product.cleanup();
    }
  });

  it('names what to fix when the Postgres server cannot be reached', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const run = await runDbtRun(product, ['doctor', '--target', 'postgres'], { DBT_POSTGRES_PORT: '1' });
      expect(run.exitCode).toBe(1);
      // dbt's reason, in words and without its colours.
      expect(run.stdout).not.toContain('\u001b');
      expect(run.stdout).toMatch(
        /^✗ connection: dbt debug failed: connection to server at .*port 1 failed: Connection refused$/m,
      );
      expect(run.stdout).toContain('  dbt: Is the server running on that host and accepting TCP/IP connections?');
      expect(run.stdout).toContain('✗ audit sink');
      expect(run.stdout).toContain('fix: check DBT_POSTGRES_* settings');
      expect(run.stdout).toMatch(/2 problems found/);
    } finally {
      await product.cleanup();
    }
  });

  it('checks AWS settings for a Redshift target', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const run = await runDbtRun(product, ['doctor', '--target', 'dev'], {
        DBT_REDSHIFT_HOST: '127.0.0.1',
        DBT_REDSHIFT_PORT: '1',
        DBT_ENV_SECRET_REDSHIFT_PASSWORD: 'x',
        AWS_REGION: '',
        AWS_DEFAULT_REGION: '',
      });
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toContain('✗ AWS: no region');
      expect(run.stdout).toContain('fix: set AWS_REGION');
      expect(run.stdout).not.toContain('x\n');
      expect(run.stdout).toContain(
        '✗ audit sink: cannot tell the Redshift cluster or workgroup from host "127.0.0.1": set --audit-cluster',
      );
      // The scaffold's topic ARNs for dev are placeholders: a run would send nothing.
      expect(run.stdout).toContain(
        '✗ SNS topics: environment dev (target dev) has placeholder topic ARNs: nothing would be sent',
      );
      expect(run.stdout).toContain(
        "  failure alerts for dev not sent: replace REGION and ACCOUNT_ID in dbt-product.yml's topic ARN",
      );
    } finally {
      await product.cleanup();
    }
  });

  it('names every environment variable the profile lacks, not only the first', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      // Neither is set in the tests' environment (the AWS test above sets both for its own run).
      const run = await runDbtRun(product, ['doctor', '--target', 'dev']);
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toContain(
        '✗ project and profile: environment variables DBT_REDSHIFT_HOST, DBT_ENV_SECRET_REDSHIFT_PASSWORD are required by the profile but not set',
      );
    } finally {
      await product.cleanup();
    }
  });

  it("reaches a Redshift target's audit sink through the Data API", async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    const fake = new FakeDataApi({ postgres: inject('postgres'), clusters: ['analytics'] });
    try {
      const env = {
        DBT_REDSHIFT_HOST: 'analytics.c1abc2def3gh.eu-west-1.redshift.amazonaws.com',
        DBT_REDSHIFT_PORT: '1',
        DBT_ENV_SECRET_REDSHIFT_PASSWORD: 'x',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL_REDSHIFT_DATA: await fake.start(),
      };
      const run = await runDbtRun(product, ['doctor', '--target', 'dev'], env);
      expect(run.stdout).toContain('✓ audit sink: Redshift Data API, cluster analytics/dev (eu-west-1)');
      const missing = await runDbtRun(product, ['doctor', '--target', 'dev', '--audit-cluster', 'other'], env);
      expect(missing.stdout).toContain('✗ audit sink: Redshift cluster other not found in eu-west-1');
    } finally {
      await fake.stop();
      await product.cleanup();
    }
  });
});

describe('dbt-product.yml', () => {
  it('an invalid one is named in one line after the run, exit 2, and the run is still recorded', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const file = path.join(product.dir, 'dbt-product.yml');
      await writeFile(file, (await readFile(file, 'utf8')).replace('schema_version: 1', 'schema_version: 7'));
      const run = await runDbtRun(product, ['seed', '--select', 'raw_customers']);
      expect(run.exitCode, run.output).toBe(2);
      expect(run.stderr).toContain(`warning: ${file}: schema_version: Invalid input: expected 1 (so dbt-run exits 2)`);
      expect(run.stdout).toMatch(/audit: \d+ rows written to duckdb/);
    } finally {
      await product.cleanup();
    }
  });
});

describe('dbt-run --help', () => {
  it('documents the commands and exit codes', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const run = await runDbtRun(product, ['--help']);
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toContain('--changed-since <ref>');
      expect(run.stdout).toContain('Exit codes: 0 all good; 1 a node failed');
      expect(run.stdout).toContain('129 / 130 / 143 interrupted by SIGHUP / SIGINT / SIGTERM');
    } finally {
      await product.cleanup();
    }
  });
});
