/**
 * What a person needs to act on a run's failures (pure): for each node that
 * failed, dbt's message, the node's file (and the line where a YAML file
 * declares a generic test), the compiled SQL dbt ran, and a ready `select`
 * of the failing rows where dbt stored them (store_failures); and which
 * nodes were skipped because of it. The console, --json, the GitHub
 * annotations and summary, and the failure alert all show these.
 */
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLMap } from 'yaml';
import type { AuditRow } from '../audit/columns.js';
import { isFailedStatus } from '../audit/tables.js';
import type { ManifestNode } from '../dbt/artifacts.js';

export interface NodeRef {
  uniqueId: string;
  name: string;
  resourceType: string;
}

export interface FailureDetail extends NodeRef {
  status: string;
  message: string | null;
  /** The node's file, relative to the project (dbt's original_file_path). */
  file: string | null;
  /**
   * The line to point at in `file`: where a YAML file declares the test (or
   * its column, or its model); 1 for a file that is the node (a model's or a
   * singular test's SQL), whose errors' line numbers are the compiled SQL's,
   * not the file's, once Jinja has run. Null when unknown.
   */
  line: number | null;
  /** The SQL dbt ran, relative to the project (target/compiled/...), as dbt writes it. */
  compiledPath: string | null;
  /** `select * from <relation>` of a test's failing rows, when dbt stored them (store_failures). */
  failingRowsQuery: string | null;
  /** Nodes dbt skipped because this one failed (directly or through other skipped nodes). */
  skipped: NodeRef[];
}

export interface FailureReport {
  failures: FailureDetail[];
  /** Skipped nodes no failure of this run explains (no manifest, --fail-fast...). */
  skippedUnexplained: NodeRef[];
}

export const NO_FAILURES: FailureReport = { failures: [], skippedUnexplained: [] };

/** Node types dbt compiles to SQL (or Python) of their own under target/compiled. */
const COMPILED_TYPES = new Set(['model', 'test', 'snapshot', 'analysis']);

/**
 * Where dbt writes a node's compiled SQL, as dbt-core's get_target_write_path
 * does: `<target>/compiled/<package>/<file>`, and for nodes that share a file
 * (generic tests in a YAML file) `<file>/<node path>`. Derived rather than read
 * from the manifest, which dbt-run reads before dbt compiles anything.
 */
export function compiledPathOf(node: ManifestNode, targetPath: string): string | null {
  if (!COMPILED_TYPES.has(node.resource_type) || !node.original_file_path) return null;
  const oneToOne = !node.path || path.posix.basename(node.path) === path.posix.basename(node.original_file_path);
  const file = oneToOne ? node.original_file_path : path.posix.join(node.original_file_path, node.path as string);
  return path.posix.join(targetPath.split(path.sep).join('/'), 'compiled', node.package_name, file);
}

function ref(row: AuditRow, node: ManifestNode | undefined): NodeRef {
  const uniqueId = row.unique_id ?? '';
  return {
    uniqueId,
    name: node?.name ?? row.name ?? uniqueId,
    resourceType: node?.resource_type ?? row.resource_type ?? 'node',
  };
}

/**
 * For each skipped node, the failures of this run that skipped it: its failed
 * ancestors, through skipped ones, and the failed tests of an ancestor that
 * succeeded (`dbt build` skips what depends on a model whose test failed).
 */
function skipCauses(
  rows: readonly AuditRow[],
  nodes: Readonly<Record<string, ManifestNode>>,
): { causes: Map<string, string[]>; unexplained: AuditRow[] } {
  const status = new Map(rows.map((row) => [row.unique_id ?? '', row.status]));
  const failedTestsOn = new Map<string, string[]>();
  for (const row of rows) {
    const node = row.unique_id ? nodes[row.unique_id] : undefined;
    if (!node || !isFailedStatus(row.status) || node.resource_type !== 'test') continue;
    for (const parent of node.depends_on.nodes) {
      failedTestsOn.set(parent, [...(failedTestsOn.get(parent) ?? []), node.unique_id]);
    }
  }
  const causes = new Map<string, string[]>();
  const unexplained: AuditRow[] = [];
  for (const row of rows) {
    if (row.status !== 'skipped' || !row.unique_id) continue;
    const found = new Set<string>();
    const seen = new Set<string>([row.unique_id]);
    const queue = [...(nodes[row.unique_id]?.depends_on.nodes ?? [])];
    while (queue.length > 0) {
      const parent = queue.shift() as string;
      if (seen.has(parent)) continue;
      seen.add(parent);
      const parentStatus = status.get(parent);
      if (isFailedStatus(parentStatus)) found.add(parent);
      else if (parentStatus === 'skipped') queue.push(...(nodes[parent]?.depends_on.nodes ?? []));
      else if (parentStatus !== undefined) for (const test of failedTestsOn.get(parent) ?? []) found.add(test);
    }
    if (found.size === 0) unexplained.push(row);
    for (const cause of found) causes.set(cause, [...(causes.get(cause) ?? []), row.unique_id]);
  }
  return { causes, unexplained };
}

