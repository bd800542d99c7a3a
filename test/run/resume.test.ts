/**
 * dbt-run --resume: a try of a run that an earlier try of the same run (same
 * DBT_PRODUCT_RUN_ID) left failed builds only what that try did not build or
 * pass, as the audit log records it; a try with nothing left builds nothing
 * and succeeds. Real dbt on the test Postgres (Redshift's stand-in), the
 * runner's own sink reading the audit tables it wrote; the queries' Redshift
 * form and the selectors are pure.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUN_ORIGIN_ENV } from '../../src/audit/origin.js';
import { resumeLine, resumeSelection, succeededNodesQuery } from '../../src/run/resume.js';
import { queryPostgres, readRunResults, runDbtRun, scaffoldTestProduct } from '../harness/product.js';

const TABLES = {
  log: { schema: 'shop_audit', table: 'dbt_audit_log' },
  invocations: { schema: 'shop_audit', table: 'dbt_audit_invocations' },
};

describe('dbt-run --resume (pure parts)', () => {
  it("asks for this run's built and passed nodes of this product and target, with bound parameters", () => {
    const facts = { runId: "scheduled__2026-12-02T00:00:00+00:00'", product: 'shop', target: 'prod' };
    const redshift = succeededNodesQuery(TABLES, 'redshift', facts);
    expect(redshift.sql).toContain('i.run_id = :run_id');
    expect(redshift.sql).toContain('n.product_name = :product');
    expect(redshift.sql).toContain('n.target_name = :target');
    expect(redshift.sql).toContain("n.status in ('success', 'pass')");
    expect(redshift.sql).not.toContain(facts.runId);
    expect(redshift.parameters).toEqual([
      { name: 'run_id', value: facts.runId },
      { name: 'product', value: 'shop' },
      { name: 'target', value: 'prod' },
    ]);
    const postgres = succeededNodesQuery(TABLES, 'postgres', facts);
    expect(postgres.sql).toMatch(/i\.run_id = \$1[\s\S]*product_name = \$2[\s\S]*target_name = \$3/);
  });

  it('selects what is left by exact fqn: hooks and sources are not built, a test of a done and a failed model stays', () => {
    const listed = [
      { unique_id: 'model.shop.stg_customers', fqn: ['shop', 'staging', 'stg_customers'], resource_type: 'model' },
      { unique_id: 'model.shop.stg_orders', fqn: ['shop', 'staging', 'stg_orders'], resource_type: 'model' },
      {
        unique_id: 'test.shop.rel.1a',
        fqn: ['shop', 'staging', 'relationships_orders_customers'],
        resource_type: 'test',
      },
      { unique_id: 'model.shop.dim.v2', fqn: ['shop', 'marts', 'dim', 'v2'], resource_type: 'model' },
      { unique_id: 'operation.shop.shop-on-run-end-0', fqn: ['shop', 'hooks', 'x'], resource_type: 'operation' },
      { unique_id: 'source.shop.raw.orders', fqn: ['shop', 'raw', 'orders'], resource_type: 'source' },
    ];
    expect(resumeSelection(listed, new Set(['model.shop.stg_customers', 'model.shop.gone']))).toEqual({
      select: [
        'fqn:shop.marts.dim.v2',
        'fqn:shop.staging.relationships_orders_customers',
        'fqn:shop.staging.stg_orders',
      ],
      leftOut: 1,
    });
    expect(resumeSelection(listed, new Set(listed.map((node) => node.unique_id)))).toEqual({ select: [], leftOut: 4 });
  });

  it('says what it left out, or why nothing', () => {
    expect(resumeLine({ runId: 'r1', leftOut: 2, select: ['fqn:a.b'] })).toBe(
      '--resume: 2 nodes built or passed by an earlier try of run r1: building the 1 left',
    );
    expect(resumeLine({ runId: 'r1', leftOut: 3, select: [] })).toBe(
      '--resume: 3 nodes built or passed by an earlier try of run r1: nothing left to build',
    );
    expect(resumeLine({ runId: 'r1', leftOut: 0 })).toBe(
      '--resume: no earlier try of run r1 recorded: building everything selected',
    );
  });
});

describe('dbt-run --resume on Postgres', () => {
  it('builds again only what failed or was skipped, then nothing, each try recorded under the run id', {
    timeout: 240_000,
  }, async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    const runId = `manual__${Date.now()}`;
    const tryRun = () =>
      runDbtRun(product, ['build', '--target', 'postgres', '--no-events', '--resume'], {
        [RUN_ORIGIN_ENV.runId]: runId,
        [RUN_ORIGIN_ENV.source]: 'airflow',
      });
    const model = path.join(product.dir, 'models', 'staging', 'stg_orders.sql');
    const original = await readFile(model, 'utf8');
    try {
      // Try 1: a new container (no target/), stg_orders fails, its tests and dependents are skipped.
      await writeFile(model, `${original.trimEnd()}\nwhere no_such_column = 1\n`);
      const first = await tryRun();
      expect(first.exitCode, first.output).toBe(1);
      expect(first.output).toContain(`--resume: no earlier try of run ${runId} recorded`);
      const firstResults = (await readRunResults(product)).results.filter((r) => !r.unique_id.startsWith('operation.'));
      const notDone = firstResults.filter((r) => !['success', 'pass'].includes(r.status)).map((r) => r.unique_id);
      const done = firstResults.filter((r) => ['success', 'pass'].includes(r.status)).map((r) => r.unique_id);
      expect(notDone).toContain('model.shop.stg_orders');
      expect(notDone).toContain('model.shop.fct_orders');
      expect(done).toContain('model.shop.stg_customers');

      // Try 2, the model fixed, in a new container again: only what try 1 did not build or pass.
      await writeFile(model, original);
      await rm(path.join(product.dir, 'target'), { recursive: true, force: true });
      const second = await tryRun();
      expect(second.exitCode, second.output).toBe(0);
      expect(second.output).toContain(
        `--resume: ${done.length} nodes built or passed by an earlier try of run ${runId}: building the ${notDone.length} left`,
      );
      const secondResults = (await readRunResults(product)).results.filter(
        (r) => !r.unique_id.startsWith('operation.'),
      );
      expect(secondResults.map((r) => r.unique_id).sort()).toEqual([...notDone].sort());
      expect(secondResults.every((r) => ['success', 'pass'].includes(r.status))).toBe(true);

      // Try 3: nothing is left; dbt does not run, the try succeeds and records nothing.
      const third = await tryRun();
      expect(third.exitCode, third.output).toBe(0);
      expect(third.output).toContain(
        `${done.length + notDone.length} nodes built or passed by an earlier try of run ${runId}: nothing left to build`,
      );
      expect(third.output).not.toContain('dbt build on postgres');

      const invocations = await queryPostgres<{ status: string; selection: string; nodes_total: string }>(
        `select status, selection, nodes_total from ${product.schema}_audit.dbt_audit_invocations
         where run_id = $1 order by started_at`,
        [runId],
      );
      expect(invocations).toEqual([
        { status: 'failed', selection: '--resume', nodes_total: String(firstResults.length) },
        { status: 'success', selection: '--resume', nodes_total: String(notDone.length) },
      ]);
    } finally {
      await writeFile(model, original);
      await product.cleanup();
    }
  });

  it('needs the run id: without one it is one line, exit 2, before dbt runs', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const run = await runDbtRun(product, ['build', '--target', 'postgres', '--resume']);
      expect(run.exitCode).toBe(2);
      expect(run.stderr.trim().split('\n')).toEqual([
        `error: --resume needs the run's id: set ${RUN_ORIGIN_ENV.runId} (the generated DAG and workflow do), or run under GitHub Actions`,
      ]);
      const retry = await runDbtRun(product, ['retry', '--resume'], { [RUN_ORIGIN_ENV.runId]: 'r1' });
      expect(retry.exitCode).toBe(2);
      expect(retry.stderr).toContain('it takes no --resume');
    } finally {
      await product.cleanup();
    }
  });
});
