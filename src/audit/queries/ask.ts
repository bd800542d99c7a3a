/**
 * Asking a question through a sink (the thin shell over plan.ts): plan it
 * for the sink's dialect, read, decode into typed rows. When audit_latest_status
 * is missing its definition is used inline; when the audit table itself is
 * missing, the error says what creates it.
 */
import { KitError, UsageError } from '../../errors.js';
import type { AuditReadError, AuditSink, AuditTables } from '../sinks/types.js';
import { tableSql } from '../sql.js';
import { decodeRows } from './decode.js';
import { type PlannedQuery, planQuestion, type QueryRequest } from './plan.js';
import { HISTORY, type QuestionDefinition, type ResultColumn, type ResultRow } from './questions.js';
import { type AuditWindow, humanTime } from './window.js';

/** What answers: any sink (they all read). */
export type AuditReader = Pick<AuditSink, 'kind' | 'location' | 'dialect' | 'read'>;

export interface AskOptions {
  reader: AuditReader;
  tables: AuditTables;
  request: QueryRequest;
  /** failures' compiled_path for a unique_id (from the project's manifest), when known. */
  compiledPath?: ((uniqueId: string) => string | undefined) | undefined;
}

export interface Answer<Row> {
  rows: Row[];
  /** Every column of the rows, in order (derived ones included). */
  columns: readonly ResultColumn[];
  window: AuditWindow;
  /** "no runs recorded in ... since ...": what to say when there are no rows. */
  nothing: string;
  /** The SQL and parameters that ran (for --verbose and tests). */
  query: PlannedQuery;
}

/** The audit table a question reads does not exist: exit 2, saying what creates it. */
export class AuditTableMissingError extends KitError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 2 });
  }
}

const isMissing = (error: unknown) => (error as Partial<AuditReadError>).missingRelation === true;

function filtersText(request: QueryRequest): string {
  return `${request.product ? ` for product ${request.product}` : ''}${request.env ? ` on target ${request.env}` : ''}`;
}

export async function ask<Columns extends readonly ResultColumn[]>(
  question: QuestionDefinition<Columns>,
  options: AskOptions,
): Promise<Answer<ResultRow<Columns>>> {
  const { reader, tables, request } = options;
  const plan = (latestStatusView: boolean) =>
    planQuestion(question, request, { dialect: reader.dialect, tables, latestStatusView });
  let query = plan(true);
  let raw: Awaited<ReturnType<AuditReader['read']>>;
  try {
    raw = await reader.read(query);
  } catch (error) {
    if (!isMissing(error)) throw error;
    try {
      // The table may be there without the analyst view (a schema only an older kit wrote to).
      if (!question.usesLatestStatus) throw error;
      query = plan(false);
      raw = await reader.read(query);
    } catch (again) {
      if (!isMissing(again)) throw again;
      const table = tableSql(tables[question.table]);
      throw new AuditTableMissingError(
        `no audit table ${table} in ${reader.kind} ${reader.location}: the first run dbt-run records creates it (dbt-run build), as does building the product's audit models`,
        { cause: again },
      );
    }
  }
  const rows = decodeRows<Record<string, unknown>>(raw, query.columns);
  if (question.columns.some((column) => column.name === 'compiled_path' && column.derived)) {
    for (const row of rows) row.compiled_path = options.compiledPath?.(String(row.unique_id)) ?? null;
  }
  if (question.name === HISTORY.name) ensureOneNode(rows, String(request.node));
  const nothing = `no ${question.nothing} recorded in ${tableSql(tables[question.table])} since ${humanTime(query.window.since)}${filtersText(request)}`;
  return {
    // Keys in the columns' order.
    rows: rows.map(
      (row) =>
        Object.fromEntries(
          question.columns.map((column) => [column.name, row[column.name] ?? null]),
        ) as ResultRow<Columns>,
    ),
    columns: question.columns,
    window: query.window,
    nothing,
    query,
  };
}

/** `audit history stg_orders` names one node: a name two nodes share must be given as a unique_id. */
function ensureOneNode(rows: readonly Record<string, unknown>[], node: string): void {
  const ids = [...new Set(rows.map((row) => String(row.unique_id)))].sort();
  if (ids.length > 1)
    throw new UsageError(`${JSON.stringify(node)} names ${ids.length} nodes (${ids.join(', ')}): give its unique_id`);
}
