/**
 * What changed in a properties YAML file (models/*.yml and the like), entry
 * by entry: the base version against the one on disk. A test is told apart
 * from the properties of what it tests, so a tightened accepted_values test
 * selects that test, not its model and everything downstream.
 */
import { genericTestName, readGenericTest } from './test-names.js';
import { byName, canonical, changedKeys, isRecord, parseDbtYaml } from './yaml-text.js';

export type EntryChange = 'added' | 'removed' | 'changed';

/** The node kinds dbt build builds that a properties file describes. */
export type BuiltKind = 'model' | 'seed' | 'snapshot';

export type PropertyChange =
  /** A model's, seed's or snapshot's own properties (not its tests). */
  | { kind: 'node'; resourceType: BuiltKind; name: string; change: EntryChange; keys: string[] }
  /** A source (table undefined: the source's own keys) or one of its tables. */
  | { kind: 'source'; source: string; table?: string; change: EntryChange; keys: string[] }
  | {
      kind: 'test';
      change: EntryChange;
      /** The name dbt gives the test (as it is now; as it was, for a removed one). */
      name: string;
      type: string;
      /** What it tests, e.g. `stg_orders.status` or `source shop_raw.orders`. */
      on: string;
    }
  | { kind: 'unit-test'; name: string; change: EntryChange }
  /** Entries dbt build builds nothing for (analyses, exposures, metrics, macro properties...). */
  | { kind: 'not-built'; section: string; name: string; change: EntryChange };

const NODE_SECTIONS: Record<string, BuiltKind> = { models: 'model', seeds: 'seed', snapshots: 'snapshot' };
const NOT_BUILT = new Set([
  'analyses',
  'macros',
  'exposures',
  'metrics',
  'semantic_models',
  'saved_queries',
  'groups',
  'docs',
]);
const TEST_KEYS = ['data_tests', 'tests'];

/** The properties file could not be compared (not YAML, or a section this diff does not know). */
export class UnreadableProperties extends Error {}

interface StatedTest {
  /** canonical(column, definition): equal when the same test is stated. */
  key: string;
  name: string;
  type: string;
  on: string;
}

/** An entry without its tests (at its level and its columns'): what the node itself is described as. */
function withoutTests(entry: Record<string, unknown>): Record<string, unknown> {
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (TEST_KEYS.includes(key)) continue;
    // A column stated only to carry tests (its name alone, once they are gone) describes nothing.
    own[key] =
      key === 'columns' && Array.isArray(value)
        ? value
            .map((column) =>
              isRecord(column)
                ? Object.fromEntries(Object.entries(column).filter(([k]) => !TEST_KEYS.includes(k)))
                : column,
            )
            .filter((column) => !isRecord(column) || Object.keys(column).some((k) => k !== 'name'))
        : value;
    if (Array.isArray(own[key]) && key === 'columns' && (own[key] as unknown[]).length === 0) delete own[key];
  }
  return own;
}

function statedTests(
  entry: Record<string, unknown> | undefined,
  target: { name: string; source?: boolean },
  label: string,
) {
  const tests: StatedTest[] = [];
  if (!entry) return tests;
  const collect = (holder: Record<string, unknown>, column?: string) => {
    for (const key of TEST_KEYS) {
      if (!Array.isArray(holder[key])) continue;
      for (const definition of holder[key] as unknown[]) {
        const test = readGenericTest(definition);
        if (!test) throw new UnreadableProperties(`a test of ${label} is neither a name nor a one-key mapping`);
        tests.push({
          key: canonical([column ?? null, definition]),
          name: genericTestName(test, target, column),
          type: test.namespace ? `${test.namespace}.${test.type}` : test.type,
          on: column === undefined ? label : `${label}.${column}`,
        });
      }
    }
  };
  collect(entry);
  if (Array.isArray(entry.columns)) {
    for (const column of entry.columns) {
      if (isRecord(column) && typeof column.name === 'string') collect(column, column.name);
    }
  }
  return tests;
}

/**
 * The tests stated now and not before are added, the reverse removed; an
 * added and a removed one of the same type on the same column are one
 * changed test (e.g. new accepted values).
 */
