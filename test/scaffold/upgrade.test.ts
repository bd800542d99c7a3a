/**
 * create-dbt-product upgrade: after a change to the kit's templates, a
 * product's own edits to a model and to dbt_project.yml are kept and the
 * template change applied (git merge-file against the generated copy), an
 * edit to the very lines the kit changed is a reported conflict with
 * markers, --dry-run writes nothing, and the new renderings become the base.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { usesPinned } from '../../src/github/pins.js';
import { createProduct, kitFacts, kitTemplates } from '../../src/scaffold/create.js';
import { normaliseOptions } from '../../src/scaffold/options.js';
import type { TemplateFile } from '../../src/scaffold/plan.js';
import { recordedProduct, upgradeProduct } from '../../src/scaffold/upgrade.js';
import { kitSchemaFiles } from '../../src/schemas/json-schema.js';
import { tempDir } from '../harness/product.js';

const BIN = new URL('../../packages/create-dbt-product/bin/create-dbt-product.js', import.meta.url).pathname;
let root: string;
let product: string;

beforeEach(async () => {
  root = await tempDir('dbt-product-kit-upgrade-');
  product = path.join(root, 'shop');
  await createProduct(normaliseOptions({ dir: product, name: 'shop', git: false }));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const file = (relative: string) => path.join(product, relative);
const read = (relative: string) => readFile(file(relative), 'utf8');
async function edit(relative: string, change: (text: string) => string) {
  await writeFile(file(relative), change(await read(relative)));
}

/** The kit's templates, as a later kit version would have them. */
async function changedTemplates(): Promise<TemplateFile[]> {
  const change: Record<string, (text: string) => string> = {
    'models/staging/stg_orders.sql.hbs': (text) => `-- Orders as the source delivers them, typed.\n${text}`,
    'dbt_project.yml.hbs': (text) => text.replace('# dbt project of the', '# The dbt project of the'),
    'models/marts/fct_orders.sql.hbs': (text) =>
      text.replace(
        "orders.status = 'returned' as is_returned",
        "orders.status in ('returned', 'refunded') as is_returned",
      ),
  };
  return (await kitTemplates('mwaa')).map((template) => {
    const apply = change[template.path];
    return apply ? { ...template, content: apply(template.content) } : template;
  });
}

async function snapshot(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const hashes: Record<string, string> = {};
  for (const entry of entries.filter((each) => each.isFile())) {
    const absolute = path.join(entry.parentPath, entry.name);
    hashes[path.relative(dir, absolute)] = createHash('sha256')
      .update(await readFile(absolute))
      .digest('hex');
  }
  return hashes;
}

