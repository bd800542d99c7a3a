/** Live progress of a dbt run, folded from its events (pure). */
import { isFailedStatus } from '../audit/tables.js';
import { type DbtEvent, nodeResultStatus } from '../dbt/events.js';

export interface FinishedNode {
  uniqueId: string;
  name: string;
  resourceType: string;
  status: string;
  seconds: number | null;
  path: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  thread: string | null;
}

export interface Progress {
  invocationId: string | null;
  total: number | null;
  running: Map<string, string>;
  finished: FinishedNode[];
  counts: Record<string, number>;
  /** Error-level messages dbt logged (crashes before any node, run errors). */
  errors: string[];
  /** dbt's error message for a node, by unique_id (RunResultError): what a result rebuilt from events says. */
  nodeErrors: Map<string, string>;
  /** dbt's warnings that a selection criterion matched no enabled node. */
  unmatched: string[];
  /** dbt said it had nothing to do: the whole selection was empty. */
  nothingToDo: boolean;
}

export function emptyProgress(): Progress {
  return {
    invocationId: null,
    total: null,
    running: new Map(),
    finished: [],
    counts: {},
    errors: [],
    nodeErrors: new Map(),
    unmatched: [],
    nothingToDo: false,
  };
}

/** Applies one event; returns the node that finished with it, if one did. */
export function applyEvent(progress: Progress, event: DbtEvent): FinishedNode | undefined {
  progress.invocationId ??= event.invocationId;
  if (event.level === 'error' && event.msg) progress.errors.push(event.msg);
  if (event.level === 'error' && event.msg && event.node)
    progress.nodeErrors.set(event.node.uniqueId, event.msg.trim());
  if (event.name === 'NoNodesForSelectionCriteria' && event.msg) progress.unmatched.push(event.msg);
  if (event.name === 'NothingToDo') progress.nothingToDo = true;
  if (event.name === 'LogStartLine' && event.node) {
    if (typeof event.data.total === 'number') progress.total = event.data.total;
    progress.running.set(event.node.uniqueId, event.node.name);
    return undefined;
  }
  const status = nodeResultStatus(event);
  if (!status || !event.node) return undefined;
  if (typeof event.data.total === 'number') progress.total ??= event.data.total;
  progress.running.delete(event.node.uniqueId);
  const executionTime = event.data.execution_time;
  const finished: FinishedNode = {
    uniqueId: event.node.uniqueId,
    name: event.node.name,
    resourceType: event.node.resourceType,
    status,
    seconds: typeof executionTime === 'number' ? executionTime : null,
    path: event.node.path,
    startedAt: event.node.startedAt,
    finishedAt: event.node.finishedAt,
    thread: event.thread,
  };
  progress.finished.push(finished);
  progress.counts[status] = (progress.counts[status] ?? 0) + 1;
  return finished;
}

/** The finished nodes by what they mean to a reader: ok (success, pass, no-op), warned, failed, skipped. */
export function nodeTally(nodes: readonly { status: string }[]): string[] {
  const tally = { ok: 0, warned: 0, failed: 0, skipped: 0 };
  for (const { status } of nodes) {
    if (isFailedStatus(status)) tally.failed++;
    else if (status === 'skipped') tally.skipped++;
    else if (status === 'warn') tally.warned++;
    else tally.ok++;
  }
  return Object.entries(tally)
    .filter(([, count]) => count > 0)
    .map(([what, count]) => `${count} ${what}`);
}

/**
 * "12 of 24 nodes finished (10 ok, 1 failed, 1 skipped); running a, b": a
 * skipped node is finished but not done, so the tally says how each ended.
 */
export function progressLine(progress: Progress, command: string): string {
  const finished = progress.finished.length;
  const tally = nodeTally(progress.finished);
  const running = [...progress.running.values()];
  return [
    `dbt ${command}: ${finished}${progress.total === null ? '' : ` of ${progress.total}`} node${(progress.total ?? finished) === 1 ? '' : 's'} finished`,
    tally.length ? ` (${tally.join(', ')})` : '',
    running.length
      ? `; running ${running.slice(0, 4).join(', ')}${running.length > 4 ? ` +${running.length - 4}` : ''}`
      : '',
  ].join('');
}
