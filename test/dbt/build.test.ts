/**
 * A generated product, built by the real dbt on DuckDB and on the test
 * PostgreSQL server: it parses, builds, enforces its contracts, runs its
 * tests, and its on-run-end hook records exactly what run_results.json says.
 */
import { describe, expect, it } from 'vitest';
import { readRunResults, runDbt, scaffoldTestProduct } from '../harness/product.js';
import { WAREHOUSES } from '../harness/warehouse.js';

describe.each(WAREHOUSES)('generated product on $label', (warehouse) => {
  it('parses, builds, and records one audit row per run result', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const target = ['--target', warehouse.target];
      const parse = await runDbt(product, ['parse', ...target]);
      expect(parse.exitCode, parse.output).toBe(0);

      const build = await runDbt(product, ['build', ...target]);
      expect(build.exitCode, build.output).toBe(0);
      const { metadata, results: allResults } = await readRunResults(product);
      expect(metadata.dbt_schema_version).toMatch(/run-results\/v6/);
      // run_results.json also lists the on-run-end hook itself, which cannot record its own result.
      const hook = allResults.filter((result) => result.unique_id === 'operation.shop.shop-on-run-end-0');
      expect(hook).toHaveLength(1);
      const results = allResults.filter((result) => !hook.includes(result));

      // Contracts and tests ran: both marts were built with enforced contracts, every test passed.
      const byId = new Map(results.map((result) => [result.unique_id, result]));
      expect(byId.get('model.shop.fct_orders')?.status).toBe('success');
      expect(byId.get('model.shop.dim_customers')?.status).toBe('success');
      const tests = results.filter((result) => result.unique_id.startsWith('test.'));
      expect(tests.length).toBeGreaterThanOrEqual(14);
      expect(tests.every((test) => test.status === 'pass')).toBe(true);

      const audit = `${product.schema}_audit`;
      const rows = await warehouse.query(
        product,
        `select * from ${audit}.dbt_audit_log where invocation_id = '${metadata.invocation_id}'`,
      );
      expect(rows).toHaveLength(results.length);
      const rowsById = new Map(rows.map((row) => [row.unique_id as string, row]));
      for (const result of results) {
        const row = rowsById.get(result.unique_id);
        expect(row, result.unique_id).toBeDefined();
        expect(row).toMatchObject({
          load_id: `${metadata.invocation_id}.${result.unique_id}`,
          invocation_id: metadata.invocation_id,
          status: result.status,
          product_name: 'shop',
          target_name: warehouse.target,
          recorded_by: 'hook',
          run_source: 'local',
        });
        expect(Number(row?.execution_time)).toBe(result.execution_time);
        expect(Number(row?.rows_affected)).toBe(result.adapter_response.rows_affected ?? 0);
        expect(row?.message ?? null).toBe(result.message);
      }
      // The seeds report their row counts; a model row names its relation.
      expect(Number(rowsById.get('seed.shop.raw_orders')?.rows_affected)).toBe(10);
      expect(rowsById.get('model.shop.fct_orders')).toMatchObject({
        name: 'fct_orders',
        resource_type: 'model',
        materialization: 'table',
        schema_name: product.schema,
        package_name: 'shop',
      });

      // The analyst views read the same rows.
      const latest = await warehouse.query(product, `select unique_id, status from ${audit}.audit_latest_status`);
      expect(latest.map((row) => row.unique_id).sort()).toEqual([...byId.keys()].sort());
      const failures = await warehouse.query(product, `select * from ${audit}.audit_recent_failures`);
      expect(failures).toEqual([]);
      const trend = await warehouse.query(product, `select unique_id, runs from ${audit}.audit_model_duration_trend`);
      const models = results.filter((result) => result.unique_id.startsWith('model.'));
      expect(trend.map((row) => row.unique_id).sort()).toEqual(models.map((model) => model.unique_id).sort());

      // A table from an older kit lacks newer columns: the next run adds them back.
      // (Postgres needs cascade: the analyst views depend on the column; the build recreates them.)
      const cascade = warehouse.target === 'postgres' ? ' cascade' : '';
      await warehouse.execute(product, `alter table ${audit}.dbt_audit_log drop column recorded_at${cascade}`);

      // A second build appends; the latest-status view still holds one row per node, from the new run.
      const again = await runDbt(product, ['build', ...target]);
      expect(again.exitCode, again.output).toBe(0);
      const second = await readRunResults(product);
      const counts = await warehouse.query(
        product,
        `select invocation_id, count(*) as n from ${audit}.dbt_audit_log group by invocation_id`,
      );
      expect(counts.map((row) => Number(row.n))).toEqual([results.length, results.length]);
      const recordedAt = await warehouse.query(
        product,
        `select count(recorded_at) as n from ${audit}.dbt_audit_log where invocation_id = '${second.metadata.invocation_id}'`,
      );
      expect(Number(recordedAt[0]?.n)).toBe(results.length);
      const latestAfter = await warehouse.query(
        product,
        `select distinct invocation_id from ${audit}.audit_latest_status`,
      );
      expect(latestAfter).toEqual([{ invocation_id: second.metadata.invocation_id }]);
    } finally {
      await product.cleanup();
    }
  });

  it('rejects a contract violation before building the table', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const { readFile, writeFile } = await import('node:fs/promises');
      const file = `${product.dir}/models/marts/fct_orders.sql`;
      await writeFile(file, (await readFile(file, 'utf8')).replace('as is_returned', 'as returned_flag'));
      const build = await runDbt(product, ['build', '--target', warehouse.target, '--select', '+fct_orders']);
      expect(build.exitCode).toBe(1);
      const { results } = await readRunResults(product);
      const fct = results.find((result) => result.unique_id === 'model.shop.fct_orders');
      expect(fct?.status).toBe('error');
      expect(fct?.message).toMatch(/contract/i);
      // The audit model was not selected: the hook created the table itself and recorded the failure.
      const recorded = await warehouse.query(
        product,
        `select status from ${product.schema}_audit.dbt_audit_log where unique_id = 'model.shop.fct_orders'`,
      );
      expect(recorded).toEqual([{ status: 'error' }]);
    } finally {
      await product.cleanup();
    }
  });
});
