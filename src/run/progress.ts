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
    unmatched: [],
    nothingToDo: false,
  };
}

/** Applies one event; returns the node that finished with it, if one did. */
export function applyEvent(progress: Progress, event: DbtEvent): FinishedNode | undefined {
  progress.invocationId ??= event.invocationId;
  if (event.level === 'error' && event.msg) progress.errors.push(event.msg);
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
    thread: null,
  };
  progress.finished.push(finished);
  progress.counts[status] = (progress.counts[status] ?? 0) + 1;
  return finished;
}

/** "12/24 done, 1 failed; running: a, b" */
export function progressLine(progress: Progress, command: string): string {
  const done = progress.finished.length;
  const failed = progress.finished.filter((node) => isFailedStatus(node.status)).length;
  const running = [...progress.running.values()];
  return [
    `dbt ${command}: ${done}${progress.total === null ? '' : `/${progress.total}`} done`,
    failed ? `, ${failed} failed` : '',
    running.length
      ? `; running ${running.slice(0, 4).join(', ')}${running.length > 4 ? ` +${running.length - 4}` : ''}`
      : '',
  ].join('');
}
