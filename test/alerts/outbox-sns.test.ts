/**
 * The outbox end to end, with the real dbt on the test Postgres and
 * moto_server: SNS is down during the run (nothing listens where the run
 * looks for it), so the alert is kept and dbt's exit code stays; `dbt-run
 * audit flush` with moto up delivers it to the subscribed SQS queue exactly
 * once, a second flush sends nothing, and two flushes started together send
 * it once between them.
 */
import { cp, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOutboxEntry } from '../../src/alerts/outbox.js';
import { RUN_FAILED } from '../../src/messages/index.js';
import { messageErrors } from '../harness/message-schema.js';
import { freePort } from '../harness/postgres.js';
import { runDbtRun, scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { receive, sendPostgresTopics, snsEnv, topicWithQueue } from '../harness/sns-sqs.js';

const FAILURES = fileURLToPath(new URL('../fixtures/runner-failures', import.meta.url));
const awsEnv = snsEnv();
const products: TestProduct[] = [];

afterAll(async () => {
  await Promise.all(products.map((product) => product.cleanup()));
});

/** A failing product whose postgres target sends its alerts to `topicArn`. */
async function failingProduct(topicArn: string) {
  const made = await scaffoldTestProduct({ name: 'orders' });
  products.push(made);
  await cp(FAILURES, made.dir, { recursive: true });
  await sendPostgresTopics(made.dir, { alerts: topicArn });
  return made;
}

const outbox = (made: TestProduct) => path.join(made.dir, 'target', 'dbt-product-kit', 'outbox');
const waiting = async (made: TestProduct) =>
  (await readdir(outbox(made)).catch(() => [] as string[])).filter((name) => name.endsWith('.json'));

/** A build while SNS is down: returns the kept alert's invocation id. */
async function buildWithSnsDown(made: TestProduct): Promise<string> {
  const down = `http://127.0.0.1:${await freePort()}`;
  const run = await runDbtRun(made, ['build', '--target', 'postgres'], { ...awsEnv, AWS_ENDPOINT_URL_SNS: down });
  expect(run.exitCode, run.output).toBe(1); // dbt's: a node failed
  const [file, ...others] = await waiting(made);
  expect(others).toEqual([]);
  const invocationId = (file as string).replace(/\.run\.failed\.json$/, '');
  expect(run.stderr).toContain(
    `; kept for resending in target/dbt-product-kit/outbox/${invocationId}.run.failed.json: dbt-run audit flush sends it`,
  );
  expect(run.stdout).toMatch(/audit: \d+ rows written to postgres/); // the audit is not held up by SNS
  return invocationId;
}

describe('alerts kept while SNS is down, sent by dbt-run audit flush (moto)', () => {
  it('the run keeps the alert and dbt exit code; one flush delivers it once, the next sends nothing', async () => {
    const alerts = await topicWithQueue();
    const made = await failingProduct(alerts.topicArn);
    const invocationId = await buildWithSnsDown(made);
    const entry = parseOutboxEntry(await readFile(path.join(outbox(made), `${invocationId}.run.failed.json`), 'utf8'));
    expect(entry).toMatchObject({
      kind: 'run.failed',
      invocationId,
      topicArn: alerts.topicArn,
      subject: '[orders][ci] dbt build failed: 1 error, 1 test failure',
      attributes: { product: 'orders', environment: 'ci', event_type: 'run.failed', severity: 'error' },
      fifo: null,
      attempts: 1,
    });
    expect(entry.firstFailure.error).toMatch(new RegExp(`^publishing to failure alert topic ${alerts.topicArn}`));
    expect(await receive(alerts.queueUrl)).toEqual([]);

    const flush = await runDbtRun(made, ['audit', 'flush'], awsEnv);
    expect(flush.exitCode, flush.output).toBe(0);
    expect(flush.stdout).toContain('audit flush: nothing spooled\n');
    expect(flush.stdout).toMatch(
      new RegExp(`^alerts flush: run\\.failed of ${invocationId} sent to ${alerts.topicArn} \\(message \\S+\\)$`, 'm'),
    );
    expect(flush.stdout).toContain('alerts flush: 1 sent, 0 still in the outbox');
    const [message, ...others] = await receive(alerts.queueUrl);
    expect(others).toEqual([]);
    expect(message?.subject).toBe(entry.subject);
    expect(message?.attributes).toEqual(entry.attributes);
    expect(messageErrors(RUN_FAILED, message?.document)).toEqual([]);
    expect(message?.document).toMatchObject({ invocation_id: invocationId, status: 'failed', exit_code: 1 });
    expect(await waiting(made)).toEqual([]);
    expect(await readdir(path.join(outbox(made), 'sent'))).toEqual([`${invocationId}.run.failed.json`]);

    const again = await runDbtRun(made, ['audit', 'flush'], awsEnv);
    expect(again.exitCode, again.output).toBe(0);
    expect(again.stdout.trim()).toBe('audit flush: nothing spooled');
    expect(await receive(alerts.queueUrl)).toEqual([]);

    // The help says flush is where kept alerts go (there is no resend command).
    const help = await runDbtRun(made, ['audit', 'flush', '--help']);
    expect(help.stdout).toContain('goes to its topic from outbox/, at most once');
    expect(help.stdout).toContain('No other command resends alerts.');
  });

  it('still down at flush time: kept with one more attempt, exit 2', async () => {
    const alerts = await topicWithQueue();
    const made = await failingProduct(alerts.topicArn);
    const invocationId = await buildWithSnsDown(made);
    const down = `http://127.0.0.1:${await freePort()}`;
    const flush = await runDbtRun(made, ['audit', 'flush'], { ...awsEnv, AWS_ENDPOINT_URL_SNS: down });
    expect(flush.exitCode, flush.output).toBe(2);
    expect(flush.stderr).toMatch(
      new RegExp(
        `^error: target/dbt-product-kit/outbox/${invocationId}\\.run\\.failed\\.json: publishing to failure alert topic .* \\(2 attempts\\)$`,
        'm',
      ),
    );
    expect(flush.stdout).toContain('alerts flush: 0 sent, 1 still in the outbox');
    const entry = parseOutboxEntry(await readFile(path.join(outbox(made), `${invocationId}.run.failed.json`), 'utf8'));
    expect(entry.attempts).toBe(2);
  });

  it('two flushes started together deliver the alert exactly once', async () => {
    const alerts = await topicWithQueue();
    const made = await failingProduct(alerts.topicArn);
    const invocationId = await buildWithSnsDown(made);
    const flushes = await Promise.all([
      runDbtRun(made, ['audit', 'flush'], awsEnv),
      runDbtRun(made, ['audit', 'flush'], awsEnv),
    ]);
    for (const flush of flushes) expect(flush.exitCode, flush.output).toBe(0);
    const sentLines = flushes.flatMap((flush) =>
      flush.stdout.split('\n').filter((line) => line.startsWith(`alerts flush: run.failed of ${invocationId} sent`)),
    );
    expect(sentLines).toHaveLength(1);
    const messages = await receive(alerts.queueUrl);
    expect(messages.map((message) => message.document.invocation_id)).toEqual([invocationId]);
    expect(await receive(alerts.queueUrl)).toEqual([]);
  });
});
