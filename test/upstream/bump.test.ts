/**
 * dbt-run upstreams bump with real git and real dbt: a later parent commit
 * changes nothing in the child (its pin holds through dbt deps) until the
 * bump, which repins packages.yml and dbt-product.yml, installs the new
 * revision and names the child nodes that depend on the changed parent model.
 * The pure parts (comparisons, repinning and its validation) are tested
 * directly, and a repin that would break dbt-product.yml with a stand-in dbt.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { productManifestSchema } from '../../src/product/manifest.js';
import { ProductManifestError } from '../../src/product/read.js';
import { createProduct } from '../../src/scaffold/create.js';
import { normaliseOptions } from '../../src/scaffold/options.js';
import {
  affectedNodes,
  type BumpManifest,
  bumpReport,
  bumpUpstreams,
  changedPackageNodes,
  repinPackages,
  repinProductManifest,
} from '../../src/upstream/bump.js';
import { commitAll } from '../harness/git.js';
import { runDbt, runDbtRun, scaffoldTestProduct, type TestProduct, tempDir } from '../harness/product.js';

const cleanups: (() => Promise<void>)[] = [];

/** A valid dbt-product.yml with comments, one upstream `p` whose revision line is `revision`. */
function productManifestText(revision: string): string {
  return [
    '# the product',
    'schema_version: 1',
    'name: c',
    'owner: data-team # who answers',
    'description: A child.',
    'warehouse: { type: redshift, auth: password }',
    'environments:',
    '  local:',
    '    target: local',
    'audit:',
    '  schema: audit',
    '  table: dbt_audit_log',
    '# parents, pinned',
    'upstream:',
    '  - name: p',
    '    git: file:///srv/p',
    `    ${revision}`,
    '',
  ].join('\n');
}
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

describe('bump planning (pure)', () => {
  const node = (pkg: string, checksum: string) => ({
    package_name: pkg,
    resource_type: 'model',
    checksum: { checksum },
  });
  const before: BumpManifest = {
    nodes: { 'model.p.a': node('p', '1'), 'model.p.b': node('p', '1'), 'model.c.x': node('c', '1') },
    child_map: {},
  };
  const after: BumpManifest = {
    nodes: { 'model.p.a': node('p', '2'), 'model.p.new': node('p', '1'), 'model.c.x': node('c', '9') },
    child_map: { 'model.p.a': ['model.p.mid'], 'model.p.mid': ['model.c.x', 'model.c.y'] },
  };
  after.nodes['model.c.y'] = node('c', '1');

  it('finds changed, added and removed parent nodes, and the child nodes downstream of them', () => {
    expect(changedPackageNodes(before, after, 'p')).toEqual(['model.p.a', 'model.p.b', 'model.p.new']);
    expect([...affectedNodes(after, ['model.p.a', 'model.p.b'], 'c')]).toEqual([
      ['model.p.a', ['model.c.x', 'model.c.y']],
    ]);
  });

  it('repins packages.yml and dbt-product.yml, keeping their comments', () => {
    const packages =
      '# pins\npackages:\n  - git: "file:///srv/p"\n    revision: "aaa" # v1\n  - git: "file:///srv/q"\n    revision: "bbb"\n';
    expect(repinPackages(packages, 'file:///srv/q', 'ccc', 'v2')).toBe(
      '# pins\npackages:\n  - git: "file:///srv/p"\n    revision: "aaa" # v1\n  - git: "file:///srv/q"\n    revision: "ccc" # v2\n',
    );
    const manifest = productManifestText('revision: aaa # pinned by hand');
    expect(repinProductManifest(manifest, 'p', 'ddd')).toBe(productManifestText('revision: ddd # pinned by hand'));
    expect(() => repinProductManifest(manifest, 'zz', 'ddd')).toThrow('dbt-product.yml lists no upstream zz');
  });

  it('refuses a repin whose result fails the schema, in one line naming the file and the problem', () => {
    expect(() => repinProductManifest(productManifestText('revision: aaa'), 'p', '')).toThrow(
      /^dbt-product\.yml left as it was: the change would make it invalid \(upstream\.0\.revision: .+\)$/,
    );
    // A file that was already broken (edited since it was read) is not rewritten either.
    const broken = productManifestText('revision: aaa').replace(/^owner:.*\n/m, '');
    expect(() => repinProductManifest(broken, 'p', 'ddd')).toThrow(ProductManifestError);
    expect(() => repinProductManifest(broken, 'p', 'ddd')).toThrow(/invalid \(owner: .+\)$/);
  });

  it('reports each parent in a few lines', () => {
    expect(
      bumpReport([
        {
          name: 'p',
          from: 'a'.repeat(40),
          to: 'b'.repeat(40),
          label: 'v2',
          changed: ['model.p.a'],
          affected: new Map([['model.p.a', ['model.c.x']]]),
        },
        { name: 'q', from: 'c'.repeat(40), to: 'c'.repeat(40), label: 'HEAD', changed: [], affected: new Map() },
      ]),
    ).toEqual([
      'p: aaaaaaaaaaaa → bbbbbbbbbbbb (v2), installed',
      '  1 parent node changed: model.p.a',
      '  model.p.a → model.c.x',
      'q: already at cccccccccccc',
    ]);
  });
});

