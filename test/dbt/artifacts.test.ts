/**
 * Reading dbt's artifacts entry by entry: each node and result is checked as
 * it is read, what is wrong is named down to the entry's field, and what a
 * run does not read (macros, parent and child maps) never reaches it.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readManifest, readRunResults, readSelectionManifest } from '../../src/dbt/artifacts.js';
import { tempDir } from '../harness/product.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const runResultsMetadata = {
  dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v6.json',
  invocation_id: 'inv-1',
};
const manifestMetadata = { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json' };

async function write(name: string, document: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(document));
  return file;
}

const result = (uniqueId: string, status: unknown = 'success') => ({
  unique_id: uniqueId,
  status,
  timing: [],
  compiled_code: 'select 1',
});

const node = (name: string) => ({
  unique_id: `model.p.${name}`,
  name,
  resource_type: 'model',
  package_name: 'p',
  original_file_path: `models/${name}.sql`,
  patch_path: 'p://models/schema.yml',
  depends_on: { nodes: [], macros: ['macro.p.m'] },
  config: { materialized: 'view', enabled: true },
  raw_code: 'select 1',
});

describe('readRunResults', () => {
  it('checks each result as it is read, and names the one that is wrong down to its field', async () => {
    const file = await write('run_results.json', {
      metadata: runResultsMetadata,
      results: [result('model.p.a'), result('model.p.b'), result('model.p.c'), result('model.p.d', 42)],
    });
    await expect(readRunResults(file)).rejects.toThrow(
      /^run_results\.json at .* is not a dbt run_results\.json: results\.3\.status .*expected string/,
    );
  });

  it('keeps only the fields the audit reads, entry by entry', async () => {
    const file = await write('run_results.json', {
      metadata: runResultsMetadata,
      results: [result('model.p.a')],
      elapsed_time: 1.5,
    });
    const read = await readRunResults(file);
    expect(read.results).toEqual([{ unique_id: 'model.p.a', status: 'success', timing: [] }]);
    expect(read.elapsed_time).toBe(1.5);
  });

  it('refuses a document without results, or whose results are not an array, in one line', async () => {
    const missing = await write('missing.json', { metadata: runResultsMetadata });
    await expect(readRunResults(missing)).rejects.toThrow(/is not a dbt run_results\.json: results is missing$/);
    const notArray = await write('object.json', { metadata: runResultsMetadata, results: { a: result('model.p.a') } });
    await expect(readRunResults(notArray)).rejects.toThrow(/is not a dbt run_results\.json: results is not an array$/);
    const badMetadata = await write('metadata.json', { metadata: { invocation_id: 'x' }, results: [] });
    await expect(readRunResults(badMetadata)).rejects.toThrow(
      /is not a dbt run_results\.json: metadata\.dbt_schema_version /,
    );
  });
});

describe('readManifest (a run) and readSelectionManifest (--changed-since)', () => {
  const manifestFile = () =>
    write('manifest.json', {
      metadata: manifestMetadata,
      nodes: { 'model.p.a': node('a') },
      macros: {
        'macro.p.m': { unique_id: 'macro.p.m', package_name: 'p', macro_sql: '{% macro m() %}{% endmacro %}' },
      },
      sources: {},
      parent_map: { 'model.p.a': [] },
      child_map: { 'model.p.a': [] },
    });

  it('a run reads the nodes and nothing else: no macros, sources or parent and child maps', async () => {
    const manifest = await readManifest(await manifestFile());
    expect(Object.keys(manifest).sort()).toEqual(['metadata', 'nodes']);
    expect(manifest.nodes['model.p.a']).toEqual({
      unique_id: 'model.p.a',
      name: 'a',
      resource_type: 'model',
      package_name: 'p',
      original_file_path: 'models/a.sql',
      // Its parents (which failure skipped it), not its macros.
      depends_on: { nodes: [] },
      tags: [],
      meta: {},
      config: { materialized: 'view' },
    });
  });

  it('--changed-since reads files, packages and macro calls of nodes, sources and macros', async () => {
    const manifest = await readSelectionManifest(await manifestFile());
    expect(manifest.nodes['model.p.a']).toEqual({
      unique_id: 'model.p.a',
      resource_type: 'model',
      package_name: 'p',
      original_file_path: 'models/a.sql',
      patch_path: 'p://models/schema.yml',
      depends_on: { macros: ['macro.p.m'] },
    });
    expect(manifest.macros['macro.p.m']).toEqual({
      unique_id: 'macro.p.m',
      package_name: 'p',
      depends_on: { macros: [] },
    });
    expect(manifest.sources).toEqual({});
  });

  it('names a node that is wrong by its id, and a missing optional map reads as empty', async () => {
    const bad = await write('bad.json', {
      metadata: manifestMetadata,
      nodes: { 'model.p.a': { ...node('a'), name: null } },
    });
    await expect(readManifest(bad)).rejects.toThrow(/is not a dbt manifest\.json: nodes\.model\.p\.a\.name /);
    const noMacros = await write('no-macros.json', { metadata: manifestMetadata, nodes: {} });
    expect((await readSelectionManifest(noMacros)).macros).toEqual({});
  });
});
