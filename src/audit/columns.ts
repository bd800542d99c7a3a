/**
 * The audit log's columns, defined once. Everything else is derived from this
 * list: the dbt macro's column list and DDL (rendered into the generated
 * product), the audit model's schema docs, the TypeScript row type, and the
 * column table in the READMEs. The first ten are the reference pipeline's
 * columns, which analysts already query: keep their names and order.
 */

/** Logical column types; each adapter maps them to its own SQL type. */
export type AuditColumnType = 'short_text' | 'long_text' | 'bigint' | 'float' | 'timestamp' | 'date';

export interface AuditColumn {
  readonly name: string;
  readonly type: AuditColumnType;
  readonly description: string;
  /** Text only: the byte limit, when not its type's (TEXT_MAX_BYTES). The SQL type follows it. */
  readonly maxBytes?: number;
}

/**
 * Byte limits of the text types. Redshift counts varchar length in bytes and
 * caps it at 65,535; we hold every adapter to the same limits so a row
 * recorded locally would also fit on Redshift.
 */
export const TEXT_MAX_BYTES: Record<'short_text' | 'long_text', number> = {
  short_text: 1024,
  long_text: 65535,
};

/** Upper bound of one audit INSERT statement in bytes: far under Redshift's 16 MB (var audit_max_statement_bytes). */
export const AUDIT_MAX_STATEMENT_BYTES = 1_000_000;

export const AUDIT_COLUMNS = [
  { name: 'load_id', type: 'short_text', description: "Invocation id + '.' + node unique_id: one per node per run." },
  { name: 'invocation_id', type: 'short_text', description: 'dbt invocation id of the run.' },
  { name: 'database_name', type: 'short_text', description: 'Database of the node.' },
  { name: 'schema_name', type: 'short_text', description: 'Schema of the node.' },
  { name: 'name', type: 'short_text', description: 'Node name (model, test, seed or snapshot name).' },
  { name: 'resource_type', type: 'short_text', description: 'model, test, seed, snapshot, unit_test...' },
  { name: 'status', type: 'short_text', description: 'success, error, skipped, pass, fail, warn, no-op...' },
  { name: 'execution_time', type: 'float', description: 'Seconds dbt spent on the node.' },
  { name: 'rows_affected', type: 'bigint', description: 'Rows the adapter reported (0 when it reported none).' },
  { name: 'model_execution_date', type: 'date', description: 'Date (UTC) the run started.' },
  { name: 'product_name', type: 'short_text', description: 'Data product that ran the node.' },
  { name: 'target_name', type: 'short_text', description: 'dbt target of the run (local, dev, prod...).' },
  { name: 'unique_id', type: 'short_text', description: 'dbt unique_id of the node.' },
  { name: 'package_name', type: 'short_text', description: 'dbt package (project) the node belongs to.' },
  { name: 'materialization', type: 'short_text', description: 'table, view, incremental, seed, test...' },
  { name: 'relation_name', type: 'short_text', description: 'Fully qualified relation the node built, if any.' },
  { name: 'started_at', type: 'timestamp', description: 'UTC time the node started compiling.' },
  { name: 'completed_at', type: 'timestamp', description: 'UTC time the node finished executing.' },
  { name: 'compile_seconds', type: 'float', description: 'Seconds spent compiling.' },
  { name: 'execute_seconds', type: 'float', description: 'Seconds spent executing.' },
  {
    name: 'message',
    type: 'long_text',
    description: 'Result or error message (truncated with a marker when over 65,535 bytes).',
  },
  { name: 'failures', type: 'bigint', description: 'Failing rows of a test.' },
  { name: 'thread_id', type: 'short_text', description: 'dbt thread that ran the node.' },
  { name: 'dbt_version', type: 'short_text', description: 'dbt-core version of the run.' },
  { name: 'run_source', type: 'short_text', description: 'What started the run: github, airflow or local.' },
  { name: 'run_url', type: 'short_text', description: 'Link to the CI run or orchestrator run, when known.' },
  { name: 'git_sha', type: 'short_text', description: 'Commit of the product that ran, when known.' },
  { name: 'invocation_started_at', type: 'timestamp', description: 'UTC time the dbt invocation started.' },
  {
    name: 'recorded_by',
    type: 'short_text',
    description: 'What wrote the row: hook (on-run-end macro) or runner (dbt-run).',
  },
  { name: 'recorded_at', type: 'timestamp', description: 'UTC time the row was written.' },
  { name: 'tags', type: 'long_text', description: 'dbt tags of the node, as a JSON array.' },
  { name: 'meta', type: 'long_text', description: 'dbt meta of the node (owner...), as a JSON object.' },
] as const satisfies readonly AuditColumn[];