function diffTests(before: StatedTest[], after: StatedTest[]): PropertyChange[] {
  const count = (tests: StatedTest[]) => {
    const counts = new Map<string, number>();
    for (const test of tests) counts.set(test.key, (counts.get(test.key) ?? 0) + 1);
    return counts;
  };
  const minus = (tests: StatedTest[], other: Map<string, number>) =>
    tests.filter((test) => {
      const left = other.get(test.key) ?? 0;
      if (left > 0) other.set(test.key, left - 1);
      return left === 0;
    });
  const added = minus(after, count(before));
  const removed = minus(before, count(after));
  const changes: PropertyChange[] = [];
  for (const test of added) {
    const index = removed.findIndex((old) => old.type === test.type && old.on === test.on);
    const change = index >= 0 ? 'changed' : 'added';
    if (index >= 0) removed.splice(index, 1);
    changes.push({ kind: 'test', change, name: test.name, type: test.type, on: test.on });
  }
  for (const test of removed)
    changes.push({ kind: 'test', change: 'removed', name: test.name, type: test.type, on: test.on });
  return changes;
}

function entryChange(before: unknown, after: unknown): EntryChange {
  return before === undefined ? 'added' : after === undefined ? 'removed' : 'changed';
}

function diffEntries(
  before: unknown,
  after: unknown,
  each: (name: string, was: Record<string, unknown> | undefined, now: Record<string, unknown> | undefined) => void,
) {
  const [was, now] = [byName(before), byName(after)];
  for (const name of new Set([...was.keys(), ...now.keys()])) {
    if (canonical(was.get(name)) !== canonical(now.get(name))) each(name, was.get(name), now.get(name));
  }
}

function diffSources(before: unknown, after: unknown, changes: PropertyChange[]) {
  diffEntries(before, after, (source, was, now) => {
    const { tables: _old, ...ownBefore } = was ?? {};
    const { tables: _new, ...ownAfter } = now ?? {};
    const keys = changedKeys(was && ownBefore, now && ownAfter);
    if (keys.length) changes.push({ kind: 'source', source, change: entryChange(was, now), keys });
    diffEntries(was?.tables, now?.tables, (table, tableBefore, tableAfter) => {
      const own = changedKeys(tableBefore && withoutTests(tableBefore), tableAfter && withoutTests(tableAfter));
      if (own.length)
        changes.push({ kind: 'source', source, table, change: entryChange(tableBefore, tableAfter), keys: own });
      const target = { name: `${source}_${table}`, source: true };
      const label = `source ${source}.${table}`;
      changes.push(...diffTests(statedTests(tableBefore, target, label), statedTests(tableAfter, target, label)));
    });
  });
}

/** Pure: the changed entries of a properties file, from its text at the base and now (undefined: no file). */
export function diffProperties(before: string | undefined, after: string | undefined): PropertyChange[] {
  let was: Record<string, unknown>;
  let now: Record<string, unknown>;
  try {
    was = parseDbtYaml(before);
    now = parseDbtYaml(after);
  } catch (error) {
    throw new UnreadableProperties(`not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  const changes: PropertyChange[] = [];
  for (const section of new Set([...Object.keys(was), ...Object.keys(now)])) {
    if (section === 'version' || canonical(was[section]) === canonical(now[section])) continue;
    const builtKind = NODE_SECTIONS[section];
    if (builtKind) {
      diffEntries(was[section], now[section], (name, entryBefore, entryAfter) => {
        const keys = changedKeys(entryBefore && withoutTests(entryBefore), entryAfter && withoutTests(entryAfter));
        if (keys.length)
          changes.push({
            kind: 'node',
            resourceType: builtKind,
            name,
            change: entryChange(entryBefore, entryAfter),
            keys,
          });
        const target = { name };
        changes.push(...diffTests(statedTests(entryBefore, target, name), statedTests(entryAfter, target, name)));
      });
    } else if (section === 'sources') diffSources(was[section], now[section], changes);
    else if (section === 'unit_tests') {
      diffEntries(was[section], now[section], (name, a, b) =>
        changes.push({ kind: 'unit-test', name, change: entryChange(a, b) }),
      );
    } else if (NOT_BUILT.has(section)) {
      diffEntries(was[section], now[section], (name, a, b) =>
        changes.push({ kind: 'not-built', section, name, change: entryChange(a, b) }),
      );
    } else throw new UnreadableProperties(`its section "${section}" is not one dbt-run knows`);
  }
  return changes;
}
