/**
 * The outbox: a failure alert or completion event whose publish failed
 * (endpoint down, timeout, throttled after the SDK's retries) is kept as a
 * file under target/dbt-product-kit/outbox, one per invocation and kind,
 * written atomically, and `dbt-run audit flush` sends it later.
 *
 * At most once: a flush claims a file by renaming it to a name holding its
 * process id before it publishes (a rename succeeds for one process only),
 * and after SNS took it moves the record to outbox/sent. Two flushes at the
 * same time never send one message twice. A flush that died between
 * publishing and moving the record leaves its claim behind; nobody can tell
 * whether SNS had it, so the next flush names the file instead of guessing.
 */
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomically } from '../atomic-file.js';
import { KitError } from '../errors.js';
import { isProcessAlive } from '../process-alive.js';
import type { PlannedMessage } from './message.js';
import type { SnsMessage } from './publish.js';

export const OUTBOX_DIR = 'dbt-product-kit/outbox';
const SENT = 'sent';
const PENDING = /\.json$/;
const CLAIMED = /^(.+\.json)\.claimed-(\d+)$/;

const FAILURE = z.object({ at: z.string(), error: z.string() });

/** One message waiting in the outbox (the file's JSON, defined once). */
export const OUTBOX_ENTRY = z.object({
  version: z.literal(1),
  kind: z.enum(['run.failed', 'product.completed']),
  invocationId: z.string().min(1),
  /** "failure alert topic", "completion event topic": how lines name the topic. */
  what: z.string(),
  topicArn: z.string(),
  subject: z.string(),
  message: z.string(),
  attributes: z.record(z.string(), z.string()),
  /** FIFO topics only: the product as group, `<invocation_id>:<kind>` as deduplication id. */
  fifo: z.object({ groupId: z.string(), deduplicationId: z.string() }).nullable(),
  firstFailure: FAILURE,
  lastFailure: FAILURE,
  /** Publishes tried so far: the run's, then one per flush. */
  attempts: z.number().int().positive(),
});
export type OutboxEntry = z.infer<typeof OUTBOX_ENTRY>;

export class OutboxError extends KitError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 2 });
  }
}

export function outboxDir(targetDir: string): string {
  return path.join(targetDir, ...OUTBOX_DIR.split('/'));
}

/** `<invocation_id>.<kind>.json` (pure); an id is a UUID, but a path separator must never escape the folder. */
export function outboxFileName(entry: Pick<OutboxEntry, 'invocationId' | 'kind'>): string {
  return `${entry.invocationId.replace(/[^A-Za-z0-9_.-]/g, '_')}.${entry.kind}.json`;
}

/** The entry for a message whose first publish failed (pure). */
export function outboxEntry(
  planned: PlannedMessage,
  where: { invocationId: string; topicArn: string; what: string },
  failure: { at: Date; error: string },
): OutboxEntry {
  const failed = { at: failure.at.toISOString(), error: failure.error };
  return {
    version: 1,
    kind: planned.eventType,
    invocationId: where.invocationId,
    what: where.what,
    topicArn: where.topicArn,
    subject: planned.subject,
    message: planned.message,
    attributes: planned.attributes,
    fifo: where.topicArn.endsWith('.fifo')
      ? { groupId: planned.groupId, deduplicationId: `${where.invocationId}:${planned.eventType}` }
      : null,
    firstFailure: failed,
    lastFailure: failed,
    attempts: 1,
  };
}

/** What to publish for an entry (pure): the deduplication id stays the same however often it is resent. */
export function snsMessageOf(entry: OutboxEntry): SnsMessage {
  return {
    subject: entry.subject,
    message: entry.message,
    attributes: entry.attributes,
    groupId: entry.fifo?.groupId ?? '',
    deduplicationId: entry.fifo?.deduplicationId ?? `${entry.invocationId}:${entry.kind}`,
  };
}

