import { readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSelectionManifest } from '../../src/dbt/artifacts.js';
import {
  readSelectionManifestIndexed,
  refreshSelectionIndex,
  selectionIndexPath,
} from '../../src/select/manifest-index.js';
import { tempDir } from '../harness/product.js';

let target: string;

function manifest(models: string[]) {
  return JSON.stringify({
    metadata: {
      dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json',
      project_name: 'shop',
    },
    nodes: Object.fromEntries(
      models.map((name) => [
        `model.shop.${name}`,
        {
          unique_id: `model.shop.${name}`,
          name,
          resource_type: 'model',
          package_name: 'shop',
          original_file_path: `models/${name}.sql`,
          patch_path: null,
          config: { materialized: 'view', many: 'other keys' },
          depends_on: { nodes: [], macros: ['macro.shop.cents'] },
        },
      ]),
    ),
    sources: {},
    macros: {},
    parent_map: Object.fromEntries(models.map((name) => [`model.shop.${name}`, []])),
  });
}

beforeEach(async () => {
  target = await tempDir('dbt-product-kit-index-');
});
afterEach(() => rm(target, { recursive: true, force: true }));

describe('readSelectionManifestIndexed', () => {
  it('writes an index on first read and uses it while manifest.json is unchanged', async () => {
    const file = path.join(target, 'manifest.json');
    await writeFile(file, manifest(['orders', 'items']));
    const written = new Date('2026-11-21T05:00:00Z'); // whole seconds: utimes keeps them exactly
    await utimes(file, written, written);
    const first = await readSelectionManifestIndexed(target, { waitForIndex: true });
    expect(first).toEqual(await readSelectionManifest(file));
    expect(Object.keys(first.nodes)).toEqual(['model.shop.orders', 'model.shop.items']);
    const index = JSON.parse(await readFile(selectionIndexPath(target), 'utf8'));
    expect(index.manifest.nodes['model.shop.orders']).not.toHaveProperty('config');

    // Same size and time, other content: the index answers (what makes it fast).
    await writeFile(file, manifest(['orders', 'xxxxx']));
    await utimes(file, written, written);
    expect(Object.keys((await readSelectionManifestIndexed(target, { waitForIndex: true })).nodes)).toEqual([
      'model.shop.orders',
      'model.shop.items',
    ]);
  });

  it('a changed manifest, or an unreadable index, is read again', async () => {
    const file = path.join(target, 'manifest.json');
    await writeFile(file, manifest(['orders']));
    await readSelectionManifestIndexed(target, { waitForIndex: true });
    await writeFile(file, manifest(['orders', 'customers']));
    await utimes(file, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    expect(Object.keys((await readSelectionManifestIndexed(target, { waitForIndex: true })).nodes)).toEqual([
      'model.shop.orders',
      'model.shop.customers',
    ]);
    await writeFile(selectionIndexPath(target), '{ not json');
    expect(Object.keys((await readSelectionManifestIndexed(target, { waitForIndex: true })).nodes)).toHaveLength(2);
  });

  it('no manifest: the same error as reading it directly', async () => {
    await expect(readSelectionManifestIndexed(target, { waitForIndex: true })).rejects.toThrow(
      /manifest\.json not found/,
    );
  });
});

describe('refreshSelectionIndex', () => {
  it('indexes the manifest.json on disk, selection fields only, and says when there is none', async () => {
    expect(await refreshSelectionIndex(target)).toBe(false);
    const file = path.join(target, 'manifest.json');
    await writeFile(file, manifest(['orders', 'items']));
    expect(await refreshSelectionIndex(target)).toBe(true);
    const index = JSON.parse(await readFile(selectionIndexPath(target), 'utf8'));
    expect(index.manifest).toEqual(JSON.parse(JSON.stringify(await readSelectionManifest(file))));
    // No node names or configs, no parent_map.
    expect(index.manifest.nodes['model.shop.orders']).not.toHaveProperty('name');
    expect(index.manifest).not.toHaveProperty('parent_map');
  });
});
