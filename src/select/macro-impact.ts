/**
 * Which nodes a changed macro file affects, from the last manifest: the
 * nodes that call its macros (directly, through other macros, through
 * dispatch or in pre/post hooks, which dbt records in depends_on.macros),
 * plus the calls dbt makes without a node naming them: generate_schema_name,
 * generate_alias_name and generate_database_name for every model, seed and
 * snapshot; a materialization for the nodes materialized with it; the
 * on-run-start and on-run-end hooks.
 */
import type { SelectionManifest } from '../dbt/artifacts.js';

/** One line of explanation: what is selected, and why (a true sentence about the last manifest). */
export interface Reason {
  selects: string[] | 'everything';
  why: string;
}

const IMPLICIT = /^generate_(schema|alias|database)_name$/;
const MATERIALIZATION = /^materialization_(.+)_([^_]+)$/;

/** The macros a macro file defines, by name (`test_x` for a generic test, `materialization_x_adapter`). */
export function macroNamesIn(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(/{%-?\s*(macro|test)\s+([A-Za-z_]\w*)\s*\(/g)) {
    names.add(match[1] === 'test' ? `test_${match[2]}` : (match[2] as string));
  }
  for (const match of text.matchAll(
    /{%-?\s*materialization\s+([A-Za-z_]\w*)\s*,\s*(?:default|adapter\s*=\s*['"](\w+)['"])/g,
  )) {
    names.add(`materialization_${match[1]}_${match[2] ?? 'default'}`);
  }
  return [...names].sort();
}

const nameOf = (id: string) => id.split('.').slice(2).join('.');
const packageOf = (id: string) => id.split('.')[1] ?? '';

/** The selector for one node of the project: tests by name (their file is a YAML of many), others by file and downstream. */
export function nodeSelector(node: SelectionManifest['nodes'][string], projectName: string): string | undefined {
  const [type, , name] = node.unique_id.split('.');
  if (type === 'test') return `${name},resource_type:test,package:${projectName}`;
  if (type === 'unit_test') return `${node.unique_id.split('.').at(-1)},resource_type:unit_test,package:${projectName}`;
  return node.original_file_path ? `path:${node.original_file_path}+,package:${projectName}` : undefined;
}

/**
 * The macros a project macro can stand in for: dbt's own of the same name
 * (the root project's win), and, for a dispatch candidate `prefix__name`,
 * the other packages' `*__name` (the root project is searched first).
 */
function stoodInFor(name: string, manifest: SelectionManifest, projectName: string): string[] {
  const dispatched = /^[A-Za-z0-9]+__(.+)$/.exec(name)?.[1];
  return Object.keys(manifest.macros).filter((id) => {
    if (packageOf(id) === projectName) return false;
    const other = nameOf(id);
    return other === name || (dispatched !== undefined && other.endsWith(`__${dispatched}`));
  });
}

/** Every macro that calls one of `start`, directly or through others, with `start` itself. */
function callersOf(start: Iterable<string>, manifest: SelectionManifest): Set<string> {
  const callers = new Map<string, string[]>();
  for (const macro of Object.values(manifest.macros)) {
    for (const used of macro.depends_on.macros) callers.set(used, [...(callers.get(used) ?? []), macro.unique_id]);
  }
  const reached = new Set(start);
  const queue = [...reached];
  while (queue.length > 0) {
    for (const caller of callers.get(queue.pop() as string) ?? []) {
      if (!reached.has(caller)) {
        reached.add(caller);
        queue.push(caller);
      }
    }
  }
  return reached;
}

const list = (names: Iterable<string>) => [...new Set(names)].sort().join(', ');

/**
 * Pure: what changing the macros with these ids and names (the file's, in
 * the manifest and in its text before and after) affects. `where` says where
 * in the explanation ("its macros", "package dbt_utils's macros").
 */
export function macroImpact(
  start: { ids: string[]; names: string[] },
  manifest: SelectionManifest,
  projectName: string,
  where: string,
  options: { standIns?: boolean } = {},
): Reason[] {
  const ids = new Set(start.ids);
  const standIns: string[] = [];
  for (const name of start.names) {
    ids.add(`macro.${projectName}.${name}`);
    if (options.standIns !== false) standIns.push(...stoodInFor(name, manifest, projectName));
  }
  const reached = callersOf([...ids, ...standIns], manifest);
  // The changed macros themselves (and those they replace), apart from their callers.
  const own = new Set([...ids, ...standIns]);
  const reasons: Reason[] = [];
  const standInNote = standIns.length ? `; the macros defined ${where} can take the place of ${list(standIns)}` : '';

  const implicit = [...reached].filter(
    (id) => IMPLICIT.test(nameOf(id)) && [projectName, 'dbt'].includes(packageOf(id)),
  );
  if (implicit.length) {
    reasons.push({
      selects: ['model', 'seed', 'snapshot'].map((type) => `resource_type:${type},package:${projectName}`),
      why: `dbt calls ${list(implicit.map(nameOf))} for every model, seed and snapshot, and ${implicit.some((id) => own.has(id)) ? 'it is' : 'it uses macros'} defined ${where}${standInNote}`,
    });
  }

  const adapter = manifest.metadata.adapter_type;
  const materializations = new Set<string>();
  for (const id of reached) {
    const match = MATERIALIZATION.exec(nameOf(id));
    if (match && (match[2] === 'default' || !adapter || match[2] === adapter)) materializations.add(match[1] as string);
  }
  const ownMaterialization = [...own].some((id) => MATERIALIZATION.test(nameOf(id)));
  if (materializations.size) {
    reasons.push({
      selects: [...materializations].sort().map((name) => `config.materialized:${name},package:${projectName}`),
      why: `the nodes materialized as ${list(materializations)}: ${materializations.size > 1 ? 'they are or use' : ownMaterialization ? 'it is' : 'it uses macros'} defined ${where}${standInNote}`,
    });
  }

  const callers = Object.values(manifest.nodes).filter(
    (node) =>
      node.package_name === projectName &&
      node.resource_type !== 'operation' &&
      node.depends_on.macros.some((id) => reached.has(id)),
  );
  const selectors = callers.flatMap((node) => nodeSelector(node, projectName) ?? []);
  if (selectors.length) {
    reasons.push({
      selects: [...new Set(selectors)].sort(),
      why: `${callers.length === 1 ? 'the node that calls' : `the ${callers.length} nodes that call`} macros defined ${where}${standInNote}, directly or through other macros, dispatch or hooks; and their downstream`,
    });
  }

  const hooks = Object.values(manifest.nodes).filter(
    (node) => node.resource_type === 'operation' && node.depends_on.macros.some((id) => reached.has(id)),
  );
  if (hooks.some((hook) => hook.unique_id.includes('-on-run-start-'))) {
    reasons.push({
      selects: 'everything',
      why: `the on-run-start hook uses macros defined ${where}, and it runs before every node`,
    });
  }
  if (hooks.some((hook) => hook.unique_id.includes('-on-run-end-'))) {
    reasons.push({
      selects: [],
      why: `the on-run-end hook uses macros defined ${where}; it runs after the nodes of any build, so no node's build depends on it`,
    });
  }
  return reasons;
}