describe('bumpUpstreams (real git, a stand-in dbt)', () => {
  it('writes neither file when the repinned dbt-product.yml would fail the schema', async () => {
    const root = await tempDir('dbt-product-kit-bump-');
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const parentDir = path.join(root, 'p');
    await createProduct(normaliseOptions({ dir: parentDir, name: 'p', git: false }));
    await commitAll(parentDir, 'p v1');
    const child = path.join(root, 'c');
    await mkdir(child);
    const url = `file://${parentDir}`;
    const manifest = productManifestText('revision: aaa').replace('file:///srv/p', url);
    const packages = `packages:\n  - git: "${url}"\n    revision: "aaa"\n`;
    // The product as it was read (valid); the file has since lost its owner.
    const product = productManifestSchema.parse(parse(manifest));
    await writeFile(path.join(child, 'dbt-product.yml'), manifest.replace(/^owner:.*\n/m, ''));
    await writeFile(path.join(child, 'packages.yml'), packages);
    // dbt deps and parse succeed; parse leaves an empty manifest to compare with.
    const dbt = path.join(root, 'dbt');
    await writeFile(
      dbt,
      '#!/bin/sh\nif [ "$1" = parse ]; then mkdir -p target && echo \'{"nodes": {}}\' > target/manifest.json; fi\n',
      { mode: 0o755 },
    );
    const before = await readdir(child);

    await expect(
      bumpUpstreams({
        projectDir: child,
        projectName: 'c',
        product,
        dbtPath: dbt,
        dbtArgs: {},
        env: { PATH: process.env.PATH ?? '' },
        targetDir: path.join(child, 'target'),
      }),
    ).rejects.toThrow(/^dbt-product\.yml left as it was: the change would make it invalid \(owner: /);
    expect(await readFile(path.join(child, 'packages.yml'), 'utf8')).toBe(packages);
    expect(await readFile(path.join(child, 'dbt-product.yml'), 'utf8')).toBe(manifest.replace(/^owner:.*\n/m, ''));
    expect((await readdir(child)).sort()).toEqual([...before, 'target'].sort());
  });
});

describe('dbt-run upstreams bump (real git, real dbt)', () => {
  it('holds the pin through a parent commit, then moves it and names the affected child nodes', {
    timeout: 300_000,
  }, async () => {
    const parent: TestProduct = await scaffoldTestProduct({ name: 'shop' });
    cleanups.push(parent.cleanup);
    const v1 = await commitAll(parent.dir, 'shop v1');
    const child = await scaffoldTestProduct({ name: 'kids', parents: [`file://${parent.dir}#${v1}`] });
    cleanups.push(child.cleanup);
    expect((await runDbt(child, ['deps'])).exitCode).toBe(0);

    // The parent team changes a public model and commits.
    const model = path.join(parent.dir, 'models', 'marts', 'dim_customers.sql');
    await writeFile(model, `-- v2: a comment is a change\n${await readFile(model, 'utf8')}`);
    const v2 = await commitAll(parent.dir, 'shop v2');

    // Nothing moves in the child: dbt deps installs the pinned v1 again.
    expect((await runDbt(child, ['deps'])).exitCode).toBe(0);
    const installed = path.join(child.dir, 'dbt_packages', 'shop', 'models', 'marts', 'dim_customers.sql');
    expect(await readFile(installed, 'utf8')).not.toContain('-- v2');

    const bump = await runDbtRun(child, ['upstreams', 'bump', 'shop']);
    expect(bump.exitCode, bump.output).toBe(0);
    expect(bump.stdout.trim().split('\n')).toEqual([
      `shop: ${v1.slice(0, 12)} → ${v2.slice(0, 12)}, installed`,
      '  1 parent node changed: model.shop.dim_customers',
      '  model.shop.dim_customers → model.kids.upstream_shop_dim_customers',
    ]);
    expect(await readFile(installed, 'utf8')).toContain('-- v2');
    expect(await readFile(path.join(child.dir, 'packages.yml'), 'utf8')).toContain(`revision: "${v2}"`);
    expect(await readFile(path.join(child.dir, 'dbt-product.yml'), 'utf8')).toContain(`revision: ${v2}`);

    // An unknown parent name, or revision, is one line and exit 2; the pins stay.
    const unknown = await runDbtRun(child, ['upstreams', 'bump', 'payments']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr.trim()).toBe('error: no upstream named payments: dbt-product.yml lists shop');
    const badRevision = await runDbtRun(child, ['upstreams', 'bump', 'shop', '--to', 'v9']);
    expect(badRevision.exitCode).toBe(2);
    expect(badRevision.stderr).toContain(`error: unknown revision "v9" in file://${parent.dir}`);
    expect(await readFile(path.join(child.dir, 'packages.yml'), 'utf8')).toContain(`revision: "${v2}"`);
  });
});