/**
 * The invocation log: one row per dbt invocation, written by dbt-run (even
 * when dbt crashed before writing run_results.json) or, when dbt runs without
 * dbt-run (an orchestrator starting dbt itself), by the product's on-run-end
 * hook. Lives beside the audit log as `dbt_audit_invocations`.
 */
export const INVOCATION_COLUMNS = [
  {
    name: 'invocation_id',
    type: 'short_text',
    description: 'dbt invocation id (or one made up by dbt-run when dbt died before reporting one).',
  },
  { name: 'product_name', type: 'short_text', description: 'Data product that ran.' },
  { name: 'target_name', type: 'short_text', description: 'dbt target of the run.' },
  {
    name: 'command',
    type: 'short_text',
    description: 'dbt command: build, run, test, seed, snapshot, retry, compile, source freshness.',
  },
  {
    name: 'selection',
    type: 'long_text',
    description: 'Selection arguments (--select, --exclude, --selector, changed files).',
  },
  { name: 'dbt_version', type: 'short_text', description: 'dbt-core version.' },
  {
    name: 'status',
    type: 'short_text',
    description: 'success, failed (a node failed), error (dbt or runner error) or interrupted.',
  },
  {
    name: 'exit_code',
    type: 'bigint',
    description: "Exit code of dbt-run (recorded by the hook: dbt's, as its results give it, 1 when a node failed).",
  },
  { name: 'started_at', type: 'timestamp', description: 'UTC time dbt started.' },
  { name: 'completed_at', type: 'timestamp', description: 'UTC time dbt exited.' },
  { name: 'elapsed_seconds', type: 'float', description: 'Wall time of dbt.' },
  {
    name: 'nodes_total',
    type: 'bigint',
    description: 'Nodes that ran (the on-run-start/end hooks are not counted: they are not nodes).',
  },
  { name: 'nodes_success', type: 'bigint', description: 'Nodes with status success.' },
  { name: 'nodes_error', type: 'bigint', description: 'Nodes with status error (models, seeds, snapshots and tests).' },
  { name: 'nodes_skipped', type: 'bigint', description: 'Nodes with status skipped.' },
  { name: 'nodes_pass', type: 'bigint', description: 'Tests that passed.' },
  { name: 'nodes_fail', type: 'bigint', description: 'Tests that failed.' },
  { name: 'nodes_warn', type: 'bigint', description: 'Tests that warned.' },
  { name: 'nodes_other', type: 'bigint', description: 'Nodes with any other status (no-op, partial success...).' },
  {
    name: 'error_message',
    type: 'long_text',
    description: 'Why dbt or the runner failed, from the JSON log, when it did.',
  },
  { name: 'run_source', type: 'short_text', description: 'github, airflow or local.' },
  { name: 'run_id', type: 'short_text', description: 'CI run id or Airflow DAG run id.' },
  { name: 'run_url', type: 'short_text', description: 'Link to the CI run or Airflow DAG run, when known.' },
  { name: 'repository', type: 'short_text', description: 'Repository (owner/name) of the product, when known.' },
  { name: 'git_sha', type: 'short_text', description: 'Commit that ran.' },
  {
    name: 'git_dirty',
    type: 'bigint',
    description:
      "1 when the product's files had uncommitted or untracked changes (git_sha alone is not what ran), 0 when clean, null when unknown (no checkout, or git_sha set by an orchestrator).",
  },
  { name: 'git_ref', type: 'short_text', description: 'Branch or tag that ran.' },
  {
    name: 'actor',
    type: 'short_text',
    description: 'Who started the run (GitHub actor, Airflow DAG/task, local user).',
  },
  { name: 'recorded_at', type: 'timestamp', description: 'UTC time the row was written.' },
] as const satisfies readonly AuditColumn[];

