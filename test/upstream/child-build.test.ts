/**
 * A child product importing its parent, end to end with real git and real
 * dbt: the parent (created by create-dbt-product, committed) builds itself;
 * the child is created with --parent file://...#<sha>, installs it with
 * dbt deps from the local URL, and `dbt-run build` builds every child node and
 * no parent node (run_results.json and the audit rows), its model reading the
 * parent's public model succeeding on the parent's own tables; on the shared
 * DuckDB file and on the test PostgreSQL.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commitAll } from '../harness/git.js';
import { readRunResults, runDbt, runDbtRun, scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { WAREHOUSES } from '../harness/warehouse.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

describe.each(WAREHOUSES)('a child product on $label', (warehouse) => {
  it('builds every child node and no parent node; its model reads the parent built by its own run', {
    timeout: 300_000,
  }, async () => {
    // The parent: its own repository and first commit, as create-dbt-product makes it.
    const parent = await scaffoldTestProduct({ name: 'shop' });
    cleanups.push(parent.cleanup);
    const sha = await commitAll(parent.dir, 'shop v1');
    const built = await runDbt(parent, ['build', '--target', warehouse.target]);
    expect(built.exitCode, built.output.slice(-2000)).toBe(0);

    // The child, in the same warehouse (DuckDB file or PostgreSQL), reading the parent's schema.
    const child: TestProduct = await scaffoldTestProduct({ name: 'kids', parents: [`file://${parent.dir}#${sha}`] });
    cleanups.push(child.cleanup);
    child.env.DBT_PRODUCT_DUCKDB_PATH = parent.duckdbPath;
    child.duckdbPath = parent.duckdbPath;
    // The child is a repository of its own too, as create-dbt-product makes it.
    await commitAll(child.dir, 'kids v1');
    child.env.DBT_UPSTREAM_SHOP_SCHEMA = parent.schema;
    const deps = await runDbt(child, ['deps']);
    expect(deps.exitCode, deps.output.slice(-2000)).toBe(0);
    expect(deps.output).toContain(`Installed from revision ${sha}`);

    const run = await runDbtRun(child, ['build', '--target', warehouse.target, '--no-events']);
    expect(run.exitCode, run.output).toBe(0);
    const { metadata, results } = await readRunResults(child);
    const ran = results.filter((result) => !result.unique_id.startsWith('operation.'));
    expect(ran.map((result) => result.unique_id.split('.')[1])).toEqual(ran.map(() => 'kids'));
    expect(ran.map((result) => result.unique_id)).toContain('model.kids.upstream_shop_dim_customers');
    expect(ran.every((result) => result.status === 'success')).toBe(true);

    // The audit agrees: the child's rows only, none from the parent's hook (it records nothing in a child).
    const rows = await warehouse.query(
      child,
      `select unique_id, package_name, recorded_by from ${child.schema}_audit.dbt_audit_log where invocation_id = '${metadata.invocation_id}'`,
    );
    expect(rows.length).toBe(results.length);
    expect(rows.filter((row) => String(row.unique_id).startsWith('model.shop.'))).toEqual([]);
    expect(rows.every((row) => row.recorded_by === 'runner')).toBe(true);

    // The child's view reads the parent's table.
    const customers = await warehouse.query(
      child,
      `select count(*) as n from ${child.schema}.upstream_shop_dim_customers`,
    );
    const parentCustomers = await warehouse.query(parent, `select count(*) as n from ${parent.schema}.dim_customers`);
    expect(Number(customers[0]?.n)).toBeGreaterThan(0);
    expect(Number(customers[0]?.n)).toBe(Number(parentCustomers[0]?.n));

    // Plain dbt (its audit hook on): the parent's hook, installed with the package, runs too but
    // records nothing, so each node has exactly one row, the child's hook's.
    const plain = await runDbt(child, ['build', '--target', warehouse.target]);
    expect(plain.exitCode, plain.output.slice(-2000)).toBe(0);
    const plainRun = await readRunResults(child);
    const hookRows = await warehouse.query(
      child,
      `select unique_id, recorded_by from ${child.schema}_audit.dbt_audit_log where invocation_id = '${plainRun.metadata.invocation_id}'`,
    );
    // (run_results.json also lists the hooks, which run after the results they are handed.)
    const nodes = plainRun.results.filter((result) => !result.unique_id.startsWith('operation.'));
    expect(hookRows.map((row) => row.unique_id).sort()).toEqual(nodes.map((result) => result.unique_id).sort());
    expect(hookRows.every((row) => row.recorded_by === 'hook')).toBe(true);

    // A selection reaching into the parent (its model's ancestors) is refused before dbt runs.
    const reaching = await runDbtRun(child, [
      'build',
      '--target',
      warehouse.target,
      '--select',
      '+upstream_shop_dim_customers',
      '--no-events',
    ]);
    expect(reaching.exitCode).toBe(2);
    const refusal = reaching.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(refusal).toHaveLength(1);
    expect(refusal[0]).toMatch(/^error: the selection would build \d+ nodes of shop \(.*model\.shop\.dim_customers/);
    expect(refusal[0]).toContain('pass --allow-upstream');
    // --allow-upstream lets it through (the parent's tests, read-only, on the parent's own tables).
    const allowed = await runDbtRun(child, [
      'test',
      '--target',
      warehouse.target,
      '--select',
      'package:shop',
      '--allow-upstream',
      '--no-events',
    ]);
    expect(allowed.exitCode, allowed.output).toBe(0);
    expect((await readRunResults(child)).results.some((result) => result.unique_id.startsWith('test.shop.'))).toBe(
      true,
    );

    // restrict-access: a parent's protected (non-public) model cannot be ref()'d from the child.
    const protectedRef = path.join(child.dir, 'models', 'upstream', 'reads_protected.sql');
    await writeFile(protectedRef, "select * from {{ ref('shop', 'stg_orders') }}\n");
    const refused = await runDbtRun(child, ['build', '--target', warehouse.target, '--no-events']);
    expect(refused.exitCode).toBe(2);
    expect(refused.output).toContain(
      'attempted to reference node model.shop.stg_orders, which is not allowed because the referenced node is protected',
    );
    await rm(protectedRef);

    // An installed parent that is not the pinned one is refused too.
    const manifestFile = path.join(child.dir, 'dbt-product.yml');
    const pinned = await readFile(manifestFile, 'utf8');
    await writeFile(manifestFile, pinned.replace(`revision: ${sha}`, `revision: ${'f'.repeat(40)}`));
    const stale = await runDbtRun(child, ['build', '--target', warehouse.target, '--no-events']);
    expect(stale.exitCode).toBe(2);
    expect(stale.stderr).toContain(
      `error: shop is installed at ${sha}, dbt-product.yml pins ${'f'.repeat(40)}: run dbt-run deps (or dbt-run upstreams bump)`,
    );
    await writeFile(manifestFile, pinned);
  });
});
