/** dbt-run's other faces: --json output, doctor and --help (real dbt on DuckDB and Postgres). */
import { describe, expect, it } from 'vitest';
import { runDbtRun, scaffoldTestProduct } from '../harness/product.js';

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
      expect(run.stdout).toContain('✗ connection');
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
      expect(run.stdout).toContain('130 / 143 interrupted by SIGINT / SIGTERM');
    } finally {
      await product.cleanup();
    }
  });
});
