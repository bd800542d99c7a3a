/**
 * --changed-since on a real git repository (commits made here), with the
 * real dbt on DuckDB: the nodes that run are exactly the ones a change
 * affects, and the explanation says why, line by line.
 */
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffProperties } from '../../src/select/properties-diff.js';
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

/** Runs --changed-since, returns the non-test nodes that ran (tests follow their models), and the tests. */
async function changedRun(ref: string): Promise<{ nodes: string[]; tests: string[]; output: string }> {
  const run = await runDbtRun(product, ['build', '--changed-since', ref]);
  expect(run.exitCode, run.output).toBe(0);
  const { results } = await readRunResults(product);
  const ids = results.map((result) => result.unique_id).sort();
  const nodes = ids.filter((id) => !id.startsWith('test.') && !id.startsWith('operation.'));
  return { nodes, tests: ids.filter((id) => id.startsWith('test.')), output: run.stdout };
}

/** The explanation lines dbt-run printed (one per reason). */
const explanation = (output: string) => output.split('\n').filter((line) => /^(changed|deleted) /.test(line.trim()));

const ALL_MODELS_AND_SEEDS = [
  'model.shop.audit_latest_status',
  'model.shop.audit_model_duration_trend',
  'model.shop.audit_recent_failures',
  'model.shop.dbt_audit_invocations',
  'model.shop.dbt_audit_log',
  'model.shop.dim_customers',
  'model.shop.fct_orders',
  'model.shop.stg_customers',
  'model.shop.stg_orders',
  'seed.shop.raw_customers',
  'seed.shop.raw_orders',
];

async function revert() {
  await git().raw(['reset', '--hard', base]);
  await git().raw(['clean', '-fd', '--exclude=target']);
}

