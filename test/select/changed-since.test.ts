/**
 * --changed-since on a real git repository (commits made here), with the
 * real dbt on DuckDB: the nodes that run are exactly the changed ones and
 * their downstream.
 */
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRunResults, runDbtRun, scaffoldTestProduct, type TestProduct } from '../harness/product.js';

let product: TestProduct;
let base: string;
const git = () => simpleGit(product.dir, { config: ['user.email=test@localhost', 'user.name=test'] });

beforeAll(async () => {
  product = await scaffoldTestProduct({ name: 'shop' });
  await git().init();
  await git().add('.');
  await git().commit('initial');
  base = (await git().revparse(['HEAD'])).trim();
  // A first build writes target/manifest.json, which --changed-since maps files with.
  const first = await runDbtRun(product, ['build']);
  expect(first.exitCode, first.output).toBe(0);
});

afterAll(async () => {
  await product.cleanup();
});

/** Runs --changed-since, returns the non-test nodes that ran (tests follow their models). */
async function changedRun(ref: string): Promise<{ nodes: string[]; output: string }> {
  const run = await runDbtRun(product, ['build', '--changed-since', ref]);
  expect(run.exitCode, run.output).toBe(0);
  const { results } = await readRunResults(product);
  const nodes = results
    .map((result) => result.unique_id)
    .filter((id) => !id.startsWith('test.') && !id.startsWith('operation.'))
    .sort();
  return { nodes, output: run.stdout };
}

async function revert() {
  await git().raw(['reset', '--hard', base]);
  await git().raw(['clean', '-fd', '--exclude=target']);
}

describe('dbt-run --changed-since', () => {
  it('runs nothing, exit 0, when nothing changed', async () => {
    const before = (await stat(path.join(product.dir, 'target', 'run_results.json'))).mtimeMs;
    const run = await runDbtRun(product, ['build', '--changed-since', base]);
    expect(run.exitCode, run.output).toBe(0);
    expect(run.stdout).toContain(`nothing changed since ${base}`);
    expect((await stat(path.join(product.dir, 'target', 'run_results.json'))).mtimeMs).toBe(before);
  });

  it('a changed model (uncommitted): it and its downstream', async () => {
    await appendFile(path.join(product.dir, 'models/staging/stg_orders.sql'), '\n-- changed\n');
    const { nodes, output } = await changedRun(base);
    expect(nodes).toEqual(['model.shop.dim_customers', 'model.shop.fct_orders', 'model.shop.stg_orders']);
    expect(output).toContain('changed models/staging/stg_orders.sql → path:models/staging/stg_orders.sql+');
    await revert();
  });

  it('a changed YAML description (committed): the models it documents and their downstream', async () => {
    const file = path.join(product.dir, 'models/marts/_marts.yml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('One row per order.', 'One row per order, changed.'));
    await git().add('.');
    await git().commit('describe fct_orders');
    const { nodes } = await changedRun(base);
    expect(nodes).toEqual(['model.shop.dim_customers', 'model.shop.fct_orders']);
    await revert();
  });

  it('a changed seed (committed): the seed and everything reading it', async () => {
    await appendFile(
      path.join(product.dir, 'seeds/raw_customers.csv'),
      '7,Frances,Allen,frances@example.com,2025-11-01\n',
    );
    await git().add('.');
    await git().commit('add a customer');
    const { nodes } = await changedRun(base);
    expect(nodes).toEqual(['model.shop.dim_customers', 'model.shop.stg_customers', 'seed.shop.raw_customers']);
    await revert();
  });

  it('a changed macro: the models that call it and their downstream', async () => {
    await appendFile(path.join(product.dir, 'macros/audit/audit_sql.sql'), '\n{# changed #}\n');
    const { nodes } = await changedRun(base);
    expect(nodes).toEqual([
      'model.shop.audit_latest_status',
      'model.shop.audit_model_duration_trend',
      'model.shop.audit_recent_failures',
      'model.shop.dbt_audit_invocations',
      'model.shop.dbt_audit_log',
    ]);
    await revert();
  });

  it('a changed dbt_project.yml: everything', async () => {
    await appendFile(path.join(product.dir, 'dbt_project.yml'), '\n# changed\n');
    const { nodes, output } = await changedRun(base);
    expect(output).toContain('changed dbt_project.yml → everything');
    const { results } = await readRunResults(product);
    expect(results.filter((result) => result.unique_id.startsWith('test.')).length).toBeGreaterThanOrEqual(14);
    expect(nodes).toHaveLength(2 + 9); // two seeds, nine models
    await revert();
  });

  it('an unknown ref gives one line and exit 2', async () => {
    const run = await runDbtRun(product, ['build', '--changed-since', 'no-such-branch']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toMatch(/^error: unknown git ref "no-such-branch"/);
  });
});
