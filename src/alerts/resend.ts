/**
 * Sending what the outbox kept (the alerts part of `dbt-run audit flush`;
 * there is no separate resend command). Each waiting file is claimed before
 * it is published, so a message goes out at most once however many flushes
 * run; a publish that fails again puts it back for the next flush.
 */
import path from 'node:path';
import { readProjectFile } from '../dbt/profiles.js';
import { formatError, UsageError } from '../errors.js';
import {
  claim,
  dropClaim,
  leftClaims,
  type OutboxEntry,
  pendingFiles,
  readClaimed,
  release,
  settleSent,
  snsMessageOf,
  unclaim,
} from './outbox.js';
import type { Publisher } from './publish.js';

export interface Resent {
  /** The waiting file (absolute). */
  file: string;
  entry: OutboxEntry | undefined;
  messageId: string | null;
  /** Why it is still in the outbox. */
  error: string | null;
}

export interface OutboxFlush {
  resent: Resent[];
  /** Files a running flush holds (another process sends them). */
  busy: string[];
}

/** Sends every waiting message; never throws for one message (each result says). */
export async function flushOutbox(
  targetDir: string,
  publisher: () => Promise<Publisher>,
  options: { now?: () => Date; pid?: number } = {},
): Promise<OutboxFlush> {
  const now = options.now ?? (() => new Date());
  const outcome: OutboxFlush = { resent: [], busy: [] };
  for (const left of await leftClaims(targetDir)) {
    if (left.running) outcome.busy.push(left.file);
    else if (left.settled) await dropClaim(left);
    else
      outcome.resent.push({
        file: left.file,
        entry: undefined,
        messageId: null,
        error: `process ${left.pid} claimed it and stopped before saying whether SNS took it: to send it (maybe again), rename ${path.basename(left.claimed)} to ${path.basename(left.file)}`,
      });
  }
  for (const file of await pendingFiles(targetDir)) {
    const owned = await claim(file, options.pid);
    if (!owned) continue; // another flush took it between the listing and the claim
    let entry: OutboxEntry;
    try {
      entry = await readClaimed(owned);
    } catch (error) {
      await unclaim(owned);
      outcome.resent.push({
        file,
        entry: undefined,
        messageId: null,
        error: `${(error as Error).message}: move it away`,
      });
      continue;
    }
    try {
      const messageId = await (await publisher()).publish(entry.topicArn, snsMessageOf(entry), entry.what);
      await settleSent(owned, entry, { at: now(), messageId });
      outcome.resent.push({ file, entry, messageId, error: null });
    } catch (error) {
      const line = (error as Error).message;
      await release(owned, entry, { at: now(), error: line });
      outcome.resent.push({ file, entry, messageId: null, error: line });
    }
  }
  return outcome;
}

interface Output {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/**
 * The alerts part of `dbt-run audit flush`: its own lines (none when the
 * outbox is empty) and exit code (2 when a message is still waiting).
 */
export async function runOutboxFlush(projectDir: string, env: NodeJS.ProcessEnv, io: Output): Promise<number> {
  const project = await readProjectFile(projectDir, env);
  const targetDir = path.resolve(projectDir, project.targetPath);
  let made: Publisher | undefined;
  // The SDK is loaded only when something waits.
  const publisher = async () => {
    made ??= (await import('./publish.js')).snsPublisher(env);
    return made;
  };
  const { resent, busy } = await flushOutbox(targetDir, publisher);
  const shown = (file: string) => path.relative(projectDir, file);
  for (const file of busy) io.stdout.write(`alerts flush: ${shown(file)} is being sent by another flush\n`);
  for (const result of resent) {
    if (result.error) {
      const attempts = result.entry ? ` (${result.entry.attempts + 1} attempts)` : '';
      io.stderr.write(`${formatError(new UsageError(`${shown(result.file)}: ${result.error}${attempts}`))}\n`);
    } else if (result.entry) {
      io.stdout.write(
        `alerts flush: ${result.entry.kind} of ${result.entry.invocationId} sent to ${result.entry.topicArn} (message ${result.messageId})\n`,
      );
    }
  }
  if (resent.length === 0) return 0;
  const failed = resent.filter((result) => result.error).length;
  io.stdout.write(`alerts flush: ${resent.length - failed} sent, ${failed} still in the outbox\n`);
  return failed ? 2 : 0;
}
