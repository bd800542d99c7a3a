/** A small SelectionManifest for the pure mapping tests (the fields --changed-since reads). */
import type { SelectionManifest } from '../../src/dbt/artifacts.js';

type Node = SelectionManifest['nodes'][string];

export function node(uniqueId: string, file: string | null, macros: string[] = [], patch?: string): Node {
  const [type = '', pkg = ''] = uniqueId.split('.');
  return {
    unique_id: uniqueId,
    resource_type: type,
    package_name: pkg,
    original_file_path: file,
    patch_path: patch ? `${pkg}://${patch}` : null,
    depends_on: { macros },
  } as Node;
}

export function macro(uniqueId: string, file: string, calls: string[] = []) {
  return {
    unique_id: uniqueId,
    package_name: uniqueId.split('.')[1] as string,
    original_file_path: file,
    depends_on: { macros: calls },
  };
}

export function selectionManifest(
  nodes: Node[],
  macros: ReturnType<typeof macro>[],
  sources: { unique_id: string; file: string }[] = [],
): SelectionManifest {
  return {
    metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json', adapter_type: 'duckdb' },
    nodes: Object.fromEntries(nodes.map((entry) => [entry.unique_id, entry])),
    sources: Object.fromEntries(
      sources.map((source) => [
        source.unique_id,
        {
          unique_id: source.unique_id,
          name: source.unique_id.split('.').at(-1) as string,
          package_name: source.unique_id.split('.')[1] as string,
          original_file_path: source.file,
        },
      ]),
    ),
    macros: Object.fromEntries(macros.map((entry) => [entry.unique_id, entry])),
  } as SelectionManifest;
}
