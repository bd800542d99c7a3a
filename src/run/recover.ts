/**
 * Recording runs whose runner died (see pending.ts). From what exists, in
 * order: run_results.json when it belongs to the run, else the JSON events
 * kept beside the record, else the invocation row alone. The run's status
 * is `interrupted` (dbt-run never saw it end) and its error_message says who
 * recovered it, from what. The upload is spooled where the run was going;
 * flush sends it. Exactly once: a record is claimed by rename before it is
 * read, and a run already recorded or spooled is not recorded again.
 */
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { RunOrigin } from '../audit/origin.js';
import { auditJsonlPath, claimPath, spoolBatch, spoolPath } from '../audit/sinks/index.js';
import type { AuditBatch } from '../audit/sinks/types.js';
import { auditTablesFor } from '../audit/tables.js';
import { FRESHNESS_COMMAND } from '../dbt/command.js';
import { type DbtEvent, parseEventLine, reportedVersion } from '../dbt/events.js';
import { isProcessAlive } from '../process-alive.js';
import type { ProductManifest } from '../product/manifest.js';
import { auditBatch, readRunArtifacts } from './collect.js';
import type { Execution } from './execute.js';
import {
  claimPending,
  eventsPath,
  PENDING_DIR,
  type PendingRun,
  pendingPath,
  pendingRuns,
  runnerAlive,
} from './pending.js';
import { PendingRunSchema } from './pending-schema.js';
import { applyEvent, emptyProgress, type Progress } from './progress.js';

/** Where a run came from when it died before git answered. */
const UNKNOWN_ORIGIN: RunOrigin = {
  run_source: 'unknown',
  run_id: null,
  run_url: null,
  repository: null,
  git_sha: null,
  git_dirty: null,
  git_ref: null,
  actor: null,
};

export interface RecoveredRun {
  runId: string;
  invocationId: string;
  nodes: number;
  /** What the results came from. */
  source: 'run_results.json' | "dbt's events" | 'the pending record';
  /** Messages nobody published (the failure alert), kept in the outbox for flush. */
  messages: number;
}

export interface RecoveryContext {
  projectDir: string;
  targetDir: string;
  projectName: string;
  declared?: ProductManifest['audit'];
  /** Who recovers, for the invocation's error_message ("dbt-run audit flush"). */
  recoveredBy: string;
  now?: () => Date;
}

/** The events kept for a run, folded into progress (pure, given the text). */
export function progressOfEvents(text: string): { progress: Progress; dbtVersion: string | null; lastAt: Date | null } {
  const progress = emptyProgress();
  let dbtVersion: string | null = null;
  let lastAt: Date | null = null;
  for (const line of text.split('\n')) {
    const event: DbtEvent | undefined = line.trim() ? parseEventLine(line) : undefined;
    if (!event) continue; // the last line may be cut short by the kill
    dbtVersion = reportedVersion(event) ?? dbtVersion;
    applyEvent(progress, event);
    const at = event.ts ? new Date(event.ts) : null;
    if (at && !Number.isNaN(at.getTime())) lastAt = at;
  }
  return { progress, dbtVersion, lastAt };
}

/** Whether an upload of this invocation already exists (recorded, waiting or being sent). */
async function alreadyUploaded(targetDir: string, invocationId: string): Promise<boolean> {
  const exists = (file: string) =>
    stat(file).then(
      () => true,
      () => false,
    );
  if ((await exists(auditJsonlPath(targetDir, invocationId))) || (await exists(spoolPath(targetDir, invocationId))))
    return true;
  const sending = await readdir(path.dirname(claimPath(targetDir, invocationId))).catch(() => [] as string[]);
  return sending.some((name) => name.startsWith(`${invocationId}.`));
}

