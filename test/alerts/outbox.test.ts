/**
 * The outbox on disk, with a publisher standing in for SNS: a failed publish
 * is kept (atomically, with what a resend needs), a flush sends it once and
 * moves the record to outbox/sent, a failure puts it back with one more
 * attempt, concurrent flushes send each message once, and claims a dead flush
 * left are settled or named, never guessed at.
 */
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlannedMessage } from '../../src/alerts/message.js';
import { notifyRun, type Topics } from '../../src/alerts/notify.js';
import {
  keepInOutbox,
  outboxDir,
  outboxEntry,
  outboxFileName,
  parseOutboxEntry,
  sentPath,
  snsMessageOf,
} from '../../src/alerts/outbox.js';
import { PublishError, type Publisher, publishInput, type SnsMessage } from '../../src/alerts/publish.js';
import { flushOutbox } from '../../src/alerts/resend.js';
import type { AuditRow, InvocationRow } from '../../src/audit/columns.js';

const FIFO = 'arn:aws:sns:eu-west-1:123456789012:orders-events.fifo';
const STANDARD = 'arn:aws:sns:eu-west-1:123456789012:orders-alerts';

const planned: PlannedMessage = {
  eventType: 'run.failed',
  subject: '[orders][prod] dbt build failed: 1 error',
  message: JSON.stringify({ default: 'text', sqs: '{"event_type":"run.failed"}' }),
  attributes: { product: 'orders', environment: 'prod', event_type: 'run.failed', severity: 'error' },
  document: {} as PlannedMessage['document'], // not kept: the message holds it
  groupId: 'orders',
  deduplicationId: 'inv-1:run.failed',
};
const failure = { at: new Date('2026-12-01T05:00:00Z'), error: 'SNS did not answer in time' };

/** A publisher that records what it sent, answering after `delayMs`, failing while `down`. */
function recordingPublisher(options: { delayMs?: number; down?: boolean } = {}) {
  const sent: { topicArn: string; message: SnsMessage }[] = [];
  const publisher: Publisher & { sent: typeof sent; down: boolean } = {
    sent,
    down: options.down ?? false,
    async publish(topicArn, message, what) {
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 0));
      if (publisher.down)
        throw new PublishError(`publishing to ${what} ${topicArn} failed: connect ECONNREFUSED`, { resendable: true });
      sent.push({ topicArn, message });
      return `message-${sent.length}`;
    },
  };
  return publisher;
}

let targetDir: string;
beforeEach(async () => {
  targetDir = await mkdtemp(path.join(os.tmpdir(), 'outbox-test-'));
});
afterEach(async () => {
  await rm(targetDir, { recursive: true, force: true });
});

const listed = async (folder = outboxDir(targetDir)) => (await readdir(folder).catch(() => [] as string[])).sort();

