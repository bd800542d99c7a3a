/**
 * What dbt-run publishes to SNS, planned from an audit batch (pure): a
 * failure alert (`run.failed`) for people and machines, and a completion
 * event (`product.completed`) for downstream products. Both are versioned
 * JSON documents; the alert also has a text body. One SNS message carries
 * both (MessageStructure=json: the text for e-mail, the document for SQS,
 * Lambda, HTTP(S), email-json and Firehose subscribers), kept under SNS's 256 KB
 * with attributes that subscriptions can filter on. The documents' shapes are
 * defined once, in ../messages/.
 */

import type { AuditRow, InvocationRow } from '../audit/columns.js';
import type { AuditBatch } from '../audit/sinks/types.js';
import { quoteIdentifier, type TableRef } from '../audit/sql.js';
import { isFailedStatus } from '../audit/tables.js';
import { BUILDING_COMMANDS } from '../dbt/command.js';
import {
  PRODUCT_COMPLETED,
  type ProductCompleted,
  RUN_FAILED,
  RUN_STATUSES,
  type RunFailed,
  type RunStatus,
} from '../messages/index.js';
import { REDACTED, redact } from '../redact.js';

export const ALERT_SCHEMA = RUN_FAILED.schemaId;
export const EVENT_SCHEMA = PRODUCT_COMPLETED.schemaId;
/** SNS takes 262,144 bytes with attributes; the rest is headroom for the envelope. */
export const MAX_MESSAGE_BYTES = 256_000;

/** What the run knows of a failed node beyond its audit row (src/run/failures.ts plans it). */
export interface FailureFacts {
  uniqueId: string;
  compiledPath: string | null;
  failingRowsQuery: string | null;
  skipped: readonly { uniqueId: string; name: string; resourceType: string }[];
}

export interface MessageContext {
  product: string;
  environment: string;
  /** Where the audit rows are, for the ready-made query. */
  auditTable: TableRef;
  /** Also alert on tests that only warn. */
  includeWarnings: boolean;
  /** Each failure's compiled SQL, failing rows and skipped nodes, when the run knows them. */
  failureFacts?: readonly FailureFacts[] | undefined;
}

export interface PlannedMessage<Document extends RunFailed | ProductCompleted = RunFailed | ProductCompleted> {
  eventType: Document['event_type'];
  subject: string;
  /** MessageStructure=json: `default` and `email` (text); `sqs`, `lambda`, `http(s)`, `email-json`, `firehose` (the document). */
  message: string;
  attributes: Record<string, string>;
  /** The document, parsed, for tests and logs. */
  document: Document;
  /** For FIFO topics. */
  groupId: string;
  deduplicationId: string;
}

/** Printable ASCII only, under 100 characters: SNS's rule for subjects. */
export function snsSubject(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?').trim();
  return printable.length < 100 ? printable : `${printable.slice(0, 96)}...`;
}

/** The most of any one text a message shows (the longest, an error message, is trimmed to 4,000). */
const SHOWN_CHARACTERS = 8000;

/**
 * Text from dbt, the database or the run's environment as a message may show it: a URL's
 * credential (a connection string in a database error, a remote in a git error) becomes `***`.
 * Only the part a message can show is redacted (a megabyte per node would cost seconds); a URL
 * whose authority runs past that cut is masked whole, since its `@` is gone. The property tests
 * found credentials published as they were (issue 15).
 */
