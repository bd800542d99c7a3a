/**
 * What a change to selectors.yml, packages.yml, dependencies.yml or
 * package-lock.yml affects, from their text at the base and now (pure).
 */
import type { SelectionManifest } from '../dbt/artifacts.js';
import { macroImpact, type Reason } from './macro-impact.js';
import { byName, canonical, isRecord, parseDbtYaml } from './yaml-text.js';

/** The selector a plain `dbt build` applies (default: true), if any. */
export function defaultSelector(text: string | undefined): string | undefined {
  try {
    const selectors = parseDbtYaml(text).selectors;
    if (!Array.isArray(selectors)) return undefined;
    const chosen = selectors.find((entry) => isRecord(entry) && entry.default === true) as
      | { name?: unknown }
      | undefined;
    return typeof chosen?.name === 'string' ? chosen.name : undefined;
  } catch {
    return undefined;
  }
}

type Definitions = Map<string, Record<string, unknown>>;

/**
 * A selector definition as --select arguments (a union; a comma is an
 * intersection), or undefined when it cannot be one: an exclude applies to
 * the whole command line, so it cannot be kept inside one selector's part.
 */
function asSelectArgs(definition: unknown, selectors: Definitions, seen: Set<string>): string[] | undefined {
  if (typeof definition === 'string') return definition.split(/\s+/).filter(Boolean);
  if (!isRecord(definition)) return undefined;
  if (Array.isArray(definition.union)) {
    const parts = definition.union.map((part) => asSelectArgs(part, selectors, seen));
    return parts.every((part) => part !== undefined) ? (parts as string[][]).flat() : undefined;
  }
  if (Array.isArray(definition.intersection)) {
    let product: string[] = [''];
    for (const part of definition.intersection) {
      const args = asSelectArgs(part, selectors, seen);
      if (!args) return undefined;
      product = product.flatMap((left) => args.map((right) => (left ? `${left},${right}` : right)));
    }
    return product;
  }
  const keys = Object.keys(definition);
  // The short form `tag: nightly` is `method: tag, value: nightly`.
  if (keys.length === 1 && !['exclude', 'method'].includes(keys[0] as string)) {
    return asSelectArgs({ method: keys[0], value: definition[keys[0] as string] }, selectors, seen);
  }
  if (definition.exclude !== undefined || typeof definition.method !== 'string') return undefined;
  const value = String(definition.value ?? '');
  if (definition.method === 'selector') {
    const other = selectors.get(value);
    if (!other || seen.has(value)) return undefined;
    return asSelectArgs(other.definition, selectors, new Set([...seen, value]));
  }
  // dbt's graph operators: `2+x` parents to depth 2, `x+3` children to depth 3, `@x` children and their parents.
  const depth = (key: string) => (typeof definition[key] === 'number' ? String(definition[key]) : '');
  const before =
    definition.childrens_parents === true ? '@' : definition.parents === true ? `${depth('parents_depth')}+` : '';
  const after = definition.children === true ? `+${depth('children_depth')}` : '';
  return [`${before}${definition.method}:${value}${after}`];
}

/**
 * Pure: what a selectors.yml change affects. A selector selects nodes, it
 * builds none differently: what changes is what `--selector X` (or a plain
 * `dbt build`, for the default one) runs, so its nodes are selected, the
 * nodes it picks now. A changed default selector changes the whole default
 * selection: everything (dbt applies that selector when no --select is given).
 */
export function selectorsImpact(before: string | undefined, after: string | undefined, projectName: string): Reason[] {
  let was: Definitions;
  let now: Definitions;
  try {
    was = byName(parseDbtYaml(before).selectors);
    now = byName(parseDbtYaml(after).selectors);
  } catch {
    return [{ selects: 'everything', why: 'selectors.yml is not valid YAML: which selection changed cannot be told' }];
  }
  const reasons: Reason[] = [];
  const [oldDefault, newDefault] = [defaultSelector(before), defaultSelector(after)];
  if (oldDefault !== newDefault || (newDefault && canonical(was.get(newDefault)) !== canonical(now.get(newDefault)))) {
    reasons.push({
      selects: 'everything',
      why: newDefault
        ? `the default selector ${newDefault} changed: what a plain dbt build runs`
        : `the default selector ${oldDefault} is gone: a plain dbt build runs everything`,
    });
  }
  for (const name of [...new Set([...was.keys(), ...now.keys()])].sort()) {
    if (name === newDefault || name === oldDefault) continue;
    if (canonical(was.get(name)?.definition) === canonical(now.get(name)?.definition)) continue;
    const entry = now.get(name);
    if (!entry) {
      reasons.push({ selects: [], why: `selector ${name} was removed: nothing to build for it` });
      continue;
    }
    const args = asSelectArgs(entry.definition, now, new Set([name]));
    const what = was.has(name) ? 'changed' : 'is new';
    reasons.push(
      args
        ? {
            selects: args.map((arg) => `${arg},package:${projectName}`),
            why: `selector ${name} ${what}: its nodes in this product`,
          }
        : {
            selects: 'everything',
            why: `selector ${name} ${what}, and its definition (an exclude) cannot be given as --select: everything`,
          },
    );
  }
  if (reasons.length === 0) reasons.push({ selects: [], why: 'no selector changed: comments or layout only' });
  return reasons;
}