/**
 * The failures of a run and what they skipped (pure), from its audit rows and
 * the manifest's nodes. `targetPath` is dbt's target folder relative to the
 * project. Lines in YAML files are found later (locateLines), from the files.
 */
export function planFailures(
  rows: readonly AuditRow[],
  nodes: Readonly<Record<string, ManifestNode>> | undefined,
  targetPath: string,
): FailureReport {
  const manifestNodes = nodes ?? {};
  const { causes, unexplained } = skipCauses(rows, manifestNodes);
  const rowById = new Map(rows.map((row) => [row.unique_id ?? '', row]));
  const refOf = (uniqueId: string) => ref(rowById.get(uniqueId) as AuditRow, manifestNodes[uniqueId]);
  const failures = rows
    .filter((row) => isFailedStatus(row.status))
    .map((row): FailureDetail => {
      const node = row.unique_id ? manifestNodes[row.unique_id] : undefined;
      const file = node?.original_file_path ?? null;
      const isTest = (node?.resource_type ?? row.resource_type) === 'test';
      return {
        ...ref(row, node),
        status: String(row.status),
        message: row.message,
        file,
        line: file && !/\.ya?ml$/i.test(file) ? 1 : null,
        compiledPath: node ? compiledPathOf(node, targetPath) : null,
        // A test's relation is where store_failures keeps its failing rows; without it there is none.
        failingRowsQuery: isTest && row.relation_name ? `select * from ${row.relation_name}` : null,
        skipped: (causes.get(row.unique_id ?? '') ?? []).map(refOf),
      };
    });
  return { failures, skippedUnexplained: unexplained.map((row) => ref(row, manifestNodes[row.unique_id ?? ''])) };
}

/** What locates a generic test in the YAML file that declares it. */
export interface YamlTestLocation {
  /** dbt's file_key_name: `models.stg_orders`, `sources.raw`, `seeds.x`... */
  fileKeyName: string;
  /** The source table, for a test of a source. */
  sourceTable?: string | null | undefined;
  columnName?: string | null | undefined;
  /** The keys the test may be written under: `unique`, `dbt_utils.expression_is_true`. */
  testNames: readonly string[];
}

function named(list: unknown, name: string): YAMLMap | undefined {
  if (!isSeq(list)) return undefined;
  return list.items.find((item): item is YAMLMap => isMap(item) && item.get('name') === name);
}

function declares(item: unknown, names: readonly string[]): boolean {
  if (isScalar(item)) return names.includes(String(item.value));
  if (!isMap(item)) return false;
  const first = item.items[0]?.key;
  if (isScalar(first) && names.includes(String(first.value))) return true;
  const testName = item.get('test_name');
  return typeof testName === 'string' && names.includes(testName);
}

/**
 * The line (1-based) where a YAML properties file declares a test: its entry
 * under the column (or the model) when found, else the column's, else the
 * model's or source's entry; null when the file does not name it.
 */
export function yamlTestLine(text: string, location: YamlTestLocation): number | null {
  const lineCounter = new LineCounter();
  let document: ReturnType<typeof parseDocument>;
  try {
    document = parseDocument(text, { lineCounter });
  } catch {
    return null;
  }
  const [section = '', ...rest] = location.fileKeyName.split('.');
  let entry = named(document.get(section), rest.join('.'));
  if (entry && section === 'sources' && location.sourceTable)
    entry = named(entry.get('tables'), location.sourceTable) ?? entry;
  if (!entry) return null;
  let best: YAMLMap | unknown = entry;
  const column = location.columnName ? named(entry.get('columns'), location.columnName) : undefined;
  if (column) best = column;
  const owner = column ?? entry;
  for (const key of ['data_tests', 'tests']) {
    const tests = owner.get(key);
    if (!isSeq(tests)) continue;
    const test = tests.items.find((item) => declares(item, location.testNames));
    if (test) {
      best = test;
      break;
    }
  }
  const start = (best as { range?: [number, number, number] }).range?.[0];
  return start === undefined ? null : lineCounter.linePos(start).line;
}

/** Where a failed generic test is declared, from its manifest node; undefined when it is not a YAML test. */
export function yamlTestLocation(node: ManifestNode | undefined): YamlTestLocation | undefined {
  if (!node?.file_key_name || !node.test_metadata) return undefined;
  const { name, namespace } = node.test_metadata;
  const source = node.depends_on.nodes.find((id) => id.startsWith('source.'));
  return {
    fileKeyName: node.file_key_name,
    sourceTable: source ? source.split('.').at(-1) : null,
    columnName: node.column_name,
    testNames: namespace ? [`${namespace}.${name}`, name] : [name],
  };
}

/** Where a source is declared in its YAML file (its table's entry), for a failed freshness check's annotation. */
export function yamlSourceLocation(node: ManifestNode | undefined): YamlTestLocation | undefined {
  if (node?.resource_type !== 'source' || !node.source_name) return undefined;
  return { fileKeyName: `sources.${node.source_name}`, sourceTable: node.name, testNames: [] };
}
