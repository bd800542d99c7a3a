/**
 * readKept against JSON.parse: for any JSON document and any chunk size, it
 * keeps exactly what JSON.parse then a projection would, and refuses what
 * JSON.parse refuses in the parts it reads (cut short, unbalanced), whether
 * it scans the file (large documents) or parses it whole (small ones).
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

/** The `member.key` of each entry the hook should see (pure): entries of the members kept projected. */
function hookedEntries(document: Record<string, unknown>, keep: JsonKeep): string[] {
  return Object.entries(document).flatMap(([member, value]) =>
    Array.isArray(keep[member]) && value !== null && typeof value === 'object'
      ? Object.keys(value).map((key) => `${member}.${key}`)
      : [],
  );
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
  it('keeps what JSON.parse and a projection keep, for any document and chunk size, scanned or whole (500 cases)', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'doc.json');
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 4 })),
        keepOf,
        fc.integer({ min: 1, max: 64 }),
        fc.boolean(),
        fc.boolean(),
        async (document, keep, chunkBytes, indent, whole) => {
          await writeFile(file, JSON.stringify(document, null, indent ? 2 : undefined));
          const cleanKeep = Object.fromEntries(
            Object.entries(keep).filter(([, value]) => value !== undefined),
          ) as JsonKeep;
          // JSON.stringify of -0 and the like: compare as JSON.parse reads the same text.
          const parsed = JSON.parse(JSON.stringify(document)) as Record<string, unknown>;
          const wholeParseBytes = whole ? Number.POSITIVE_INFINITY : 0;
          // Each entry goes through the hook once, in order, with its key, and what it returns is kept.
          const hooked: string[] = [];
          const onEntry = (member: string, key: string | number, entry: unknown) => {
            hooked.push(`${member}.${key}`);
            return entry;
          };
          expect(await readKept(file, cleanKeep, { chunkBytes, wholeParseBytes, onEntry })).toEqual(
            expected(parsed, cleanKeep),
          );
          expect(hooked).toEqual(hookedEntries(parsed, cleanKeep));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps an entry or a field named __proto__ as JSON.parse does, an own member (found by the property above)', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'doc.json');
    const text = '{"results": {"__proto__": {"status": "pass", "__proto__": 1}, "a": {"status": "fail"}}}';
    await writeFile(file, text);
    for (const wholeParseBytes of [0, Number.POSITIVE_INFINITY]) {
      for (const chunkBytes of [1, 7, 64]) {
        const kept = await readKept(file, { results: ['status', '__proto__'] }, { chunkBytes, wholeParseBytes });
        const results = kept.results as Record<string, Record<string, unknown>>;
        expect(Object.keys(results)).toEqual(['__proto__', 'a']);
        expect(Object.getPrototypeOf(results)).toBe(Object.prototype);
        const entry = Object.getOwnPropertyDescriptor(results, '__proto__')?.value as Record<string, unknown>;
        expect(Object.keys(entry)).toEqual(['status', '__proto__']);
        expect(entry.status).toBe('pass');
        expect(Object.getOwnPropertyDescriptor(entry, '__proto__')?.value).toBe(1);
        expect(results.a).toEqual({ status: 'fail' });
      }
    }
  });

  it('refuses a document cut short or unbalanced, as JSON.parse would', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'doc.json');
    const whole = JSON.stringify({ metadata: { v: 1 }, nodes: { a: { name: 'x "}' } }, child_map: {} });
    for (const wholeParseBytes of [0, Number.POSITIVE_INFINITY]) {
      for (const text of [whole.slice(0, -1), whole.slice(0, 40), `${whole}]`, '{"nodes": [}', '', '[1, 2']) {
        await writeFile(file, text);
        await expect(
          readKept(file, { metadata: true, nodes: ['name'] }, { chunkBytes: 7, wholeParseBytes }),
        ).rejects.toThrow(SyntaxError);
      }
      await writeFile(file, whole);
      expect(await readKept(file, { nodes: ['name'] }, { chunkBytes: 3, wholeParseBytes })).toEqual({
        nodes: { a: { name: 'x "}' } },
      });
    }
  });
});
