/**
 * Issue 15, items 2 and 4: runs sharing one target folder rebuilt each
 * other's rows from events with NULL messages (they overwrite each other's
 * run_results.json), and a signal while the audit was written left it half
 * done. Now a second run of one target folder is refused while the first
 * runs, and a signal during the audit write lets it finish (exit 130).
 */
import { cp, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { isProcessAlive } from '../../src/process-alive.js';
import { waitForOutput } from '../harness/interrupted-run.js';
import { DBT_RUN_BIN, queryPostgres, runDbtRun, scaffoldTestProduct } from '../harness/product.js';

/** Waits until the running dbt-run's dbt (named in its pending record) has exited. */
async function waitUntilDbtEnds(projectDir: string): Promise<void> {
  const folder = path.join(projectDir, 'target', 'dbt-product-kit', 'pending');
  for (let tries = 0; tries < 600; tries++) {
    const names = (await readdir(folder).catch(() => [] as string[])).filter((name) => name.endsWith('.json'));
    const records = await Promise.all(
      names.map(async (name) => JSON.parse(await readFile(path.join(folder, name), 'utf8'))),
    );
    const dbtPid = records.find((record) => record.dbtPid)?.dbtPid;
    if (dbtPid && !isProcessAlive(dbtPid)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('dbt never exited');
}

const SLOW = fileURLToPath(new URL('../fixtures/runner-slow', import.meta.url));

describe('one run per target folder (real dbt on Postgres)', () => {
  it('a second dbt-run while the first runs is refused in one line, and the first is unaffected', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      await cp(SLOW, product.dir, { recursive: true });
      const first = execa(process.execPath, [DBT_RUN_BIN, 'build', '--target', 'postgres', '--select', '+slow_model'], {
        cwd: product.dir,
        env: { ...product.env, DBT_PATH: inject('dbtPath'), CI: 'true', GITHUB_ACTIONS: '' },
        reject: false,
        all: true,
      });
      await waitForOutput(first.all, /success model stg_orders/);
      const second = await runDbtRun(product, ['build', '--target', 'postgres', '--select', 'stg_orders']);
      expect(second.exitCode, second.output).toBe(2);
      expect(second.stderr.trim().split('\n')).toHaveLength(1);
      expect(second.stderr).toMatch(
        new RegExp(
          `^error: another dbt-run \\(pid ${first.pid}, build started .*\\) is running with .*/target: .*DBT_TARGET_PATH`,
        ),
      );
      // Given its own target folder, the second run goes ahead (on a seed: slow_model's query holds stg_orders).
      const apart = await runDbtRun(product, ['build', '--target', 'postgres', '--select', 'raw_customers'], {
        DBT_TARGET_PATH: 'target-2',
      });
      expect(apart.exitCode, apart.output).toBe(0);

      first.kill('SIGINT');
      const result = await first;
      expect(result.exitCode, result.all).toBe(130);
      const invocations = await queryPostgres<{ status: string }>(
        `select status from ${product.schema}_audit.dbt_audit_invocations order by started_at`,
      );
      expect(invocations.map((row) => row.status).sort()).toEqual(['interrupted', 'success']);
    } finally {
      await product.cleanup();
    }
  });
});

describe('a signal while the audit is written (real dbt on Postgres)', () => {
  it('the upload finishes, then dbt-run exits 130', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    const audit = `${product.schema}_audit`;
    const blocker = new pg.Client(inject('postgres'));
    try {
      expect((await runDbtRun(product, ['build', '--target', 'postgres'])).exitCode).toBe(0);
      // Hold the audit table: the next upload waits on it, as it would on a slow warehouse.
      await blocker.connect();
      await blocker.query('begin');
      await blocker.query(`lock table ${audit}.dbt_audit_log in access exclusive mode`);
      const run = execa(process.execPath, [DBT_RUN_BIN, 'build', '--target', 'postgres', '--select', 'stg_orders'], {
        cwd: product.dir,
        env: { ...product.env, DBT_PATH: inject('dbtPath'), CI: 'true', GITHUB_ACTIONS: '' },
        reject: false,
        all: true,
      });
      // dbt has exited (its pid, from the run's pending record, is gone); the upload waits for the table.
      await waitUntilDbtEnds(product.dir);
      await new Promise((resolve) => setTimeout(resolve, 500));
      run.kill('SIGINT');
      await waitForOutput(run.all, /SIGINT: recording what dbt did before stopping/, 10_000);
      await blocker.query('rollback');
      const result = await run;
      expect(result.exitCode, result.all).toBe(130);
      expect(result.all).toMatch(/audit: 7 rows written/);
      const rows = await queryPostgres<{ n: string }>(
        `select count(*) as n from ${audit}.dbt_audit_invocations where status = 'success'`,
      );
      expect(Number(rows[0]?.n)).toBe(2);
    } finally {
      await blocker.end().catch(() => {});
      await product.cleanup();
    }
  });
});