describe('upgradeProduct', () => {
  it('keeps your edits, applies the kit change, and reports a real conflict', async () => {
    // Your edits: a filter at the end of a staging model, a var in dbt_project.yml, and the
    // very line of fct_orders the kit is about to change.
    await edit('models/staging/stg_orders.sql', (text) => `${text.trimEnd()}\nwhere amount >= 0\n`);
    await edit('dbt_project.yml', (text) => text.replace('audit_failure_days: 7', 'audit_failure_days: 14'));
    await edit('models/marts/fct_orders.sql', (text) =>
      text.replace("orders.status = 'returned' as is_returned", "orders.status = 'returned_to_store' as is_returned"),
    );
    const before = await snapshot(product);

    const kit = await kitFacts();
    const dry = await upgradeProduct({ projectDir: product, templates: changedTemplates, kit, dryRun: true });
    expect(await snapshot(product)).toEqual(before);

    const result = await upgradeProduct({ projectDir: product, templates: changedTemplates, kit });
    const actions = Object.fromEntries(
      result.files.filter((each) => each.action !== 'unchanged').map((each) => [each.path, each.action]),
    );
    expect(actions).toEqual({
      'models/staging/stg_orders.sql': 'merged',
      'dbt_project.yml': 'merged',
      'models/marts/fct_orders.sql': 'conflict',
    });
    expect(dry.files.map((each) => each.action)).toEqual(result.files.map((each) => each.action));

    const staging = await read('models/staging/stg_orders.sql');
    expect(staging.startsWith('-- Orders as the source delivers them, typed.\n')).toBe(true);
    expect(staging.trimEnd().endsWith('where amount >= 0')).toBe(true);
    const project = await read('dbt_project.yml');
    expect(project).toContain('# The dbt project of the shop data product.');
    expect(project).toContain('audit_failure_days: 14');
    const marts = await read('models/marts/fct_orders.sql');
    expect(marts).toMatch(/<<<<<<< yours\n.*'returned_to_store'.*\n=======\n.*'refunded'.*\n>>>>>>> kit\n/);

    // The new renderings are the base now, and dbt-product.yml records their hashes.
    const base = JSON.parse(await read('.dbt-product-kit/base.json')).files;
    expect(base['models/staging/stg_orders.sql']).toContain('typed.');
    expect(await read('dbt-product.yml')).toMatch(/kit:\n {2}version: .+\n {2}files:\n/);
    // A second upgrade with the same templates changes nothing more.
    const again = await upgradeProduct({ projectDir: product, templates: changedTemplates, kit });
    expect(again.files.filter((each) => each.action !== 'unchanged')).toEqual([]);
  });

  it("re-renders with the product's recorded --execution; one made before it gets the watcher", async () => {
    const perNode = path.join(root, 'legacy');
    await createProduct(normaliseOptions({ dir: perNode, name: 'legacy', git: false, execution: 'per-node' }));
    expect((await recordedProduct(perNode)).options.execution).toBe('per-node');
    const result = await upgradeProduct({
      projectDir: perNode,
      templates: () => kitTemplates('mwaa'),
      kit: await kitFacts(),
    });
    expect(result.files.filter((each) => each.action !== 'unchanged')).toEqual([]);
    expect(await readFile(path.join(perNode, 'dags', 'legacy_dag.py'), 'utf8')).toContain('EXECUTION = "per-node"');
    await edit('dbt-product.yml', (text) => text.replace(/^execution: watcher\n/m, ''));
    expect(await read('dbt-product.yml')).not.toContain('execution:');
    expect((await recordedProduct(product)).options.execution).toBe('watcher');
  });

  it("re-renders the MWAA Serverless workflow with dbt-product.yml's retries", async () => {
    const dir = path.join(root, 'serverless');
    await createProduct(normaliseOptions({ dir, name: 'nightly', git: false, orchestrator: 'mwaa-serverless' }));
    const manifestFile = path.join(dir, 'dbt-product.yml');
    const manifest = await readFile(manifestFile, 'utf8');
    expect(manifest).toContain('retries:\n  count: 2\n  delay_seconds: 300\n');
    await writeFile(manifestFile, manifest.replace('count: 2', 'count: 4'));
    expect((await recordedProduct(dir)).options.retries).toEqual({ count: 4, delay_seconds: 300 });
    const result = await upgradeProduct({
      projectDir: dir,
      templates: () => kitTemplates('mwaa-serverless'),
      kit: await kitFacts(),
    });
    expect(result.files.filter((each) => each.action !== 'unchanged').map((each) => each.path)).toEqual([
      'mwaa-serverless/nightly.yaml',
    ]);
    const workflow = await readFile(path.join(dir, 'mwaa-serverless', 'nightly.yaml'), 'utf8');
    expect(workflow).toContain('    retries: 4\n    retry_delay: 300\n');
  });

  it('leaves a file you deleted deleted, and brings a new template file', async () => {
    await rm(file('models/staging/stg_customers.sql'));
    const withNewFile = async () => [
      ...(await kitTemplates('mwaa')),
      { path: 'macros/kit/new_macro.sql', content: '{% macro new_macro() %}1{% endmacro %}\n' },
    ];
    const result = await upgradeProduct({ projectDir: product, templates: withNewFile, kit: await kitFacts() });
    const actions = Object.fromEntries(
      result.files.filter((each) => each.action !== 'unchanged').map((each) => [each.path, each.action]),
    );
    expect(actions).toEqual({
      'models/staging/stg_customers.sql': 'kept-deleted',
      'macros/kit/new_macro.sql': 'added',
    });
    expect(await read('macros/kit/new_macro.sql')).toContain('new_macro');
  });

  it("brings the JSON Schemas to a product made before them, and replaces one the kit's definitions changed", async () => {
    const schemas = kitSchemaFiles();
    const older = async (change: (base: Record<string, string>) => Promise<void>) => {
      const base = JSON.parse(await read('.dbt-product-kit/base.json'));
      await change(base.files);
      await writeFile(file('.dbt-product-kit/base.json'), JSON.stringify(base));
    };
    // As a kit without schemas/ generated the product.
    await older(async (files) => {
      for (const schema of schemas) {
        delete files[schema.path];
        await rm(file(schema.path));
      }
    });
    const kit = await kitFacts();
    const added = await upgradeProduct({ projectDir: product, templates: kitTemplates, kit });
    expect(added.files.filter((each) => each.action !== 'unchanged')).toEqual(
      schemas.map((schema) => ({ path: schema.path, action: 'added', content: schema.content })),
    );
    for (const schema of schemas) expect(await read(schema.path)).toBe(schema.content);

    // As a kit whose definition said less generated one, and the product left it alone.
    const [first] = schemas;
    const previous = `${JSON.stringify({ title: 'an older definition' }, null, 2)}\n`;
    await older(async (files) => {
      files[first?.path ?? ''] = previous;
      await writeFile(file(first?.path ?? ''), previous);
    });
    const updated = await upgradeProduct({ projectDir: product, templates: kitTemplates, kit });
    expect(updated.files.filter((each) => each.action !== 'unchanged').map((each) => [each.path, each.action])).toEqual(
      [[first?.path, 'updated']],
    );
    expect(await read(first?.path ?? '')).toBe(first?.content);
  });

  it("brings the workflows to the kit's current pins, keeping your own edit of them", async () => {
    // As an older kit generated them: actions/checkout at an older release. ci.yml also has your edit.
    const current = usesPinned('checkout');
    const old = 'actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4.1.1';
    const base = JSON.parse(await read('.dbt-product-kit/base.json'));
    for (const workflow of ['ci.yml', 'deploy.yml']) {
      const key = `.github/workflows/${workflow}`;
      expect(base.files[key]).toContain(`uses: ${current}`);
      base.files[key] = base.files[key].replaceAll(current, old);
      await edit(key, (text) => text.replaceAll(current, old));
    }
    await writeFile(file('.dbt-product-kit/base.json'), JSON.stringify(base));
    await edit('.github/workflows/ci.yml', (text) => text.replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-24.04'));

    const result = await upgradeProduct({ projectDir: product, templates: kitTemplates, kit: await kitFacts() });
    expect(result.files.filter((each) => each.action !== 'unchanged').map((each) => [each.path, each.action])).toEqual([
      ['.github/workflows/ci.yml', 'merged'],
      ['.github/workflows/deploy.yml', 'updated'],
    ]);
    for (const workflow of ['ci.yml', 'deploy.yml']) {
      const text = await read(`.github/workflows/${workflow}`);
      expect(text).toContain(`uses: ${current}`);
      expect(text).not.toContain(old);
    }
    expect(await read('.github/workflows/ci.yml')).toContain('runs-on: ubuntu-24.04');
  });
});

describe('create-dbt-product upgrade (the bin)', () => {
  it('in a product the current kit made: nothing to change, exit 0; outside one: one line, exit 2', async () => {
    const run = await execa(process.execPath, [BIN, 'upgrade'], { cwd: product, reject: false });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^upgraded from kit .+ to .+: 0 files changed, 0 conflicts$/m);
    const outside = await execa(process.execPath, [BIN, 'upgrade'], { cwd: root, reject: false });
    expect(outside.exitCode).toBe(2);
    expect(outside.stderr.trim()).toBe(
      `error: no dbt-product.yml in ${root}: run create-dbt-product upgrade inside a product`,
    );
  });
});