function said<Text extends string | null | undefined>(text: Text): Text {
  if (!text) return text;
  if (text.length <= SHOWN_CHARACTERS) return redact(text) as Text;
  const shown = head(text, SHOWN_CHARACTERS).replace(/([a-z][a-z0-9+.-]{0,31}:\/\/)[^/?#\s'"]*$/i, `$1${REDACTED}`);
  return redact(shown) as Text;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * The first `count` UTF-16 units of `text`, one fewer rather than half a surrogate pair: a
 * lone half is no character, and UTF-8 has no way to carry it (the property tests found
 * trimmed alerts ending in one, issue 15).
 */
function head(text: string, count: number): string {
  const last = text.charCodeAt(count - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? count - 1 : count);
}

function trimmed(text: string | null | undefined, max: number): string {
  const value = (text ?? '').trim();
  return value.length <= max ? value : `${head(value, max - 1)}…`;
}

/** The nodes an alert is about: errors and test failures, and warnings when asked. */
export function alertingNodes(nodes: readonly AuditRow[], includeWarnings: boolean): AuditRow[] {
  return nodes.filter((node) => isFailedStatus(node.status) || (includeWarnings && String(node.status) === 'warn'));
}

/** "2 errors, 1 test failure" (what the subject and the body lead with). */
function failureSummary(nodes: readonly AuditRow[], invocation: InvocationRow): string {
  const errors = nodes.filter((node) => node.status === 'error' || node.status === 'runtime error').length;
  const failures = nodes.filter((node) => node.status === 'fail').length;
  const warnings = nodes.filter((node) => node.status === 'warn').length;
  const parts = [
    errors ? plural(errors, 'error') : '',
    failures ? plural(failures, 'test failure') : '',
    warnings ? plural(warnings, 'test warning') : '',
  ].filter(Boolean);
  if (parts.length === 0) return invocation.status === 'error' ? 'dbt stopped with an error' : 'failed';
  return parts.join(', ');
}

/** The invocation row's status; a value the row should never hold reads as an error of the runner. */
function runStatus(status: string | null): RunStatus {
  return RUN_STATUSES.find((known) => known === status) ?? 'error';
}

function auditQuery(table: TableRef, invocationId: string): string {
  return `select unique_id, status, message from ${quoteIdentifier(table.schema)}.${quoteIdentifier(table.table)} where invocation_id = '${invocationId.replaceAll("'", "''")}' order by started_at;`;
}

const SHOWN_SKIPPED = 5;

/** The lines under a failure in the alert's text: where its SQL is, its failing rows, what it skipped. */
function actionLines(facts: FailureFacts | undefined): string[] {
  if (!facts) return [];
  const { skipped } = facts;
  const names = skipped.slice(0, SHOWN_SKIPPED).map((node) => `${node.resourceType} ${node.name}`);
  const more = skipped.length > names.length ? ` and ${skipped.length - names.length} more` : '';
  return [
    ...(facts.compiledPath ? [`  compiled SQL: ${facts.compiledPath}`] : []),
    ...(facts.failingRowsQuery ? [`  failing rows: ${trimmed(said(facts.failingRowsQuery), 500)}`] : []),
    ...(skipped.length ? [`  skipped because of it (${skipped.length}): ${names.join(', ')}${more}`] : []),
  ];
}

function structured(text: string, document: RunFailed | ProductCompleted): string {
  const json = JSON.stringify(document);
  return JSON.stringify({
    default: text,
    email: text,
    sqs: json,
    lambda: json,
    http: json,
    https: json,
    'email-json': json,
    firehose: json,
  });
}

function size(message: string, subject: string, attributes: Record<string, string>): number {
  return (
    Buffer.byteLength(message) +
    Buffer.byteLength(subject) +
    Object.entries(attributes).reduce((sum, [name, value]) => sum + Buffer.byteLength(name + value) + 6, 0)
  );
}

/** The failure alert, or undefined when nothing failed (and dbt did not stop with an error). */
export function planFailureAlert(batch: AuditBatch, context: MessageContext): PlannedMessage<RunFailed> | undefined {
  const invocation = {
    ...batch.invocation,
    selection: said(batch.invocation.selection),
    error_message: said(batch.invocation.error_message),
    run_url: said(batch.invocation.run_url),
  };
  const failing = alertingNodes(batch.nodes, context.includeWarnings).map((node) => ({
    ...node,
    message: said(node.message),
  }));
  if (failing.length === 0 && invocation.status !== 'error') return undefined;
  const facts = new Map((context.failureFacts ?? []).map((fact) => [fact.uniqueId, fact]));
  const factsOf = (node: AuditRow) => (node.unique_id ? facts.get(node.unique_id) : undefined);
  const command = String(invocation.command ?? 'build');
  const summary = failureSummary(failing, invocation);
  const subject = snsSubject(`[${context.product}][${context.environment}] dbt ${command} failed: ${summary}`);
  const severity =
    failing.some((node) => node.status !== 'warn') || invocation.status === 'error' ? 'error' : 'warning';
  const attributes = {
    product: context.product,
    environment: context.environment,
    event_type: 'run.failed',
    severity,
  };
  const build = (shown: number): { message: string; document: RunFailed } => {
    const listed = failing.slice(0, shown);
    const more = failing.length - listed.length;
    const document: RunFailed = {
      schema: RUN_FAILED.schemaId,
      version: RUN_FAILED.version,
      event_type: 'run.failed',
      severity,
      product: context.product,
      environment: context.environment,
      producer: 'dbt-run',
      dag_id: null,
      target: invocation.target_name,
      command,
      // Trimmed like the messages: a long selection (many changed files) is in the message six
      // times, and untrimmed it could take the alert past SNS's 256 KB alone (issue 15).
      selection: trimmed(invocation.selection, 2000) || null,
      invocation_id: batch.invocationId,
      status: runStatus(invocation.status),
      exit_code: invocation.exit_code,
      started_at: invocation.started_at,
      completed_at: invocation.completed_at,
      counts: {
        total: invocation.nodes_total ?? 0,
        success: invocation.nodes_success ?? 0,
        error: invocation.nodes_error ?? 0,
        skipped: invocation.nodes_skipped ?? 0,
        pass: invocation.nodes_pass ?? 0,
        fail: invocation.nodes_fail ?? 0,
        warn: invocation.nodes_warn ?? 0,
      },
      failures: listed.map((node) => ({
        unique_id: node.unique_id,
        name: node.name,
        resource_type: node.resource_type,
        status: String(node.status),
        relation_name: node.relation_name ?? null,
        message: trimmed(node.message, 2000),
        compiled_path: factsOf(node)?.compiledPath ?? null,
        failing_rows_query: factsOf(node)?.failingRowsQuery ?? null,
        skipped_count: factsOf(node)?.skipped.length ?? null,
        task_id: null,
      })),
      failures_not_listed: more,
      error_message: invocation.error_message ? trimmed(invocation.error_message, 4000) : null,
      run_url: invocation.run_url ?? null,
      git_sha: invocation.git_sha ?? null,
      audit_query: auditQuery(context.auditTable, batch.invocationId),
    };
    const lines = [
      `${context.product} (${context.environment}): dbt ${command} failed: ${summary}.`,
      `Nodes: ${invocation.nodes_total ?? 0} total, ${invocation.nodes_error ?? 0} errors, ${invocation.nodes_fail ?? 0} test failures, ${invocation.nodes_warn ?? 0} warnings, ${invocation.nodes_skipped ?? 0} skipped.`,
      '',
      ...(listed.length ? ['What failed:'] : []),
      ...listed.flatMap((node) => [
        `- ${node.unique_id} (${node.resource_type}, ${node.status}): ${trimmed(node.message, 500) || 'no message'}`,
        ...actionLines(factsOf(node)),
      ]),
      ...(more > 0 ? [`- and ${more} more`] : []),
      ...(invocation.error_message ? ['', `dbt said: ${trimmed(invocation.error_message, 1000)}`] : []),
      '',
      `Run: ${invocation.run_url ?? 'local run'}`,
      `Invocation: ${batch.invocationId}`,
      ...(invocation.git_sha ? [`Commit: ${invocation.git_sha}`] : []),
      '',
      'Every result of this run in the audit log:',
      `  ${document.audit_query}`,
    ];
    return { message: structured(lines.join('\n'), document), document };
  };
  // Everything if it fits, else the longest list that does (ending with "and N more"). Each
  // listed failure costs at least its share of the message (the document six times, a text
  // line once), which bounds the search before any message is built.
  let high = 0;
  for (let spent = 0; high < failing.length; high++) {
    const node = failing[high] as AuditRow;
    spent +=
      6 * Buffer.byteLength(JSON.stringify(JSON.stringify(trimmed(node.message, 2000)))) +
      Math.min(500, String(node.message ?? '').length);
    if (spent > MAX_MESSAGE_BYTES) break;
  }
  let planned = build(high);
  if (size(planned.message, subject, attributes) > MAX_MESSAGE_BYTES) {
    let low = 0;
    high -= 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (size(build(middle).message, subject, attributes) <= MAX_MESSAGE_BYTES) low = middle;
      else high = middle - 1;
    }
    planned = build(low);
  }
  return {
    eventType: 'run.failed',
    subject,
    message: planned.message,
    attributes,
    document: planned.document,
    groupId: context.product,
    deduplicationId: `${batch.invocationId}:run.failed`,
  };
}

/** The completion event of a successful run. */
export function planCompletionEvent(
  batch: AuditBatch,
  context: Pick<MessageContext, 'product' | 'environment'>,
): PlannedMessage<ProductCompleted> | undefined {
  const { invocation } = batch;
  // A freshness check or a compile builds nothing: downstream products must not start on it.
  if (invocation.status !== 'success' || !BUILDING_COMMANDS.has(invocation.command ?? '')) return undefined;
  const built = batch.nodes.filter((node) => node.status === 'success' && node.resource_type !== 'test');
  const document: ProductCompleted = {
    schema: PRODUCT_COMPLETED.schemaId,
    version: PRODUCT_COMPLETED.version,
    event_type: 'product.completed',
    product: context.product,
    environment: context.environment,
    producer: 'dbt-run',
    target: invocation.target_name,
    command: invocation.command,
    invocation_id: batch.invocationId,
    finished_at: invocation.completed_at,
    nodes_built: built.length,
    tests_passed: batch.nodes.filter((node) => node.status === 'pass').length,
    git_sha: invocation.git_sha ?? null,
    run_url: said(invocation.run_url) ?? null,
  };
  const text = `${context.product} (${context.environment}) completed: ${plural(built.length, 'node')} built, invocation ${batch.invocationId}.`;
  return {
    eventType: 'product.completed',
    subject: snsSubject(`[${context.product}][${context.environment}] completed`),
    message: structured(text, document),
    attributes: {
      product: context.product,
      environment: context.environment,
      event_type: 'product.completed',
      severity: 'info',
    },
    document,
    groupId: context.product,
    deduplicationId: `${batch.invocationId}:product.completed`,
  };
}
