/**
 * dbt's structured log (`--log-format json`): one JSON object per line. We
 * read the fields that are meant for machines (name, code, level, data,
 * node_info) and never parse `msg`, which is for people.
 */
import { stripVTControlCharacters } from 'node:util';

export interface DbtNodeInfo {
  uniqueId: string;
  name: string;
  resourceType: string;
  /** started, then success/error/skipped/pass/fail/warn/... */
  status: string;
  path: string | null;
  materialized: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface DbtEvent {
  name: string;
  code: string;
  level: string;
  msg: string;
  ts: string;
  invocationId: string | null;
  /** dbt's thread that logged it ("Thread-2 (worker)"; MainThread for the run's own events). */
  thread: string | null;
  data: Record<string, unknown>;
  node: DbtNodeInfo | undefined;
}

/** Events that report a node's final result (info level). */
export const NODE_RESULT_EVENTS = new Set([
  'LogModelResult',
  'LogTestResult',
  'LogSeedResult',
  'LogSnapshotResult',
  'LogFreshnessResult',
  'SkippingDetails',
  'LogNodeNoOpResult',
]);

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Parses one line of dbt's JSON log; undefined for anything that is not a dbt event. */
export function parseEventLine(line: string): DbtEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  let raw: { info?: Record<string, unknown>; data?: Record<string, unknown> };
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  const info = raw.info;
  if (!info || typeof info.name !== 'string') return undefined;
  const data = raw.data ?? {};
  const nodeInfo = data.node_info as Record<string, unknown> | undefined;
  return {
    name: info.name,
    code: String(info.code ?? ''),
    level: String(info.level ?? ''),
    // dbt colours some messages even in JSON logs ("\u001b[31mFailure in model…").
    msg: stripVTControlCharacters(String(info.msg ?? '')),
    ts: String(info.ts ?? ''),
    invocationId: text(info.invocation_id),
    thread: text(info.thread),
    data,
    node:
      nodeInfo && typeof nodeInfo.unique_id === 'string'
        ? {
            uniqueId: nodeInfo.unique_id,
            name: String(nodeInfo.node_name ?? ''),
            resourceType: String(nodeInfo.resource_type ?? ''),
            status: String(nodeInfo.node_status ?? ''),
            path: text(nodeInfo.node_path),
            materialized: text(nodeInfo.materialized),
            startedAt: text(nodeInfo.node_started_at),
            finishedAt: text(nodeInfo.node_finished_at),
          }
        : undefined,
  };
}

/** The result status an event reports for its node, if it is a node result. */
export function nodeResultStatus(event: DbtEvent): string | undefined {
  if (!event.node || !NODE_RESULT_EVENTS.has(event.name)) return undefined;
  // node_status holds the result (success, error, pass...); data.status is the adapter's message for models.
  const status = event.node.status && event.node.status !== 'started' ? event.node.status : event.data.status;
  return typeof status === 'string' && status !== 'started' ? status : undefined;
}

/** The dbt version MainReportVersion reports ("=1.11.16" → "1.11.16"). */
export function reportedVersion(event: DbtEvent): string | undefined {
  if (event.name !== 'MainReportVersion' || typeof event.data.version !== 'string') return undefined;
  return event.data.version.replace(/^=/, '');
}