/** Keeps a message for resending; returns the file. */
export async function keepInOutbox(targetDir: string, entry: OutboxEntry): Promise<string> {
  return writeFileAtomically(path.join(outboxDir(targetDir), outboxFileName(entry)), `${JSON.stringify(entry)}\n`);
}

export function parseOutboxEntry(text: string): OutboxEntry {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new OutboxError(`not JSON (${(cause as Error).message})`, { cause });
  }
  const parsed = OUTBOX_ENTRY.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OutboxError(`not an outbox entry (${issue?.path.join('.') || 'the file'}: ${issue?.message})`);
  }
  return parsed.data;
}

/** The files waiting, in name order. */
export async function pendingFiles(targetDir: string): Promise<string[]> {
  const folder = outboxDir(targetDir);
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && PENDING.test(entry.name))
    .map((entry) => path.join(folder, entry.name))
    .sort();
}

export interface Claim {
  /** The waiting file's name (where it goes back on failure). */
  file: string;
  /** The claimed name, with this process's id. */
  claimed: string;
}

/** Claims a waiting file for this process; undefined when another process claimed (or sent) it first. */
export async function claim(file: string, pid: number = process.pid): Promise<Claim | undefined> {
  const claimed = `${file}.claimed-${pid}`;
  try {
    await rename(file, claimed);
    return { file, claimed };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function sentPath(file: string): string {
  return path.join(path.dirname(file), SENT, path.basename(file));
}

/** SNS took it: the record (with the message id) goes to outbox/sent, then the claim goes. */
export async function settleSent(owned: Claim, entry: OutboxEntry, sent: { at: Date; messageId: string }) {
  const record = { ...entry, sentAt: sent.at.toISOString(), messageId: sent.messageId };
  await writeFileAtomically(sentPath(owned.file), `${JSON.stringify(record)}\n`);
  await rm(owned.claimed, { force: true });
}

/** It failed again: back in the outbox with one more attempt, for the next flush. */
export async function release(owned: Claim, entry: OutboxEntry, failure: { at: Date; error: string }) {
  const next: OutboxEntry = {
    ...entry,
    attempts: entry.attempts + 1,
    lastFailure: { at: failure.at.toISOString(), error: failure.error },
  };
  await writeFileAtomically(owned.file, `${JSON.stringify(next)}\n`);
  await rm(owned.claimed, { force: true });
}

/** A file some process claimed and did not finish. */
export interface LeftClaim {
  claimed: string;
  /** The waiting file's name, to rename it back to. */
  file: string;
  pid: number;
  /** The claiming process still runs (a flush in progress). */
  running: boolean;
  /**
   * Nothing to decide: outbox/sent has its record (SNS took it), or the
   * waiting file is back (the publish failed and was released); only the
   * claim was left.
   */
  settled: boolean;
}

/** Claims nobody finished, each with whether its process runs and whether it was settled. */
export async function leftClaims(targetDir: string, running: (pid: number) => boolean = isProcessAlive) {
  const folder = outboxDir(targetDir);
  const names = await readdir(folder).catch(() => [] as string[]);
  const found: LeftClaim[] = [];
  for (const name of names.sort()) {
    const match = CLAIMED.exec(name);
    if (!match) continue;
    const file = path.join(folder, match[1] as string);
    const pid = Number(match[2]);
    const exists = (where: string) =>
      stat(where).then(
        () => true,
        () => false,
      );
    const settled = (await exists(sentPath(file))) || (await exists(file));
    found.push({ claimed: path.join(folder, name), file, pid, running: running(pid), settled });
  }
  return found;
}

/** A file that is not an entry goes back under its name, for a person to look at. */
export async function unclaim(owned: Claim): Promise<void> {
  await rename(owned.claimed, owned.file);
}

/** A settled claim's leftover. */
export async function dropClaim(left: Pick<LeftClaim, 'claimed'>): Promise<void> {
  await rm(left.claimed, { force: true });
}

export async function readClaimed(owned: Claim): Promise<OutboxEntry> {
  return parseOutboxEntry(await readFile(owned.claimed, 'utf8'));
}
