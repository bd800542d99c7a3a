/**
 * YAML as dbt reads it (PyYAML, YAML 1.1: `yes` is true, `<<` merges), and
 * values compared by content rather than by key order.
 */
import { parse } from 'yaml';

/** The document of a YAML text; an empty or absent text is an empty mapping. Throws on invalid YAML. */
export function parseDbtYaml(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  const value: unknown = parse(text, { version: '1.1', merge: true });
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error('the file is not a YAML mapping');
  return value as Record<string, unknown>;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with mapping keys sorted: equal for values that differ only in key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The entries of a list of mappings, by their `name` (entries without one are left out). */
export function byName(list: unknown): Map<string, Record<string, unknown>> {
  const entries = new Map<string, Record<string, unknown>>();
  if (!Array.isArray(list)) return entries;
  for (const entry of list) {
    if (isRecord(entry) && typeof entry.name === 'string') entries.set(entry.name, entry);
  }
  return entries;
}

/** The keys whose values differ between two mappings (`config.x` for config keys; not `name`, the entry's key), sorted. */
export function changedKeys(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): string[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const changed: string[] = [];
  for (const key of keys) {
    const [was, now] = [before?.[key], after?.[key]];
    if (key === 'name' || canonical(was) === canonical(now)) continue;
    if (key === 'config' && (isRecord(was) || was === undefined) && (isRecord(now) || now === undefined)) {
      changed.push(...changedKeys(was, now).map((inner) => `config.${inner}`));
    } else changed.push(key);
  }
  return changed.sort();
}
