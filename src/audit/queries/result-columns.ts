/**
 * The result columns of each audit question, defined once: their names,
 * types (which decide how each driver's values are read back, decode.ts),
 * and meaning. The questions' SQL (questions.ts) selects them in this order.
 */

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

export const RUNS_COLUMNS = [
  { name: 'started_at', type: 'timestamp', description: 'When dbt started (UTC).' },
  { name: 'invocation_id', type: 'text', description: 'dbt invocation id.' },
  { name: 'product_name', type: 'text', description: 'Data product.' },
  { name: 'target_name', type: 'text', description: 'dbt target.' },
  { name: 'command', type: 'text', description: 'dbt command.' },
  { name: 'status', type: 'text', description: 'success, failed, error or interrupted.' },
  { name: 'exit_code', type: 'integer', description: 'Exit code of dbt-run.' },
  { name: 'elapsed_seconds', type: 'float', digits: 3, description: 'Wall time of dbt.' },
  { name: 'nodes_total', type: 'integer', description: 'Nodes that ran.' },
  { name: 'nodes_failed', type: 'integer', description: 'Nodes in error and failed tests.' },
  { name: 'nodes_skipped', type: 'integer', description: 'Nodes skipped.' },
  { name: 'run_url', type: 'text', description: 'CI or orchestrator run.' },
] as const satisfies readonly ResultColumn[];

export const FAILURES_COLUMNS = [
  { name: 'started_at', type: 'timestamp', description: 'When the run started (UTC).' },
  { name: 'invocation_id', type: 'text', description: 'dbt invocation id.' },
  { name: 'product_name', type: 'text', description: 'Data product.' },
  { name: 'target_name', type: 'text', description: 'dbt target.' },
  { name: 'unique_id', type: 'text', description: 'dbt unique_id of the node.' },
  { name: 'resource_type', type: 'text', description: 'model, test, seed...' },
  { name: 'status', type: 'text', description: 'error, fail or runtime error.' },
  { name: 'failures', type: 'integer', description: 'Failing rows of a test.' },
  { name: 'message', type: 'text', description: "dbt's message." },
  {
    name: 'compiled_path',
    type: 'text',
    derived: true,
    description: "The node's compiled SQL, from the project's target/manifest.json, when it has the node.",
  },
  { name: 'run_url', type: 'text', description: 'CI or orchestrator run.' },
] as const satisfies readonly ResultColumn[];

export const SLOWEST_COLUMNS = [
  { name: 'product_name', type: 'text', description: 'Data product.' },
  { name: 'unique_id', type: 'text', description: 'dbt unique_id of the node.' },
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
  { name: 'started_at', type: 'timestamp', description: 'When the run started (UTC).' },
  { name: 'invocation_id', type: 'text', description: 'dbt invocation id.' },
  { name: 'target_name', type: 'text', description: 'dbt target.' },
  { name: 'unique_id', type: 'text', description: 'dbt unique_id of the node.' },
  { name: 'status', type: 'text', description: "The node's status." },
  { name: 'execution_seconds', type: 'float', digits: 3, description: 'Seconds dbt spent on it.' },
  { name: 'rows_affected', type: 'integer', description: 'Rows the adapter reported.' },
  { name: 'failures', type: 'integer', description: 'Failing rows (tests).' },
  { name: 'run_url', type: 'text', description: 'CI or orchestrator run.' },
] as const satisfies readonly ResultColumn[];

export const FLAKY_COLUMNS = [
  { name: 'product_name', type: 'text', description: 'Data product.' },
  { name: 'unique_id', type: 'text', description: 'dbt unique_id of the test.' },
  { name: 'runs', type: 'integer', description: 'Runs in the window (skipped ones left out).' },
  { name: 'flips', type: 'integer', description: 'Times its status changed from one run to the next.' },
  { name: 'flip_rate', type: 'float', digits: 3, description: 'flips / (runs - 1).' },
  { name: 'last_status', type: 'text', description: 'Its status in the latest run.' },
  { name: 'last_run_at', type: 'timestamp', description: 'When the latest run started (UTC).' },
] as const satisfies readonly ResultColumn[];

export const FRESHNESS_COLUMNS = [
  { name: 'product_name', type: 'text', description: 'Data product.' },
  { name: 'unique_id', type: 'text', description: 'dbt unique_id of the source table.' },
  { name: 'status', type: 'text', description: "dbt's freshness status: pass, warn, error or runtime error." },
  { name: 'checked_at', type: 'timestamp', description: 'When the latest check ran (UTC).' },
  { name: 'target_name', type: 'text', description: 'dbt target of that check.' },
  { name: 'message', type: 'text', description: "dbt's message." },
  { name: 'run_url', type: 'text', description: 'CI or orchestrator run.' },
] as const satisfies readonly ResultColumn[];