export type InvocationColumnName = (typeof INVOCATION_COLUMNS)[number]['name'];

export type AuditColumnName = (typeof AUDIT_COLUMNS)[number]['name'];

type TsTypeOf<T extends AuditColumnType> = T extends 'bigint' | 'float'
  ? number
  : T extends 'timestamp' | 'date'
    ? string
    : string;

type RowOf<Columns extends readonly AuditColumn[]> = {
  [C in Columns[number] as C['name']]: TsTypeOf<C['type']> | null;
};

/** One audit row, as the runner and analysts' tools see it. Any column may be null. */
export type AuditRow = RowOf<typeof AUDIT_COLUMNS>;

/** One invocation row. */
export type InvocationRow = RowOf<typeof INVOCATION_COLUMNS>;

/** Byte limit of a column's text, or undefined for non-text columns. */
export function maxBytesOf(column: AuditColumn): number | undefined {
  if (column.type !== 'short_text' && column.type !== 'long_text') return undefined;
  return column.maxBytes ?? TEXT_MAX_BYTES[column.type];
}

/**
 * The integer a bigint column stores for a value: the number truncated, or undefined (null)
 * when it is not a finite number or lies beyond 64 bits. Such a count is unknown; written as
 * it was, it would fail the whole upload (String() even writes 1e21 as `1e+21`, and DuckDB's
 * appender throws). Found by the property tests (issue 15).
 */
export function bigintOf(value: unknown): bigint | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const integer = Math.trunc(value);
  return integer >= -(2 ** 63) && integer < 2 ** 63 ? BigInt(integer) : undefined;
}

/** What a value cut to its column's limit ends with, around its original size in bytes (the macros get the same). */
export const TRUNCATION_MARKER = { before: ' [truncated by dbt-product-kit: ', after: ' bytes]' } as const;

/** The marker a value truncated to its column's byte limit ends with. */
export function truncationMarker(originalBytes: number): string {
  return `${TRUNCATION_MARKER.before}${originalBytes}${TRUNCATION_MARKER.after}`;
}

/**
 * Fits text into `maxBytes` of UTF-8, ending it with the marker when it had
 * to cut, never splitting a character. NUL is removed: no warehouse we write
 * to stores it in text. Mirrors the `audit_fit_text` macro.
 *
 * The result is always well-formed: a lone surrogate (which a JS string can
 * hold and UTF-8 cannot) comes back as U+FFFD, as UTF-8 encoding makes it,
 * whether or not the text was cut, so what a sink stores is exactly this
 * (before, only cut text was normalised and the rest depended on the driver).
 * A limit too small even for the marker cuts the text without one: the
 * marker alone used to overflow the limit (property tests, issue 15).
 */
export function fitText(value: string, maxBytes: number): string {
  const bytes = Buffer.from(value.replaceAll('\u0000', ''), 'utf8');
  if (bytes.length <= maxBytes) return bytes.toString('utf8');
  const marker = truncationMarker(bytes.length);
  const markerBytes = Buffer.byteLength(marker);
  const withMarker = markerBytes <= maxBytes;
  // Cut on a character boundary: step back over UTF-8 continuation bytes (10xxxxxx).
  let cut = withMarker ? maxBytes - markerBytes : maxBytes;
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut).toString('utf8') + (withMarker ? marker : '');
}
