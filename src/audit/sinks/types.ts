import { KitError } from '../../errors.js';
import type { AuditRow, InvocationRow } from '../columns.js';
import type { SqlDialect, TableRef } from '../sql.js';

/** Everything one invocation writes to the audit tables. */
export interface AuditBatch {
  invocationId: string;
  nodes: AuditRow[];
  invocation: InvocationRow;
  /** Where the run meant to write it: kept with a spooled upload, so a later flush writes there. */
  destination?: AuditDestination | undefined;
}

/** Where an upload goes: the sink's kind, its database (a DuckDB file's path), and the tables. */
export interface AuditDestination {
  sink: string;
  database: string;
  tables: AuditTables;
}

/** Where the two audit tables are. */
export interface AuditTables {
  log: TableRef;
  invocations: TableRef;
}

/** A place audit batches are written to. Writes are idempotent per invocation. */
export interface AuditSink {
  /** Kind of sink, e.g. "duckdb". */
  readonly kind: string;
  /** Where it writes, for messages (never holds a secret). */
  readonly location: string;
  write(batch: AuditBatch): Promise<void>;
  /** Asks the sink's service something trivial (dbt-run doctor); throws one line when it cannot. */
  check?(): Promise<void>;
  /** The SQL it speaks, for the questions read back through it (`dbt-run audit runs`...). */
  readonly dialect: SqlDialect;
  /** Runs one read-only query with bound parameters; throws AuditReadError. */
  read(query: AuditReadQuery): Promise<AuditReadRow[]>;
}

/**
 * A read-only query and its parameters, in the placeholders of the sink's
 * dialect (`$1` on DuckDB and Postgres, `:name` on the Data API): always
 * non-empty strings, cast in the SQL, as the Data API takes no other kind.
 */
export interface AuditReadQuery {
  sql: string;
  parameters: readonly { name: string; value: string }[];
}

/** One result row's values in the query's column order, as the driver gives them. */
export type AuditReadRow = readonly (string | number | bigint | boolean | null)[];

/** A read that failed; `missingRelation` when a table, view or schema it names does not exist. */
export class AuditReadError extends KitError {
  readonly sink: string;
  readonly missingRelation: boolean;

  constructor(message: string, options: { sink: string; missingRelation: boolean; cause?: unknown }) {
    super(message, { cause: options.cause, exitCode: 2 });
    this.sink = options.sink;
    this.missingRelation = options.missingRelation;
  }
}

/**
 * The error a sink raises when it cannot write; the runner reports it and
 * keeps dbt's exit code (2, a runner error, only under --strict-audit).
 */
export class AuditWriteError extends KitError {
  readonly sink: string;

  constructor(message: string, options: { sink: string; cause?: unknown }) {
    super(message, { cause: options.cause, exitCode: 2 });
    this.sink = options.sink;
  }
}