describe('an outbox entry', () => {
  it('keeps what a resend needs; a FIFO topic gets the group and a deduplication id from invocation and kind', () => {
    const fifo = outboxEntry(planned, { invocationId: 'inv-1', topicArn: FIFO, what: 'failure alert topic' }, failure);
    expect(fifo).toEqual({
      version: 1,
      kind: 'run.failed',
      invocationId: 'inv-1',
      what: 'failure alert topic',
      topicArn: FIFO,
      subject: planned.subject,
      message: planned.message,
      attributes: planned.attributes,
      fifo: { groupId: 'orders', deduplicationId: 'inv-1:run.failed' },
      firstFailure: { at: '2026-12-01T05:00:00.000Z', error: 'SNS did not answer in time' },
      lastFailure: { at: '2026-12-01T05:00:00.000Z', error: 'SNS did not answer in time' },
      attempts: 1,
    });
    expect(publishInput(FIFO, snsMessageOf(fifo))).toMatchObject({
      TopicArn: FIFO,
      MessageGroupId: 'orders',
      MessageDeduplicationId: 'inv-1:run.failed',
    });
    const standard = outboxEntry(planned, { invocationId: 'inv-1', topicArn: STANDARD, what: 'x' }, failure);
    expect(standard.fifo).toBeNull();
    expect(publishInput(STANDARD, snsMessageOf(standard))).not.toHaveProperty('MessageDeduplicationId');
    expect(outboxFileName(standard)).toBe('inv-1.run.failed.json');
    expect(outboxFileName({ invocationId: '../../etc', kind: 'product.completed' })).toBe(
      '.._.._etc.product.completed.json',
    );
  });

  it('a file that is not one is refused in one line', () => {
    expect(() => parseOutboxEntry('{')).toThrow(/^not JSON/);
    expect(() => parseOutboxEntry('{"version":1}')).toThrow(/^not an outbox entry \(kind: /);
  });
});

describe('a run whose publish fails', () => {
  const batch = {
    invocationId: 'inv-7',
    invocation: { invocation_id: 'inv-7', status: 'error', command: 'build' } as unknown as InvocationRow,
    nodes: [] as AuditRow[],
  };
  const topics: Topics = { environment: 'prod', alerts: { arn: STANDARD, includeWarnings: false }, skipped: [] };
  const context = { product: 'orders', topics, auditTable: { schema: 'a', table: 'b' } };

  it('keeps the alert in the outbox, and its line says so', async () => {
    const projectDir = path.dirname(targetDir);
    const notified = await notifyRun(
      batch,
      { ...context, outbox: { targetDir, projectDir } },
      recordingPublisher({ down: true }),
    );
    const file = path.join(outboxDir(targetDir), 'inv-7.run.failed.json');
    expect(notified.failed).toEqual([
      `publishing to failure alert topic ${STANDARD} failed: connect ECONNREFUSED; kept for resending in ${path.relative(projectDir, file)}: dbt-run audit flush sends it`,
    ]);
    const entry = parseOutboxEntry(await readFile(file, 'utf8'));
    expect(entry).toMatchObject({ kind: 'run.failed', invocationId: 'inv-7', topicArn: STANDARD, attempts: 1 });
    expect(entry.firstFailure.error).toContain('ECONNREFUSED');
    expect(await listed()).toEqual(['inv-7.run.failed.json']); // no temporary file left
  });

  it('does not keep what resending cannot fix (a topic that does not exist)', async () => {
    const publisher: Publisher = {
      publish: async () => {
        throw new PublishError('failure alert topic arn does not exist', { resendable: false });
      },
    };
    const notified = await notifyRun(batch, { ...context, outbox: { targetDir, projectDir: targetDir } }, publisher);
    expect(notified.failed).toEqual(['failure alert topic arn does not exist']);
    expect(await listed()).toEqual([]);
  });
});

describe('flushing the outbox', () => {
  const keep = (invocationId: string, topicArn = STANDARD) =>
    keepInOutbox(targetDir, outboxEntry(planned, { invocationId, topicArn, what: 'failure alert topic' }, failure));

  it('sends each message once, records it in outbox/sent; a second flush sends nothing', async () => {
    await keep('inv-1');
    await keep('inv-2', FIFO);
    const publisher = recordingPublisher();
    const first = await flushOutbox(targetDir, async () => publisher);
    expect(first.resent.map((result) => [result.entry?.invocationId, result.messageId, result.error])).toEqual([
      ['inv-1', 'message-1', null],
      ['inv-2', 'message-2', null],
    ]);
    expect(publisher.sent.map((sent) => sent.topicArn)).toEqual([STANDARD, FIFO]);
    expect(publisher.sent[1]?.message.deduplicationId).toBe('inv-2:run.failed');
    expect(await listed()).toEqual(['sent']);
    const record = JSON.parse(
      await readFile(sentPath(path.join(outboxDir(targetDir), 'inv-1.run.failed.json')), 'utf8'),
    );
    expect(record).toMatchObject({ invocationId: 'inv-1', messageId: 'message-1', sentAt: expect.any(String) });

    const second = await flushOutbox(targetDir, async () => publisher);
    expect(second).toEqual({ resent: [], busy: [] });
    expect(publisher.sent).toHaveLength(2);
  });

  it('a publish that fails again goes back with one more attempt, and is sent by a later flush', async () => {
    await keep('inv-3');
    const publisher = recordingPublisher({ down: true });
    const failed = await flushOutbox(targetDir, async () => publisher, { now: () => new Date('2026-12-02T00:00:00Z') });
    expect(failed.resent[0]?.error).toContain('ECONNREFUSED');
    expect(await listed()).toEqual(['inv-3.run.failed.json']);
    const entry = parseOutboxEntry(await readFile(path.join(outboxDir(targetDir), 'inv-3.run.failed.json'), 'utf8'));
    expect(entry.attempts).toBe(2);
    expect(entry.firstFailure.at).toBe('2026-12-01T05:00:00.000Z');
    expect(entry.lastFailure.at).toBe('2026-12-02T00:00:00.000Z');

    publisher.down = false;
    const later = await flushOutbox(targetDir, async () => publisher);
    expect(later.resent.map((result) => result.error)).toEqual([null]);
    expect(publisher.sent).toHaveLength(1);
  });

  it('two flushes at the same time send each message exactly once', async () => {
    for (let index = 0; index < 5; index++) await keep(`inv-c${index}`);
    const publisher = recordingPublisher({ delayMs: 20 });
    const [a, b] = await Promise.all([
      flushOutbox(targetDir, async () => publisher, { pid: 1_000_001 }),
      flushOutbox(targetDir, async () => publisher, { pid: 1_000_002 }),
    ]);
    expect(publisher.sent).toHaveLength(5);
    expect(new Set(publisher.sent.map((sent) => sent.message.deduplicationId)).size).toBe(5);
    expect([...a.resent, ...b.resent].filter((result) => result.messageId)).toHaveLength(5);
    expect(await listed()).toEqual(['sent']);
  });

  it('a claim a dead flush left: dropped when settled, named (never resent) when nobody knows', async () => {
    const exited = execa(process.execPath, ['-e', '']);
    await exited;
    const dead = exited.pid as number;
    const folder = outboxDir(targetDir);
    await keep('inv-sent');
    await keep('inv-unknown');
    // inv-sent: its record is in outbox/sent, only the claim was left.
    await mkdir(path.join(folder, 'sent'));
    await writeFile(sentPath(path.join(folder, 'inv-sent.run.failed.json')), '{}\n');
    for (const name of ['inv-sent.run.failed.json', 'inv-unknown.run.failed.json']) {
      await rename(path.join(folder, name), path.join(folder, `${name}.claimed-${dead}`));
    }
    // And one a running process (this one) holds.
    await keep('inv-busy');
    await rename(
      path.join(folder, 'inv-busy.run.failed.json'),
      path.join(folder, `inv-busy.run.failed.json.claimed-${process.pid}`),
    );
    const publisher = recordingPublisher();
    const flushed = await flushOutbox(targetDir, async () => publisher);
    expect(publisher.sent).toEqual([]);
    expect(flushed.busy).toEqual([path.join(folder, 'inv-busy.run.failed.json')]);
    expect(flushed.resent).toEqual([
      {
        file: path.join(folder, 'inv-unknown.run.failed.json'),
        entry: undefined,
        messageId: null,
        error: `process ${dead} claimed it and stopped before saying whether SNS took it: to send it (maybe again), rename inv-unknown.run.failed.json.claimed-${dead} to inv-unknown.run.failed.json`,
      },
    ]);
    expect(await listed()).toEqual([
      `inv-busy.run.failed.json.claimed-${process.pid}`,
      `inv-unknown.run.failed.json.claimed-${dead}`,
      'sent',
    ]);
  });

  it('a file that is not an entry is named and left where it was', async () => {
    await mkdir(outboxDir(targetDir), { recursive: true });
    await writeFile(path.join(outboxDir(targetDir), 'junk.json'), 'not json');
    const flushed = await flushOutbox(targetDir, async () => recordingPublisher());
    expect(flushed.resent[0]?.error).toMatch(/^not JSON .*: move it away$/);
    expect(await listed()).toEqual(['junk.json']);
  });
});
