/**
 * dbt-run with older dbt releases (it supports dbt-core 1.8 and later): each
 * in its own pinned venv (requirements/dbt-1.*.txt, built once and cached like
 * the kit's own), recording a build with failures, skips and warnings into
 * DuckDB exactly as run_results.json has it.
 */
import { randomBytes } from 'node:crypto';
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureVenv } from '../../src/toolchain/venv.js';
import { queryDuckDb } from '../../src/warehouse/duckdb.js';
import { readRunResults, runDbtRun, type TestProduct, tempDir } from '../harness/product.js';

const PROJECT = fileURLToPath(new URL('../fixtures/dbt-1.8-project', import.meta.url));
const requirements = (version: string) =>
  fileURLToPath(new URL(`../../requirements/dbt-${version}.txt`, import.meta.url));

describe.each(['1.8', '1.9', '1.10'])('dbt-run with dbt-core %s (DuckDB)', (version) => {
  let dbtPath: string;
  beforeAll(async () => {
    // Built as the set-up builds the harness's venvs (with uv when it could install it).
    const env = { ...process.env, PATH: inject('harnessPath') };
    const venv = await ensureVenv({ requirementsFile: requirements(version), name: `dbt-${version}`, env });
    dbtPath = venv.bin('dbt');
  }, 600_000);

  it('records every result of a build with a failure, a skip, a failing and a warning test', async () => {
    const root = await tempDir();
    const product: TestProduct = {
      dir: path.join(root, 'legacy'),
      name: 'legacy',
      schema: `t_${randomBytes(4).toString('hex')}`,
      duckdbPath: path.join(root, 'warehouse.duckdb'),
      env: {},
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
    product.env = {
      DBT_SCHEMA: product.schema,
      DBT_PRODUCT_DUCKDB_PATH: product.duckdbPath,
      DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
      DBT_VERSION_CHECK: 'false',
    };
    try {
      await cp(PROJECT, product.dir, { recursive: true });

      const run = await runDbtRun(product, ['build'], { DBT_PATH: dbtPath });
      expect(run.exitCode, run.output).toBe(1);
      expect(run.stdout).toContain(`dbt ${version}.`);

      const { metadata, results } = await readRunResults(product);
      const audit = `${product.schema}_audit`;
      const rows = await queryDuckDb(
        product.duckdbPath,
        `select unique_id, status, execution_time, message from ${audit}.dbt_audit_log where invocation_id = '${metadata.invocation_id}'`,
      );
      const byId = Object.fromEntries(rows.map((row) => [row.unique_id as string, row]));
      expect(Object.keys(byId).sort()).toEqual(results.map((result) => result.unique_id).sort());
      for (const result of results) {
        expect(byId[result.unique_id]).toMatchObject({ status: result.status, message: result.message });
        expect(Number(byId[result.unique_id]?.execution_time)).toBe(result.execution_time);
      }
      expect(
        Object.fromEntries(results.map((result) => [result.unique_id.split('.').slice(0, 3).join('.'), result.status])),
      ).toMatchObject({
        'model.legacy.orders': 'success',
        'model.legacy.broken': 'error',
        'model.legacy.after_broken': 'skipped',
        'test.legacy.no_big_orders': 'fail',
        'test.legacy.few_orders': 'warn',
      });

      const [invocation] = await queryDuckDb(product.duckdbPath, `select * from ${audit}.dbt_audit_invocations`);
      expect(invocation).toMatchObject({ status: 'failed', dbt_version: expect.stringMatching(`^${version}\\.`) });
      expect(Number(invocation?.exit_code)).toBe(1);
      // Nodes, not the on-run-end hook (an operation among dbt's results).
      expect(Number(invocation?.nodes_total)).toBe(
        results.filter((result) => !result.unique_id.startsWith('operation.')).length,
      );
    } finally {
      await product.cleanup();
    }
  });
});
