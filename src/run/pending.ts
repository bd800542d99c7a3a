/**
 * A run exists before dbt starts. dbt-run writes a pending record under
 * target/dbt-product-kit/pending/ before it launches dbt, and keeps dbt's
 * events beside it as they arrive. The record goes once the run's upload is
 * recorded or spooled. A record whose runner is gone (kill -9, an OOM kill,
 * a cancelled CI job) is an unrecorded run: recover.ts turns it into an
 * upload. A record whose runner is alive is a run in progress, and a second
 * run in the same target folder is refused (the two would overwrite each
 * other's artifacts).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { writeFileAtomically } from '../atomic-file.js';
import type { RunOrigin } from '../audit/origin.js';
import { UsageError } from '../errors.js';
import { isProcessAlive } from '../process-alive.js';
import type { PendingRun } from './pending-schema.js';

export type { PendingRun } from './pending-schema.js';

export const PENDING_DIR = 'dbt-product-kit/pending';

const folderOf = (targetDir: string) => path.join(targetDir, ...PENDING_DIR.split('/'));
export const pendingPath = (targetDir: string, runId: string) => path.join(folderOf(targetDir), `${runId}.json`);
export const eventsPath = (targetDir: string, runId: string) => path.join(folderOf(targetDir), `${runId}.events.jsonl`);

/**
 * Whether the record's runner may still be running (pure, given liveness).
 * A record from another machine (a target folder restored from a CI cache)
 * cannot be running here.
 */
export function runnerAlive(run: PendingRun, self: { host: string; alive: (pid: number) => boolean }): boolean {
  return run.runner.host === self.host && self.alive(run.runner.pid);
}

/** The earlier of two runs (pure): by start, then by run id, so two runs starting together agree. */
export const startsBefore = (a: PendingRun, b: PendingRun) =>
  a.startedAt < b.startedAt || (a.startedAt === b.startedAt && a.runId < b.runId);

/**
 * Every readable pending record of a target folder but `except`'s (one
 * being recovered, or half-written, is not listed). The schema is loaded
 * only when there is another record to read: a run's start, which usually
 * finds only its own, does not pay for the validation library.
 */
export async function pendingRuns(targetDir: string, except?: string): Promise<PendingRun[]> {
  const names = (await readdir(folderOf(targetDir)).catch(() => [] as string[])).filter(
    (name) => /^[^.]+\.json$/.test(name) && name !== `${except}.json`,
  );
  if (names.length === 0) return [];
  const { PendingRunSchema } = await import('./pending-schema.js');
  const runs: PendingRun[] = [];
  for (const name of names) {
    const text = await readFile(path.join(folderOf(targetDir), name), 'utf8').catch(() => undefined);
    const parsed = text === undefined ? undefined : PendingRunSchema.safeParse(JSON.parse(text));
    if (parsed?.success) runs.push(parsed.data);
  }
  return runs;
}

/** The record of this run while it lasts: updated as facts arrive, events appended, removed at the end. */
export class PendingRecord {
  private written: Promise<unknown>;
  /**
   * dbt's events, appended with a plain write for each read of dbt's output
   * (its lines together): a line is in the file (the page cache) as soon as
   * dbt-run has read it, for a recovery after a kill -9, and costs a system
   * call, not a stream's queue and callbacks (a tenth of the runner's CPU
   * while dbt ran, measured). Undefined when the file cannot be opened: the
   * events are a fallback, never a reason to stop.
   */
  private events: number | undefined;
  /** Lines read but not yet written: written by writeEvents, at the latest when the record finishes. */
  private unwritten: string[] = [];

  private constructor(
    readonly targetDir: string,
    private run: PendingRun,
    /** Other runs' records were there when this one started (some may need recovering). */
    readonly othersFound: boolean,
  ) {
    this.written = Promise.resolve();
    try {
      this.events = openSync(eventsPath(targetDir, run.runId), 'a');
    } catch {
      this.events = undefined;
    }
  }

  /**
   * Writes the record, then refuses to go on (removing it again) when an
   * earlier run whose runner is alive uses the same target folder.
   */
  static async start(targetDir: string, run: Omit<PendingRun, 'version' | 'runner'>): Promise<PendingRecord> {
    const self = { host: hostname(), alive: isProcessAlive };
    const record: PendingRun = { version: 1, runner: { pid: process.pid, host: self.host }, ...run };
    await mkdir(folderOf(targetDir), { recursive: true });
    await writeFileAtomically(pendingPath(targetDir, run.runId), JSON.stringify(record));
    const others = await pendingRuns(targetDir, run.runId);
    const earlier = others.find((other) => runnerAlive(other, self) && startsBefore(other, record));
    if (earlier) {
      await rm(pendingPath(targetDir, run.runId), { force: true });
      throw new UsageError(
        `another dbt-run (pid ${earlier.runner.pid}, ${earlier.command} started ${earlier.startedAt}) is running with ${targetDir}: runs sharing a target folder overwrite each other's artifacts; wait for it, or give this run its own (DBT_TARGET_PATH=target-2)`,
      );
    }
    return new PendingRecord(targetDir, record, others.length > 0);
  }

  get runId(): string {
    return this.run.runId;
  }

  /** Adds what became known (dbt's pid, its invocation id, where the run came from); writes are in order. */
  update(facts: { dbtPid?: number; invocationId?: string; origin?: RunOrigin; topics?: PendingRun['topics'] }): void {
    this.run = { ...this.run, ...facts } as PendingRun;
    const text = JSON.stringify(this.run);
    this.written = this.written.then(() =>
      writeFileAtomically(pendingPath(this.targetDir, this.run.runId), text).catch(() => {}),
    );
  }

  /** One of dbt's JSON log lines, kept for recovery (written by the next writeEvents). */
  appendEvent(line: string): void {
    if (this.events !== undefined) this.unwritten.push(line);
  }

  /** Writes the lines appended since the last call, in one system call. */
  writeEvents(): void {
    if (this.events === undefined || this.unwritten.length === 0) return;
    const text = `${this.unwritten.join('\n')}\n`;
    this.unwritten = [];
    try {
      writeSync(this.events, text);
    } catch {
      // A full disk: the run goes on without its fallback.
    }
  }

  /** The run's upload is recorded or spooled: the record and its events go. */
  async finish(): Promise<void> {
    this.writeEvents();
    if (this.events !== undefined) closeSync(this.events);
    this.events = undefined;
    await this.written;
    await rm(pendingPath(this.targetDir, this.run.runId), { force: true });
    await rm(eventsPath(this.targetDir, this.run.runId), { force: true });
  }
}

/** Claims a pending record for recovery (rename: of two recoverers one gets it); undefined if gone. */
export async function claimPending(targetDir: string, runId: string): Promise<string | undefined> {
  const claimed = path.join(folderOf(targetDir), `${runId}.${process.pid}.recovering`);
  return rename(pendingPath(targetDir, runId), claimed).then(
    () => claimed,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    },
  );
}