/** The upload of one abandoned run (pure apart from reading its artifacts). */
async function batchOf(
  run: PendingRun,
  context: RecoveryContext,
): Promise<{ batch: AuditBatch; source: RecoveredRun['source'] }> {
  const now = context.now ?? (() => new Date());
  const eventsText = await readFile(eventsPath(context.targetDir, run.runId), 'utf8').catch(() => '');
  const { progress, dbtVersion, lastAt } = progressOfEvents(eventsText);
  progress.invocationId ??= run.invocationId ?? null;
  const startedAt = new Date(run.startedAt);
  const artifacts = await readRunArtifacts(context.targetDir, progress, startedAt, undefined, {
    killed: true,
    freshness: run.command === FRESHNESS_COMMAND,
  });
  // Results rebuilt from the events carry no generated_at; dbt's own run_results.json does.
  const generatedAt = artifacts.runResults?.metadata.generated_at;
  const source: RecoveredRun['source'] = !artifacts.runResults
    ? 'the pending record'
    : generatedAt
      ? 'run_results.json'
      : "dbt's events";
  const completedAt = new Date(generatedAt ?? lastAt ?? startedAt);
  const execution: Execution = {
    progress,
    startedAt,
    completedAt: Number.isNaN(completedAt.getTime()) ? startedAt : completedAt,
    dbtVersion,
    status: 'interrupted',
    exitCode: 2,
    errorMessage: `dbt-run (pid ${run.runner.pid}) ended before it recorded this run; recorded by ${context.recoveredBy} at ${now().toISOString()} from ${source}`,
    interrupted: true,
    killed: true,
    manifestRead: undefined,
  };
  const batch = auditBatch(execution, artifacts, {
    productName: run.productName,
    targetName: run.targetName,
    command: run.command,
    selection: run.selection,
    origin: run.origin ?? UNKNOWN_ORIGIN,
    recordedAt: now(),
  });
  const tables = auditTablesFor({
    projectName: context.projectName,
    targetSchema: run.targetSchema,
    nodes: artifacts.manifest?.nodes,
    declared: context.declared,
  });
  return { batch: { ...batch, ...(run.destination ? { destination: { ...run.destination, tables } } : {}) }, source };
}

/** The alert (and event) the dead runner never published, into the outbox: flush sends them once. */
async function keepMessages(run: PendingRun, batch: AuditBatch, context: RecoveryContext): Promise<number> {
  if (!run.topics || !batch.destination) return 0;
  const { keepUnpublished, plannedNotifications } = await import('../alerts/notify.js');
  const plans = plannedNotifications(batch, {
    product: run.productName,
    topics: run.topics,
    auditTable: batch.destination.tables.log,
  });
  const why = `not sent: dbt-run (pid ${run.runner.pid}) was killed before it published`;
  return (await keepUnpublished(batch, plans, { targetDir: context.targetDir, projectDir: context.projectDir }, why))
    .length;
}

/**
 * Recovers every abandoned run of a target folder into the spool. A run
 * whose runner or dbt still runs is left alone (it records itself, or dbt,
 * orphaned, is still finishing: the next flush recovers it).
 */
export async function recoverAbandonedRuns(context: RecoveryContext): Promise<RecoveredRun[]> {
  const { targetDir } = context;
  await releaseAbandonedRecoveries(targetDir);
  const self = { host: hostname(), alive: isProcessAlive };
  const recovered: RecoveredRun[] = [];
  for (const run of await pendingRuns(targetDir)) {
    if (runnerAlive(run, self)) continue;
    if (run.runner.host === self.host && run.dbtPid !== undefined && isProcessAlive(run.dbtPid)) continue;
    const claimed = await claimPending(targetDir, run.runId);
    if (!claimed) continue;
    const { batch, source } = await batchOf(run, context);
    if (!(await alreadyUploaded(targetDir, batch.invocationId))) {
      await spoolBatch(targetDir, batch);
      const messages = await keepMessages(run, batch, context);
      recovered.push({
        runId: run.runId,
        invocationId: batch.invocationId,
        nodes: batch.nodes.length,
        source,
        messages,
      });
    }
    await rm(eventsPath(targetDir, run.runId), { force: true });
    await rm(claimed, { force: true });
  }
  return recovered;
}

/** A recoverer that died mid-way leaves `<run>.<pid>.recovering`: it is a pending record again. */
async function releaseAbandonedRecoveries(targetDir: string): Promise<void> {
  const folder = path.join(targetDir, ...PENDING_DIR.split('/'));
  for (const name of await readdir(folder).catch(() => [] as string[])) {
    const match = /^([^.]+)\.(\d+)\.recovering$/.exec(name);
    if (!match || isProcessAlive(Number(match[2]))) continue;
    const text = await readFile(path.join(folder, name), 'utf8').catch(() => '');
    if (!PendingRunSchema.safeParse(JSON.parse(text || 'null')).success) continue;
    await rename(path.join(folder, name), pendingPath(targetDir, match[1] as string)).catch(() => {});
  }
}