/** The identity of a package entry (where it comes from), without its version. */
export function packageSource(entry: Record<string, unknown>): string {
  for (const key of ['package', 'git', 'local', 'tarball', 'private', 'name']) {
    if (typeof entry[key] === 'string')
      return `${key}:${entry[key]}${entry.subdirectory ? `/${entry.subdirectory}` : ''}`;
  }
  return canonical(entry);
}

/** The package entries of a packages file (dependencies.yml's projects too), by source. */
export function packageEntries(text: string | undefined): Map<string, Record<string, unknown>> {
  const document = parseDbtYaml(text);
  const list = [
    ...(Array.isArray(document.packages) ? document.packages : []),
    ...(Array.isArray(document.projects) ? document.projects : []),
  ];
  return new Map(list.filter(isRecord).map((entry) => [packageSource(entry), entry]));
}

/**
 * The dbt package name an entry installs, when it can be told without
 * installing it: a `name:` (package-lock.yml has one per entry, a dbt
 * Mesh project entry is one), or the lock's entry of the same source, or
 * what the project knows of it (`known`: a parent in dbt-product.yml, a local
 * package's dbt_project.yml), or a Hub package's own name (`org/name`).
 */
function packageName(
  entry: Record<string, unknown>,
  lock: Map<string, Record<string, unknown>>,
  known: ReadonlyMap<string, string>,
): string | undefined {
  const named = (candidate: Record<string, unknown> | undefined) =>
    typeof candidate?.name === 'string' ? candidate.name : undefined;
  return (
    named(entry) ??
    named(lock.get(packageSource(entry))) ??
    known.get(packageSource(entry)) ??
    (typeof entry.package === 'string' ? entry.package.split('/').at(-1) : undefined)
  );
}

/**
 * Pure: what a change to a packages file affects: for each package entry
 * added, removed or changed, this project's nodes downstream of that
 * package's nodes, and the ones calling its macros. An entry whose package
 * name cannot be told before `dbt deps` selects everything, and says so.
 */
export function packagesImpact(
  file: string,
  before: string | undefined,
  after: string | undefined,
  lockText: string | undefined,
  manifest: SelectionManifest,
  projectName: string,
  known: ReadonlyMap<string, string> = new Map(),
): Reason[] {
  let was: Map<string, Record<string, unknown>>;
  let now: Map<string, Record<string, unknown>>;
  let lock: Map<string, Record<string, unknown>>;
  try {
    [was, now, lock] = [packageEntries(before), packageEntries(after), packageEntries(lockText)];
  } catch {
    return [{ selects: 'everything', why: `${file} is not valid YAML: which package changed cannot be told` }];
  }
  const reasons: Reason[] = [];
  for (const key of [...new Set([...was.keys(), ...now.keys()])].sort()) {
    const [old, current] = [was.get(key), now.get(key)];
    if (canonical(old) === canonical(current)) continue;
    const entry = (current ?? old) as Record<string, unknown>;
    const change = !old ? 'added' : !current ? 'removed' : 'changed';
    const name = packageName(entry, lock, known);
    const inManifest =
      name !== undefined &&
      [...Object.values(manifest.macros), ...Object.values(manifest.nodes)].some((item) => item.package_name === name);
    if (!name) {
      reasons.push({
        selects: 'everything',
        why: `package ${key} ${change}: which package it installs cannot be told before dbt deps, so everything`,
      });
    } else if (!inManifest) {
      reasons.push({
        selects: change === 'added' ? [] : 'everything',
        why:
          change === 'added'
            ? `package ${name} added: no node of the last manifest uses it`
            : `package ${name} ${change}, and the last manifest does not have it: what uses it cannot be told, so everything`,
      });
    } else {
      const macroIds = Object.values(manifest.macros)
        .filter((macro) => macro.package_name === name)
        .map((macro) => macro.unique_id);
      reasons.push({
        selects: [`package:${name}+,package:${projectName}`],
        why: `package ${name} ${change}: this product's nodes downstream of its nodes`,
      });
      for (const reason of macroImpact({ ids: macroIds, names: [] }, manifest, projectName, `in package ${name}`, {
        standIns: false,
      })) {
        reasons.push(reason);
      }
    }
  }
  if (reasons.length === 0) reasons.push({ selects: [], why: 'no package entry changed: comments or layout only' });
  return reasons;
}
