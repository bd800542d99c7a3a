/**
 * Editing dbt-product.yml in place: the YAML document keeps the user's
 * comments and layout, the result passes the schema before anything is
 * written, and a broken result or a broken file leaves the file as it was.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { editProductManifest, rewriteProductManifest } from '../../src/product/edit.js';
import { ProductManifestError } from '../../src/product/read.js';
import { tempDir } from '../harness/product.js';

const MANIFEST = `# what others know about shop
schema_version: 1
name: shop
owner: data-team # the on-call team
description: Shop.
warehouse: { type: redshift, auth: password }
environments:
  local:
    target: local
audit:
  schema: audit
  table: dbt_audit_log
upstream: []
`;

let dir: string;
beforeEach(async () => {
  dir = await tempDir('dbt-product-kit-edit-');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('editProductManifest (pure)', () => {
  it('changes only what the edit sets: comments and flow maps stay', () => {
    const edited = editProductManifest(MANIFEST, 'dbt-product.yml', (document) =>
      document.setIn(['owner'], 'platform'),
    );
    expect(edited).toBe(MANIFEST.replace('owner: data-team', 'owner: platform'));
  });

  it('refuses an edit whose result fails the schema, and a file that is not YAML', () => {
    expect(() =>
      editProductManifest(MANIFEST, 'dbt-product.yml', (document) => document.setIn(['orchestrator'], 'cron')),
    ).toThrow(
      /^dbt-product\.yml left as it was: the change would make it invalid \(orchestrator: Invalid option: .+\)$/,
    );
    expect(() => editProductManifest('name: [shop\n', 'dbt-product.yml', () => {})).toThrow(
      /^dbt-product\.yml is not valid YAML: /,
    );
  });
});

describe('rewriteProductManifest', () => {
  const file = () => path.join(dir, 'dbt-product.yml');

  it('writes the edited, valid file', async () => {
    await writeFile(file(), MANIFEST);
    await rewriteProductManifest(dir, (document) => document.setIn(['description'], 'The shop.'));
    expect(await readFile(file(), 'utf8')).toBe(MANIFEST.replace('description: Shop.', 'description: The shop.'));
  });

  it('writes nothing when the result would fail the schema', async () => {
    await writeFile(file(), MANIFEST);
    const error = await rewriteProductManifest(dir, (document) => document.deleteIn(['audit', 'table'])).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProductManifestError);
    expect((error as Error).message).toBe(
      `${file()} left as it was: the change would make it invalid (audit.table: Invalid input: expected string, received undefined)`,
    );
    expect(await readFile(file(), 'utf8')).toBe(MANIFEST);
    expect(await readdir(dir)).toEqual(['dbt-product.yml']);
  });
});
