/**
 * readKept against JSON.parse: for any JSON document and any chunk size, it
 * keeps exactly what JSON.parse then a projection would, and refuses what
 * JSON.parse refuses in the parts it reads (cut short, unbalanced).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type JsonKeep, readKept } from '../../src/dbt/json-members.js';
import { tempDir } from '../harness/product.js';

/** What readKept should give (pure): JSON.parse, then the same projection. */
function expected(document: Record<string, unknown>, keep: JsonKeep): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document)) {
    const wanted = keep[key];
    if (!wanted) continue;
    if (wanted === true || value === null || typeof value !== 'object') {
      kept[key] = value;
      continue;
    }
    const project = (entry: unknown) =>
      entry && typeof entry === 'object' && !Array.isArray(entry)
        ? Object.fromEntries(
            wanted.filter((name) => name in entry).map((name) => [name, (entry as Record<string, unknown>)[name]]),
          )
        : entry;
    kept[key] = Array.isArray(value)
      ? value.map(project)
      : Object.fromEntries(Object.entries(value).map(([name, entry]) => [name, project(entry)]));
  }
  return kept;
}

const keys = ['metadata', 'nodes', 'results', 'other', 'a"b', 'é'];
const keepOf = fc.record({
  metadata: fc.constantFrom(true as const, undefined),
  nodes: fc.constantFrom(['unique_id', 'name'] as const, true as const, undefined),
  results: fc.constantFrom(['status'] as const, undefined),
  'a"b': fc.constantFrom(true as const, undefined),
  é: fc.constantFrom(['x'] as const, undefined),
});

describe('readKept', () => {
  it('keeps what JSON.parse and a projection keep, for any document and chunk size (500 cases)', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'doc.json');
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 4 })),
        keepOf,
        fc.integer({ min: 1, max: 64 }),
        fc.boolean(),
        async (document, keep, chunkBytes, indent) => {
          await writeFile(file, JSON.stringify(document, null, indent ? 2 : undefined));
          const cleanKeep = Object.fromEntries(
            Object.entries(keep).filter(([, value]) => value !== undefined),
          ) as JsonKeep;
          // JSON.stringify of -0 and the like: compare as JSON.parse reads the same text.
          const parsed = JSON.parse(JSON.stringify(document)) as Record<string, unknown>;
          expect(await readKept(file, cleanKeep, { chunkBytes })).toEqual(expected(parsed, cleanKeep));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a document cut short or unbalanced, as JSON.parse would', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'doc.json');
    const whole = JSON.stringify({ metadata: { v: 1 }, nodes: { a: { name: 'x "}' } }, child_map: {} });
    for (const text of [whole.slice(0, -1), whole.slice(0, 40), `${whole}]`, '{"nodes": [}', '', '[1, 2']) {
      await writeFile(file, text);
      await expect(readKept(file, { metadata: true, nodes: ['name'] }, { chunkBytes: 7 })).rejects.toThrow(SyntaxError);
    }
    await writeFile(file, whole);
    expect(await readKept(file, { nodes: ['name'] }, { chunkBytes: 3 })).toEqual({ nodes: { a: { name: 'x "}' } } });
  });
});
