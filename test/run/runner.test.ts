/**
 * dbt-run end to end: the real bin drives the real dbt on DuckDB and on the
 * test PostgreSQL server, then records run_results.json in the audit tables.
 */
import { cp, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { auditJsonlPath, sinkForTarget } from '../../src/audit/sinks/index.js';
import { auditTablesFor } from '../../src/audit/tables.js';
import { readManifest, readSelectionManifest } from '../../src/dbt/artifacts.js';
import { resolveTarget } from '../../src/dbt/profiles.js';
import { selectionIndexPath } from '../../src/select/manifest-index.js';
import { readRunResults, runDbt, runDbtRun, scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { type TestWarehouse, WAREHOUSES } from '../harness/warehouse.js';

const FAILURES = fileURLToPath(new URL('../fixtures/runner-failures', import.meta.url));

async function auditOf(warehouse: TestWarehouse, product: TestProduct, invocationId: string) {
  const audit = `${product.schema}_audit`;
  const nodes = await warehouse.query(
    product,
    `select * from ${audit}.dbt_audit_log where invocation_id = '${invocationId}'`,
  );
  const invocations = await warehouse.query(
    product,
    `select * from ${audit}.dbt_audit_invocations where invocation_id = '${invocationId}'`,
  );
  return { nodes, invocations };
}

/** Every run_results entry has exactly one audit row with the same facts. */
async function expectAuditMatchesRunResults(warehouse: TestWarehouse, product: TestProduct) {
  const { metadata, results } = await readRunResults(product);
  const { nodes, invocations } = await auditOf(warehouse, product, metadata.invocation_id);
  expect(nodes).toHaveLength(results.length);
  const byId = new Map(nodes.map((row) => [row.unique_id as string, row]));
  expect(byId.size).toBe(results.length);
  for (const result of results) {
    const row = byId.get(result.unique_id);
    expect(row, result.unique_id).toMatchObject({
      status: result.status,
      recorded_by: 'runner',
      target_name: warehouse.target,
    });
    expect(Number(row?.execution_time)).toBe(result.execution_time);
    expect(Number(row?.rows_affected)).toBe(result.adapter_response.rows_affected ?? 0);
    expect(row?.message ?? null).toBe(result.message);
    expect(row?.failures == null ? null : Number(row.failures)).toBe(result.failures);
  }
  expect(invocations).toHaveLength(1);
  return { metadata, results, nodes, invocation: invocations[0] as Record<string, unknown> };
}

describe.each(WAREHOUSES)('dbt-run on $label', (warehouse) => {
  it('records a successful build exactly, with an invocation row, and the hook writes nothing', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const run = await runDbtRun(product, ['build', '--target', warehouse.target]);
      expect(run.exitCode, run.output).toBe(0);
      expect(run.stdout).toMatch(/audit: \d+ rows written to /);
      const { results, nodes, invocation } = await expectAuditMatchesRunResults(warehouse, product);
      // The hook was switched off: no row of this invocation says it came from the hook.
      expect(nodes.every((row) => row.recorded_by === 'runner')).toBe(true);
      expect(invocation).toMatchObject({
        command: 'build',
        status: 'success',
        target_name: warehouse.target,
        product_name: 'shop',
      });
      expect(Number(invocation.exit_code)).toBe(0);
      // Nodes: the on-run-end hook dbt reports among its results is an operation, counted apart.
      const nodeResults = results.filter((result) => !result.unique_id.startsWith('operation.'));
      expect(nodeResults.length).toBe(results.length - 1);
      expect(Number(invocation.nodes_total)).toBe(nodeResults.length);
      expect(Number(invocation.nodes_pass)).toBe(nodeResults.filter((result) => result.status === 'pass').length);
      expect(Number(invocation.nodes_success)).toBe(nodeResults.filter((result) => result.status === 'success').length);

      // Uploading the same invocation again (from its JSONL copy) leaves the same rows.
      const { metadata } = await readRunResults(product);
      const lines = (await readFile(auditJsonlPath(path.join(product.dir, 'target'), metadata.invocation_id), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      const batch = {
        invocationId: metadata.invocation_id,
        invocation: lines.find((line) => line.kind === 'invocation').row,
        nodes: lines.filter((line) => line.kind === 'node').map((line) => line.row),
      };
      expect(batch.nodes).toHaveLength(results.length);
      const target = await resolveTarget({
        projectDir: product.dir,
        target: warehouse.target,
        env: { ...process.env, ...product.env },
      });
      const manifest = await readManifest(path.join(product.dir, 'target', 'manifest.json'));
      const sink = await sinkForTarget({
        target,
        tables: auditTablesFor({ projectName: 'shop', targetSchema: target.fields.schema, nodes: manifest.nodes }),
        projectDir: product.dir,
        env: process.env,
      });
      await sink?.write(batch);
      await sink?.write(batch);
      const again = await auditOf(warehouse, product, metadata.invocation_id);
      expect(again.nodes).toHaveLength(results.length);
      expect(again.invocations).toHaveLength(1);
      const sortById = (rows: Record<string, unknown>[]) =>
        [...rows].sort((a, b) => String(a.unique_id).localeCompare(String(b.unique_id)));
      expect(sortById(again.nodes)).toEqual(sortById(nodes));

      // The run left a selection index for the manifest.json its dbt wrote last (not the one
      // read mid-run: compiling tests adds macros to them): the next --changed-since starts warm.
      const manifestFile = path.join(product.dir, 'target', 'manifest.json');
      const index = JSON.parse(await readFile(selectionIndexPath(path.join(product.dir, 'target')), 'utf8'));
      const manifestStats = await stat(manifestFile);
      expect(index.key).toBe(`${manifestStats.size}:${manifestStats.mtimeMs}`);
      expect(index.manifest).toEqual(JSON.parse(JSON.stringify(await readSelectionManifest(manifestFile))));
      expect(Object.keys(index.manifest.nodes)).toContain('model.shop.fct_orders');
    } finally {
      await product.cleanup();
    }
  });

  it('records a failing model, its skipped child, a failing and a warning test, and exits 1', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      await cp(FAILURES, product.dir, { recursive: true });
      const run = await runDbtRun(product, ['build', '--target', warehouse.target]);
      expect(run.exitCode, run.output).toBe(1);
      const { results, invocation } = await expectAuditMatchesRunResults(warehouse, product);
      const status = Object.fromEntries(
        results.map((result) => [result.unique_id.split('.').slice(0, 3).join('.'), result.status]),
      );
      expect(status).toMatchObject({
        'model.shop.broken': 'error',
        'model.shop.after_broken': 'skipped',
        'test.shop.no_big_spenders': 'fail',
        'test.shop.customers_have_two_orders': 'warn',
      });
      expect(invocation).toMatchObject({ status: 'failed' });
      expect(Number(invocation.exit_code)).toBe(1);
      expect(Number(invocation.nodes_error)).toBe(1);
      expect(Number(invocation.nodes_skipped)).toBe(results.filter((result) => result.status === 'skipped').length);
      expect(Number(invocation.nodes_fail)).toBe(1);
      expect(Number(invocation.nodes_warn)).toBe(1);
    } finally {
      await product.cleanup();
    }
  });
});

describe('dbt-run next to plain dbt (DuckDB)', () => {
  it("keeps dbt's partial parsing and its text log file", async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      expect((await runDbt(product, ['parse'])).exitCode).toBe(0);
      await rm(path.join(product.dir, 'logs'), { recursive: true, force: true });
      const run = await runDbtRun(product, ['seed']);
      expect(run.exitCode, run.output).toBe(0);
      // The hook is switched off without --vars, which would have made dbt re-parse the whole project.
      const parse = await runDbt(product, ['parse']);
      expect(parse.exitCode, parse.output).toBe(0);
      expect(parse.output).not.toContain('Unable to do partial parsing');
      // dbt-run reads JSON from stdout, but logs/dbt.log stays in dbt's own format.
      const log = (await readFile(path.join(product.dir, 'logs', 'dbt.log'), 'utf8')).split('\n').filter(Boolean);
      expect(log.length).toBeGreaterThan(10);
      expect(log.filter((line) => line.startsWith('{'))).toEqual([]);
    } finally {
      await product.cleanup();
    }
  });
});
