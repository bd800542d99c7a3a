/**
 * dbt-run when it cannot do its job: missing dbt or project, unknown
 * targets, corrupt artifacts, dbt stopping before any node. Each gives one
 * line and its exit code; what dbt did is recorded, never a guess. (Signals
 * and kills: test/faults/signals-and-kills.test.ts.)
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import {
  DBT_RUN_BIN,
  queryPostgres,
  readRunResults,
  runDbtRun,
  scaffoldTestProduct,
  tempDir,
} from '../harness/product.js';
import { type TestWarehouse, WAREHOUSES } from '../harness/warehouse.js';

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

  it("corrupt run_results.json: dbt's exit code kept, the invocation recorded with what happened", async () => {
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
      expect(result.exitCode, result.output).toBe(1);
      expect(result.stderr).toMatch(
        /warning: run_results\.json at .* is not valid JSON .*: 0 results recorded from dbt's events instead/,
      );
      const invocations = await queryPostgres(
        `select status, exit_code, error_message from "${product.schema}_audit".dbt_audit_invocations`,
      );
      expect(invocations).toEqual([
        { status: 'failed', exit_code: '1', error_message: expect.stringContaining('is not valid JSON') },
      ]);
      const nodes = await queryPostgres(`select count(*)::int as n from "${product.schema}_audit".dbt_audit_log`);
      expect(nodes).toEqual([{ n: 0 }]);
    } finally {
      await product.cleanup();
    }
  });
});

describe('dbt-run when dbt stops before running any node (real dbt on DuckDB)', () => {
  it("writes the invocation row with dbt's error, shows the error, and leaves the earlier run alone", async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    const duckdb = WAREHOUSES.find((warehouse) => warehouse.target === 'local') as TestWarehouse;
    try {
      const first = await runDbtRun(product, ['seed']);
      expect(first.exitCode, first.output).toBe(0);
      const earlier = await readRunResults(product);

      // A Jinja syntax error: dbt stops while parsing and writes no run_results.json of its own.
      await writeFile(path.join(product.dir, 'models', 'staging', 'stg_broken.sql'), 'select {{ broken( }}\n');
      const result = await runDbtRun(product, ['build']);
      expect(result.exitCode, result.output).toBe(2);
      expect(result.stderr).toContain('Compilation Error in model stg_broken (models/staging/stg_broken.sql)');
      expect(result.stdout).toMatch(/dbt-run: error \(exit 2\) .*; no nodes; invocation /);
      // No node row, but the invocation row was written: the audit line says so, not "0 rows".
      expect(result.stdout).toContain(
        `audit: the invocation row written to duckdb ${product.duckdbPath} (no node ran)`,
      );

      const audit = `${product.schema}_audit`;
      const invocations = await duckdb.query(
        product,
        `select * from ${audit}.dbt_audit_invocations order by started_at`,
      );
      expect(invocations).toHaveLength(2);
      expect(invocations[0]).toMatchObject({ invocation_id: earlier.metadata.invocation_id, status: 'success' });
      expect(invocations[1]).toMatchObject({ command: 'build', status: 'error' });
      expect(invocations[1]?.invocation_id).not.toBe(earlier.metadata.invocation_id);
      expect(Number(invocations[1]?.exit_code)).toBe(2);
      expect(Number(invocations[1]?.nodes_total)).toBe(0);
      expect(String(invocations[1]?.error_message)).toContain('Compilation Error in model stg_broken');
      expect(String(invocations[1]?.error_message)).not.toContain('\u001b');

      // The earlier run's run_results.json was not taken for this one: its rows are as they were.
      const rows = await duckdb.query(
        product,
        `select invocation_id, count(*) as n from ${audit}.dbt_audit_log group by invocation_id`,
      );
      expect(rows.map((row) => ({ ...row, n: Number(row.n) }))).toEqual([
        { invocation_id: earlier.metadata.invocation_id, n: earlier.results.length },
      ]);
    } finally {
      await product.cleanup();
    }
  });
});
