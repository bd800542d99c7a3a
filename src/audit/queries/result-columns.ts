/**
 * The result columns of each audit question, defined once: their names,
 * types (which decide how each driver's values are read back, decode.ts),
 * and meaning. The questions' SQL (questions.ts) selects them in this order.
 * A column that is an audit table's column as stored takes its type and
 * meaning from that table's definition (columns.ts), so the two cannot drift.
 */
import { AUDIT_COLUMNS, type AuditColumn, type AuditColumnType, INVOCATION_COLUMNS } from '../columns.js';

/** A result column's type, which decides how each driver's value is read back (decode.ts). */
export type ResultType = 'text' | 'integer' | 'float' | 'timestamp';

export interface ResultColumn {
  readonly name: string;
  readonly type: ResultType;
  /** Floats: decimals kept (durations to the millisecond), so every warehouse gives the same figure. */
  readonly digits?: number;
  readonly description: string;
  /** Not selected by the SQL: the shell fills it in (failures' compiled_path, from the manifest). */
  readonly derived?: boolean;
}

type ResultTypeOf<T extends AuditColumnType> = T extends 'bigint'
  ? 'integer'
  : T extends 'float'
    ? 'float'
    : T extends 'timestamp'
      ? 'timestamp'
      : 'text';

const RESULT_TYPES: { [T in AuditColumnType]: ResultTypeOf<T> } = {
  short_text: 'text',
  long_text: 'text',
  bigint: 'integer',
  float: 'float',
  timestamp: 'timestamp',
  date: 'text',
};

type Named<Columns extends readonly AuditColumn[], N> = Extract<Columns[number], { name: N }>;

/** A stored column as a result column: its type and meaning (or, `meaning`, a narrower one). */
function stored<const Columns extends readonly AuditColumn[], N extends Columns[number]['name']>(
  columns: Columns,
  name: N,
  options: { digits?: number; meaning?: string } = {},
) {
  const column = columns.find((each) => each.name === name) as Named<Columns, N>;
  return {
    name,
    type: RESULT_TYPES[column.type as Named<Columns, N>['type']] as ResultTypeOf<Named<Columns, N>['type']>,
    description: options.meaning ?? column.description,
    ...(options.digits === undefined ? {} : { digits: options.digits }),
  } as const;
}

/** A column of dbt_audit_log. */
const logged = <N extends (typeof AUDIT_COLUMNS)[number]['name']>(
  name: N,
  options: { digits?: number; meaning?: string } = {},
) => stored(AUDIT_COLUMNS, name, options);

/** A column of dbt_audit_invocations. */
const invoked = <N extends (typeof INVOCATION_COLUMNS)[number]['name']>(
  name: N,
  options: { digits?: number; meaning?: string } = {},
) => stored(INVOCATION_COLUMNS, name, options);

/** A stored column under the name the result gives it (`execution_time as execution_seconds`). */
const renamed = <Column extends ResultColumn, As extends string>(column: Column, name: As) =>
  ({ ...column, name }) as Omit<Column, 'name'> & { readonly name: As };

export const RUNS_COLUMNS = [
  invoked('started_at'),
  invoked('invocation_id'),
  invoked('product_name'),
  invoked('target_name'),
  invoked('command'),
  invoked('status'),
  invoked('exit_code'),
  invoked('elapsed_seconds', { digits: 3 }),
  invoked('nodes_total'),
  { name: 'nodes_failed', type: 'integer', description: 'Nodes in error and failed tests (nodes_error + nodes_fail).' },
  invoked('nodes_skipped'),
  invoked('run_url'),
] as const satisfies readonly ResultColumn[];

export const FAILURES_COLUMNS = [
  renamed(logged('invocation_started_at'), 'started_at'),
  logged('invocation_id'),
  logged('product_name'),
  logged('target_name'),
  logged('unique_id'),
  logged('resource_type'),
  logged('status', { meaning: 'error, fail or runtime error.' }),
  logged('failures'),
  logged('message'),
  {
    name: 'compiled_path',
    type: 'text',
    derived: true,
    description: "The node's compiled SQL, from the project's target/manifest.json, when it has the node.",
  },
  logged('run_url'),
] as const satisfies readonly ResultColumn[];

export const SLOWEST_COLUMNS = [
  logged('product_name'),
  logged('unique_id'),
  { name: 'runs', type: 'integer', description: 'Successful runs in the window.' },
  { name: 'median_seconds', type: 'float', digits: 3, description: 'Median run time in the window.' },
  { name: 'p95_seconds', type: 'float', digits: 3, description: '95th percentile run time in the window.' },
  {
    name: 'previous_median_seconds',
    type: 'float',
    digits: 3,
    description: 'Median run time in the window before (as long), when it ran then.',
  },
  {
    name: 'change_percent',
    type: 'float',
    digits: 1,
    description: 'Median against the window before, in percent (+ is slower).',
  },
] as const satisfies readonly ResultColumn[];

export const HISTORY_COLUMNS = [
  renamed(logged('invocation_started_at'), 'started_at'),
  logged('invocation_id'),
  logged('target_name'),
  logged('unique_id'),
  logged('status'),
  renamed(logged('execution_time', { digits: 3 }), 'execution_seconds'),
  logged('rows_affected'),
  logged('failures'),
  logged('run_url'),
] as const satisfies readonly ResultColumn[];

export const FLAKY_COLUMNS = [
  logged('product_name'),
  logged('unique_id'),
  { name: 'runs', type: 'integer', description: 'Runs in the window (skipped ones left out).' },
  { name: 'flips', type: 'integer', description: 'Times its status changed from one run to the next.' },
  { name: 'flip_rate', type: 'float', digits: 3, description: 'flips / (runs - 1).' },
  { name: 'last_status', type: 'text', description: 'Its status in the latest run.' },
  { name: 'last_run_at', type: 'timestamp', description: 'When the latest run started (UTC).' },
] as const satisfies readonly ResultColumn[];

export const FRESHNESS_COLUMNS = [
  logged('product_name'),
  logged('unique_id'),
  logged('status', { meaning: "dbt's freshness status: pass, warn, error or runtime error." }),
  renamed(logged('invocation_started_at', { meaning: 'When the latest check ran (UTC).' }), 'checked_at'),
  logged('target_name'),
  logged('message'),
  logged('run_url'),
] as const satisfies readonly ResultColumn[];
