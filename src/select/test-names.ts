/**
 * The names dbt gives the generic tests of a properties YAML file, worked out
 * as dbt-core does (generic_test_builders.py: synthesize_generic_test_names),
 * so a changed test can be selected by the name it will have once dbt parses
 * the change, without a parse.
 */

/** Test keys that are configs, not arguments: they never enter the name. */
const CONFIG_KEYS = new Set([
  'severity',
  'tags',
  'enabled',
  'where',
  'limit',
  'warn_if',
  'error_if',
  'fail_calc',
  'store_failures',
  'store_failures_as',
  'meta',
  'database',
  'schema',
  'alias',
  'config',
  'description',
  'name',
  'test_name',
]);

/** A generic test as a properties file states it: its type, namespace, arguments and chosen name. */
export interface GenericTest {
  /** e.g. accepted_values (without the namespace). */
  type: string;
  namespace?: string;
  /** Set only when the YAML names the test itself (`name:`). */
  customName?: string;
  args: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A test entry of a `data_tests:`/`tests:` list (a string or a one-key mapping); undefined if it is neither. */
export function readGenericTest(entry: unknown): GenericTest | undefined {
  let qualified: string;
  let body: Record<string, unknown> = {};
  if (typeof entry === 'string') qualified = entry;
  else if (isRecord(entry) && typeof entry.test_name === 'string') {
    qualified = entry.test_name;
    body = entry;
  } else if (isRecord(entry) && Object.keys(entry).length === 1) {
    const [key, value] = Object.entries(entry)[0] as [string, unknown];
    qualified = key;
    if (isRecord(value)) body = value;
    else if (value !== null && value !== undefined) return undefined;
  } else return undefined;
  const dot = qualified.lastIndexOf('.');
  const args: Record<string, unknown> = {};
  // dbt 1.10 moved the arguments under `arguments:`; keys beside it are the older form.
  for (const [key, value] of Object.entries(body)) {
    if (key === 'arguments' && isRecord(value)) Object.assign(args, value);
    else if (!CONFIG_KEYS.has(key)) args[key] = value;
  }
  return {
    type: dot < 0 ? qualified : qualified.slice(dot + 1),
    ...(dot < 0 ? {} : { namespace: qualified.slice(0, dot) }),
    ...(typeof body.name === 'string' ? { customName: body.name } : {}),
    args,
  };
}

/** Python's str() of a YAML value, as dbt's name builder sees it. */
function pythonStr(value: unknown, nested = false): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return nested ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : value;
  if (Array.isArray(value)) return `[${value.map((item) => pythonStr(item, true)).join(', ')}]`;
  if (isRecord(value)) {
    return `{${Object.entries(value)
      .map(([key, item]) => `${pythonStr(key, true)}: ${pythonStr(item, true)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/**
 * The name dbt gives a generic test (its FQN leaf, what a bare selector
 * matches). `target` is the model, seed or snapshot name, or
 * `{source}_{table}` for a source table; `column` the column it tests.
 */
export function genericTestName(
  test: GenericTest,
  target: { name: string; source?: boolean },
  column?: string,
): string {
  if (test.customName) return test.customName;
  const args: Record<string, unknown> = { ...test.args, ...(column === undefined ? {} : { column_name: column }) };
  const parts: string[] = [];
  for (const key of Object.keys(args).sort()) {
    if (key === 'model') continue;
    const value = args[key];
    const values = isRecord(value) ? Object.values(value) : Array.isArray(value) ? value : [value];
    parts.push(...values.map((part) => pythonStr(part).replace(/[^0-9a-zA-Z_]+/g, '_')));
  }
  const type = `${test.namespace ? `${test.namespace}_` : ''}${target.source ? 'source_' : ''}${test.type}`;
  return `${type}_${target.name}_${parts.join('__')}`;
}
