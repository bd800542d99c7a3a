/**
 * dbt-run when things go wrong: interrupted runs, missing dbt or project,
 * unknown targets, corrupt artifacts. Each gives one line and its exit code,
 * and never a partial audit.
 */

import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { DBT_RUN_BIN, queryPostgres, runDbtRun, scaffoldTestProduct, tempDir } from '../harness/product.js';

const SLOW = fileURLToPath(new URL('../fixtures/runner-slow', import.meta.url));

describe('dbt-run interrupted (real dbt on Postgres)', () => {
  it('forwards SIGTERM to dbt, records the nodes that finished, and exits 143', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      await cp(SLOW, product.dir, { recursive: true });
      const child = execa(process.execPath, [DBT_RUN_BIN, 'build', '--target', 'postgres', '--select', '+slow_model'], {
        cwd: product.dir,
        env: { ...product.env, DBT_PATH: inject('dbtPath'), CI: 'true', GITHUB_ACTIONS: '' },
        reject: false,
        all: true,
      });
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`stg_orders never finished:\n${output}`)), 90_000);
        child.all?.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (/success model stg_orders/.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      // Let slow_model start its 60-second query, then stop the run.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const started = Date.now();
      child.kill('SIGTERM');
      const result = await child;
      expect(result.exitCode, result.all).toBe(143);
      expect(Date.now() - started).toBeLessThan(30_000);

      const audit = `${product.schema}_audit`;
      const [invocation] = await queryPostgres(`select * from ${audit}.dbt_audit_invocations`);
      expect(invocation).toMatchObject({ status: 'interrupted', command: 'build' });
      expect(Number(invocation?.exit_code)).toBe(143);
      const rows = await queryPostgres<{ unique_id: string; status: string }>(
        `select unique_id, status from ${audit}.dbt_audit_log where invocation_id = $1`,
        [invocation?.invocation_id],
      );
      const status = Object.fromEntries(rows.map((row) => [row.unique_id, row.status]));
      expect(status).toMatchObject({
        'seed.shop.raw_orders': 'success',
        'model.shop.stg_orders': 'success',
      });
      expect(status['model.shop.slow_model']).not.toBe('success');
    } finally {
      await product.cleanup();
    }
  });
});

describe('dbt-run errors: one line, exit 2, no partial audit', () => {
  async function expectOneLineError(result: { exitCode?: number | undefined; stderr: string }, message: string) {
    expect(result.exitCode, result.stderr).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).toContain(message);
  }

  it('dbt not found', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      await expectOneLineError(
        await runDbtRun(product, ['build'], { DBT_PATH: '/nonexistent/dbt' }),
        'dbt not found at /nonexistent/dbt',
      );
      await expectOneLineError(await runDbtRun(product, ['build', '--dbt-path', '/nope/dbt']), 'run dbt-run setup');
    } finally {
      await product.cleanup();
    }
  });

  it('no project', async () => {
    const dir = await tempDir();
    const result = await execa(process.execPath, [DBT_RUN_BIN, 'build'], {
      cwd: dir,
      reject: false,
      env: { DBT_PATH: inject('dbtPath') },
    });
    await expectOneLineError(result, 'dbt_project.yml not found');
  });

  it('unknown target', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      await expectOneLineError(
        await runDbtRun(product, ['build', '--target', 'nope']),
        'target "nope" not found in profile "shop"',
      );
    } finally {
      await product.cleanup();
    }
  });

  it('bad flags', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      await expectOneLineError(await runDbtRun(product, ['deploy']), 'unknown command "deploy"');
      await expectOneLineError(
        await runDbtRun(product, ['build', '--threads', 'many']),
        '--threads must be a whole number',
      );
      await expectOneLineError(await runDbtRun(product, ['build', '--defer']), '--defer needs --state');
      await expectOneLineError(
        await runDbtRun(product, ['build', '--vars', '[1, 2]']),
        '--vars must be a YAML mapping',
      );
      await expectOneLineError(await runDbtRun(product, ['build', '--bogus']), "unknown option '--bogus'");
    } finally {
      await product.cleanup();
    }
  });

  it('corrupt run_results.json: nothing recorded', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      // A stand-in for a dbt that crashes while writing its results: cut-short JSON, exit 1.
      const fake = path.join(product.dir, 'fake-dbt.sh');
      await writeFile(
        fake,
        `#!/bin/sh\nmkdir -p target\nprintf '{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"' > target/run_results.json\nexit 1\n`,
      );
      await chmod(fake, 0o755);
      await mkdir(path.join(product.dir, 'target'), { recursive: true });
      const result = await runDbtRun(product, ['build', '--target', 'postgres', '--dbt-path', fake]);
      await expectOneLineError(result, 'run_results.json');
      expect(result.stderr).toContain('not valid JSON');
      const tables = await queryPostgres(
        `select table_name from information_schema.tables where table_schema = '${product.schema}_audit'`,
      );
      expect(tables).toEqual([]);
      expect(existsSync(path.join(product.dir, 'target', 'dbt-product-kit'))).toBe(false);
    } finally {
      await product.cleanup();
    }
  });
});
