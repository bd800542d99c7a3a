/**
 * What each changed entry of a properties YAML file selects (pure), with a
 * true sentence saying why: a test's change selects that test; a node's
 * properties select that node, and its downstream only when the change moves
 * or reshapes the relation its downstream reads.
 */
import type { SelectionManifest } from '../dbt/artifacts.js';
import type { Reason } from './macro-impact.js';
import { nodeSelector } from './macro-impact.js';
import { diffProperties, type PropertyChange, UnreadableProperties } from './properties-diff.js';

/** Property keys whose change moves or reshapes what downstream nodes read. */
const NODE_RELATION_KEYS = new Set([
  'config.alias',
  'config.schema',
  'config.database',
  'config.enabled',
  'config.column_types',
  'versions',
  'latest_version',
]);
const SOURCE_RELATION_KEYS = new Set([
  'database',
  'schema',
  'identifier',
  'quoting',
  'config.enabled',
  'enabled',
  'overrides',
]);

function nodeReason(
  change: Extract<PropertyChange, { kind: 'node' }>,
  manifest: SelectionManifest,
  projectName: string,
  deleted: ReadonlySet<string>,
): Reason {
  const id = `${change.resourceType}.${projectName}.${change.name}`;
  // A versioned model's ids end in .v1, .v2...: looked for only when the plain id is not there.
  const plain = manifest.nodes[id];
  const nodes = plain ? [plain] : Object.values(manifest.nodes).filter((node) => node.unique_id.startsWith(`${id}.v`));
  const label = `${change.resourceType} ${change.name}`;
  const what = `${label}: ${change.keys.join(', ')} ${change.change}`;
  if (nodes.length > 0 && nodes.every((node) => node.original_file_path && deleted.has(node.original_file_path))) {
    return { selects: [], why: `${what}, and its file is deleted: nothing left to build` };
  }
  const downstream = change.keys.filter((key) => NODE_RELATION_KEYS.has(key));
  const plus = downstream.length ? '+' : '';
  const selects = nodes.length
    ? nodes.map((node) => `path:${node.original_file_path}${plus},package:${projectName}`)
    : [`${change.name}${plus},package:${projectName}`];
  const scope = downstream.length
    ? `${downstream.join(', ')} changes the relation its downstream reads: it and its downstream`
    : `the ${change.resourceType} itself`;
  return { selects, why: `${what}; ${scope}${nodes.length ? '' : ' (not in the last manifest: selected by name)'}` };
}

function sourceReason(change: Extract<PropertyChange, { kind: 'source' }>, projectName: string): Reason {
  const name = change.table ? `${change.source}.${change.table}` : change.source;
  const label = `source ${name}`;
  if (change.change !== 'changed') {
    return {
      selects: [`source:${name}+,package:${projectName}`],
      why: `${label} ${change.change}: the nodes that read it`,
    };
  }
  const moved = change.keys.filter((key) => SOURCE_RELATION_KEYS.has(key));
  return moved.length
    ? {
        selects: [`source:${name}+,package:${projectName}`],
        why: `${label}: ${moved.join(', ')} changed, which changes the relation it reads: the nodes that read it`,
      }
    : { selects: [], why: `${label}: ${change.keys.join(', ')} changed, which no node dbt build runs reads` };
}

/** One reason per changed entry. */
export function changeReason(
  change: PropertyChange,
  manifest: SelectionManifest,
  projectName: string,
  deleted: ReadonlySet<string>,
): Reason {
  switch (change.kind) {
    case 'node':
      return nodeReason(change, manifest, projectName, deleted);
    case 'source':
      return sourceReason(change, projectName);
    case 'test':
      return change.change === 'removed'
        ? { selects: [], why: `test ${change.name} (${change.type} on ${change.on}) removed: nothing to run` }
        : {
            selects: [`${change.name},resource_type:test,package:${projectName}`],
            why: `test ${change.type} on ${change.on} ${change.change === 'added' ? 'is new' : 'changed'}: that test only`,
          };
    case 'unit-test':
      return change.change === 'removed'
        ? { selects: [], why: `unit test ${change.name} removed: nothing to run` }
        : {
            selects: [`${change.name},resource_type:unit_test,package:${projectName}`],
            why: `unit test ${change.name} ${change.change === 'added' ? 'is new' : 'changed'}: that unit test only`,
          };
    case 'not-built':
      return {
        selects: [],
        why: `${change.section} entry ${change.name} ${change.change}: dbt build builds nothing for ${change.section}`,
      };
  }
}

/** The nodes the last manifest says come from or are described by `file` (when entries cannot be compared). */
function everythingDescribedBy(file: string, manifest: SelectionManifest, projectName: string): string[] {
  const selects = new Set<string>();
  for (const node of Object.values(manifest.nodes)) {
    if (node.package_name !== projectName || node.resource_type === 'operation') continue;
    const described = node.patch_path?.replace(/^[^:]+:\/\//, '') === file || node.original_file_path === file;
    const selector = described ? nodeSelector(node, projectName) : undefined;
    if (selector) selects.add(selector);
  }
  for (const source of Object.values(manifest.sources)) {
    if (source.package_name === projectName && source.original_file_path === file) {
      selects.add(`source:${source.unique_id.split('.').slice(2).join('.')}+,package:${projectName}`);
    }
  }
  return [...selects].sort();
}

/** Pure: what a changed properties file selects, entry by entry (base text against the text now). */
export function propertiesImpact(
  file: string,
  texts: { before?: string | undefined; after?: string | undefined },
  manifest: SelectionManifest,
  projectName: string,
  deleted: ReadonlySet<string>,
): Reason[] {
  let changes: PropertyChange[];
  try {
    changes = diffProperties(texts.before, texts.after);
  } catch (error) {
    if (!(error instanceof UnreadableProperties)) throw error;
    return [
      {
        selects: everythingDescribedBy(file, manifest, projectName),
        why: `its entries cannot be compared (${error.message}): every node the last manifest says it describes`,
      },
    ];
  }
  if (changes.length === 0) return [{ selects: [], why: 'no entry changed: comments or layout only' }];
  return changes.map((change) => changeReason(change, manifest, projectName, deleted));
}