describe('dbt-run --changed-since', () => {
  // First: the manifest is then the one the first build wrote for the YAML on disk.
  it("every generic test's name worked out from the YAML is the one dbt gave it", async () => {
    const manifest = JSON.parse(await readFile(path.join(product.dir, 'target', 'manifest.json'), 'utf8')) as {
      nodes: Record<string, { resource_type: string; name: string; original_file_path: string }>;
    };
    const files = new Set(
      Object.values(manifest.nodes)
        .filter((node) => node.resource_type === 'test')
        .map((node) => node.original_file_path),
    );
    expect(files.size).toBeGreaterThanOrEqual(2);
    for (const file of files) {
      const fromDbt = Object.values(manifest.nodes)
        .filter((node) => node.resource_type === 'test' && node.original_file_path === file)
        .map((node) => node.name)
        .sort();
      const ours = diffProperties(undefined, await readFile(path.join(product.dir, file), 'utf8'))
        .flatMap((change) => (change.kind === 'test' ? [change.name] : []))
        .sort();
      expect(ours, file).toEqual(fromDbt);
    }
  });

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
    expect(explanation(output)).toEqual([
      'changed models/staging/stg_orders.sql → path:models/staging/stg_orders.sql+,package:shop (model stg_orders: its file changed; it and its downstream)',
    ]);
    await revert();
  });

  it('a changed YAML description (committed): the model it documents, not its downstream', async () => {
    const file = path.join(product.dir, 'models/marts/_marts.yml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('One row per order.', 'One row per order, changed.'));
    await git().add('.');
    await git().commit('describe fct_orders');
    const { nodes, output } = await changedRun(base);
    expect(nodes, output).toEqual(['model.shop.fct_orders']);
    expect(explanation(output)).toEqual([
      'changed models/marts/_marts.yml → path:models/marts/fct_orders.sql,package:shop (model fct_orders: description changed; the model itself)',
    ]);
    await revert();
  });

  it('changed tests in a schema YAML: those tests only, no model (names as dbt gives them)', async () => {
    const file = path.join(product.dir, 'models/staging/_staging.yml');
    const text = await readFile(file, 'utf8');
    await writeFile(
      file,
      text
        .replace(
          'values: [placed, shipped, completed, returned]',
          'values: [placed, shipped, completed, returned, return_pending]',
        )
        .replace(
          '      - name: email\n        data_tests: [not_null]',
          '      - name: email\n        data_tests:\n          - not_null:\n              config: {severity: warn}',
        ),
    );
    const { nodes, tests, output } = await changedRun(base);
    expect(nodes).toEqual([]);
    expect(tests.map((id) => id.split('.').slice(0, 3).join('.'))).toEqual([
      'test.shop.accepted_values_stg_orders_status__placed__shipped__completed__returned__return_pending',
      'test.shop.not_null_stg_customers_email',
    ]);
    expect(explanation(output)).toEqual([
      'changed models/staging/_staging.yml → not_null_stg_customers_email,resource_type:test,package:shop (test not_null on stg_customers.email changed: that test only)',
      'changed models/staging/_staging.yml → accepted_values_stg_orders_status__placed__shipped__completed__returned__return_pending,resource_type:test,package:shop (test accepted_values on stg_orders.status changed: that test only)',
    ]);
    await revert();
  });

  it('a changed seed (committed): the seed and everything reading it', async () => {
    await appendFile(
      path.join(product.dir, 'seeds/raw_customers.csv'),
      '7,Frances,Allen,frances@example.com,2025-11-01\n',
    );
    await git().add('.');
    await git().commit('add a customer');
    const { nodes, output } = await changedRun(base);
    expect(nodes).toEqual(['model.shop.dim_customers', 'model.shop.stg_customers', 'seed.shop.raw_customers']);
    expect(explanation(output)).toEqual([
      'changed seeds/raw_customers.csv → path:seeds/raw_customers.csv+,package:shop (seed raw_customers: its file changed; it and its downstream)',
    ]);
    await revert();
  });

  it('a changed macro: the models that call it and their downstream', async () => {
    await appendFile(path.join(product.dir, 'macros/audit/audit_sql.sql'), '\n{# changed #}\n');
    const { nodes, output } = await changedRun(base);
    // Two models call its macros; the on-run-end audit hook does too, which no node depends on.
    expect(explanation(output)).toEqual([
      'changed macros/audit/audit_sql.sql → path:models/audit/dbt_audit_invocations.sql+,package:shop path:models/audit/dbt_audit_log.sql+,package:shop (the 2 nodes that call macros defined in this file, directly or through other macros, dispatch or hooks; and their downstream)',
      "changed macros/audit/audit_sql.sql → nothing (the on-run-end hook uses macros defined in this file; it runs after the nodes of any build, so no node's build depends on it)",
    ]);
    expect(nodes).toEqual([
      'model.shop.audit_latest_status',
      'model.shop.audit_model_duration_trend',
      'model.shop.audit_recent_failures',
      'model.shop.dbt_audit_invocations',
      'model.shop.dbt_audit_log',
    ]);
    await revert();
  });

  it('appending to the generate_schema_name override: every model and seed, and why', async () => {
    await appendFile(path.join(product.dir, 'macros/upstream/generate_schema_name.sql'), '\n{# changed #}\n');
    const { nodes, output } = await changedRun(base);
    expect(nodes).toEqual(ALL_MODELS_AND_SEEDS);
    expect(explanation(output)).toEqual([
      'changed macros/upstream/generate_schema_name.sql → resource_type:model,package:shop resource_type:seed,package:shop resource_type:snapshot,package:shop (dbt calls generate_schema_name for every model, seed and snapshot, and it is defined in this file; the macros defined in this file can take the place of macro.dbt.generate_schema_name)',
    ]);
    expect(output).not.toContain('new file');
    await revert();
  });

  it('a new macro file overriding generate_alias_name: every model and seed', async () => {
    await mkdir(path.join(product.dir, 'macros/naming'), { recursive: true });
    await writeFile(
      path.join(product.dir, 'macros/naming/generate_alias_name.sql'),
      '{% macro generate_alias_name(custom_alias_name=none, node=none) -%}\n  {{ default__generate_alias_name(custom_alias_name, node) }}\n{%- endmacro %}\n',
    );
    const { nodes, output } = await changedRun(base);
    expect(nodes).toEqual(ALL_MODELS_AND_SEEDS);
    expect(explanation(output)).toEqual([
      'changed macros/naming/generate_alias_name.sql → resource_type:model,package:shop resource_type:seed,package:shop resource_type:snapshot,package:shop (dbt calls generate_alias_name for every model, seed and snapshot, and it is defined in this file; the macros defined in this file can take the place of macro.dbt.generate_alias_name)',
    ]);
    await revert();
  });

  it('a new selector in selectors.yml: its nodes', async () => {
    await appendFile(
      path.join(product.dir, 'selectors.yml'),
      '\n  - name: marts\n    definition:\n      method: path\n      value: models/marts\n',
    );
    const { nodes, output } = await changedRun(base);
    expect(nodes).toEqual(['model.shop.dim_customers', 'model.shop.fct_orders']);
    expect(explanation(output)).toEqual([
      'changed selectors.yml → path:models/marts,package:shop (selector marts is new: its nodes in this product)',
    ]);
    await revert();
  });

  it('a packages.yml with no package entry: nothing to run, and why', async () => {
    await writeFile(path.join(product.dir, 'packages.yml'), '# parents come later\npackages: []\n');
    const run = await runDbtRun(product, ['build', '--changed-since', base]);
    expect(run.exitCode, run.output).toBe(0);
    expect(explanation(run.stdout)).toEqual([
      'changed packages.yml → nothing (no package entry changed: comments or layout only)',
    ]);
    expect(run.stdout).toContain(`nothing changed since ${base} that dbt builds`);
    await revert();
  });

  it('a changed dbt_project.yml: everything', async () => {
    await appendFile(path.join(product.dir, 'dbt_project.yml'), '\n# changed\n');
    const { nodes, output } = await changedRun(base);
    expect(explanation(output)).toEqual([
      'changed dbt_project.yml → the default selection (selector product) (dbt_project.yml configures every node)',
    ]);
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
