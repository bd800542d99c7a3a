/**
 * Failure alerts and completion events through moto_server: a real dbt-run
 * build on the test Postgres publishes to an SNS topic, and an SQS queue
 * subscribed to it receives what a downstream product would, documents that
 * validate against the JSON Schemas the kit ships.
 */
import { cp } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ALERT_SCHEMA, EVENT_SCHEMA } from '../../src/alerts/message.js';
import { PRODUCT_COMPLETED, RUN_FAILED } from '../../src/messages/index.js';
import { messageErrors } from '../harness/message-schema.js';
import { runDbtRun, scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { receive, sendPostgresTopics, snsEnv, topicWithQueue } from '../harness/sns-sqs.js';

const FAILURES = fileURLToPath(new URL('../fixtures/runner-failures', import.meta.url));
const endpoint = inject('motoEndpoint');
const awsEnv = snsEnv();
const products: TestProduct[] = [];

afterAll(async () => {
  await Promise.all(products.map((product) => product.cleanup()));
});

/** A product on the test Postgres whose dbt-product.yml sends the postgres target's alerts and events. */
async function product(options: { failing: boolean; alerts: string; events: string }) {
  const made = await scaffoldTestProduct({ name: 'orders' });
  products.push(made);
  if (options.failing) await cp(FAILURES, made.dir, { recursive: true });
  await sendPostgresTopics(made.dir, { alerts: options.alerts, events: options.events });
  return made;
}

describe('alerts and events through SNS (moto)', () => {
  it('a failing build alerts: subject, attributes and the versioned document; no completion event', async () => {
    const alerts = await topicWithQueue();
    const events = await topicWithQueue();
    const made = await product({ failing: true, alerts: alerts.topicArn, events: events.topicArn });
    const run = await runDbtRun(made, ['build', '--target', 'postgres'], awsEnv);
    expect(run.exitCode, run.output).toBe(1);
    expect(run.stdout).toContain(`run.failed sent to ${alerts.topicArn}`);

    const [message, ...others] = await receive(alerts.queueUrl);
    expect(others).toHaveLength(0);
    expect(message?.subject).toBe('[orders][ci] dbt build failed: 1 error, 1 test failure');
    expect(message?.attributes).toEqual({
      product: 'orders',
      environment: 'ci',
      event_type: 'run.failed',
      severity: 'error',
    });
    const document = message?.document;
    expect(messageErrors(RUN_FAILED, document)).toEqual([]);
    // Version 2 (one shape for dbt-run and the orchestrators; version 1 was this test's number).
    expect(document).toMatchObject({
      schema: ALERT_SCHEMA,
      version: 2,
      producer: 'dbt-run',
      product: 'orders',
      environment: 'ci',
      target: 'postgres',
      command: 'build',
      status: 'failed',
      exit_code: 1,
      failures_not_listed: 0,
    });
    expect(
      document.failures
        .map((failure: { unique_id: string }) => failure.unique_id.split('.').slice(0, 3).join('.'))
        .sort(),
    ).toEqual(['model.orders.broken', 'test.orders.no_big_spenders']);
    expect(document.failures.find((failure: { status: string }) => failure.status === 'error').message).toMatch(/\S/);
    // What to act on: the SQL dbt ran, and what the failure skipped.
    expect(
      document.failures.find((failure: { unique_id: string }) => failure.unique_id === 'model.orders.broken'),
    ).toMatchObject({
      compiled_path: 'target/compiled/orders/models/failing/broken.sql',
      failing_rows_query: null,
      skipped_count: 1,
    });
    expect(document.audit_query).toContain(`where invocation_id = '${document.invocation_id}'`);
    expect(await receive(events.queueUrl)).toEqual([]);
  });

  it('a successful build publishes product.completed; a FIFO topic gets it too', async () => {
    const alerts = await topicWithQueue();
    const events = await topicWithQueue(true);
    const made = await product({ failing: false, alerts: alerts.topicArn, events: events.topicArn });
    const run = await runDbtRun(made, ['build', '--target', 'postgres'], awsEnv);
    expect(run.exitCode, run.output).toBe(0);
    const [event] = await receive(events.queueUrl);
    expect(event?.subject).toBe('[orders][ci] completed');
    expect(event?.attributes).toMatchObject({ event_type: 'product.completed', product: 'orders' });
    expect(messageErrors(PRODUCT_COMPLETED, event?.document)).toEqual([]);
    expect(event?.document).toMatchObject({
      schema: EVENT_SCHEMA,
      version: 2,
      producer: 'dbt-run',
      event_type: 'product.completed',
      product: 'orders',
      environment: 'ci',
      nodes_built: expect.any(Number),
    });
    expect(event?.document.nodes_built).toBeGreaterThan(0);
    expect(await receive(alerts.queueUrl)).toEqual([]);
  });

  it('a topic that does not exist, or a malformed ARN: one line each, exit code unchanged', async () => {
    const made = await product({
      failing: false,
      alerts: 'arn:aws:sns:eu-west-1:123456789012:nope',
      events: 'arn:aws:sns:eu-west-1:123456789012:missing-events',
    });
    const run = await runDbtRun(made, ['build', '--target', 'postgres'], awsEnv);
    expect(run.exitCode, run.output).toBe(0);
    expect(run.stderr).toContain(
      'completion event topic arn:aws:sns:eu-west-1:123456789012:missing-events does not exist: check the ARN (account and region) or create the topic',
    );
    const malformed = await runDbtRun(
      made,
      ['build', '--target', 'postgres', '--select', 'stg_customers', '--event-topic-arn', 'orders-events'],
      awsEnv,
    );
    expect(malformed.exitCode, malformed.output).toBe(0);
    expect(malformed.stderr).toContain(
      'completion event topic "orders-events" is not an SNS topic ARN (arn:aws:sns:<region>:<12-digit account>:<name>)',
    );
  });

  it('no AWS credentials: one line, exit code unchanged', async () => {
    const made = await product({
      failing: false,
      alerts: 'arn:aws:sns:eu-west-1:123456789012:a',
      events: 'arn:aws:sns:eu-west-1:123456789012:e',
    });
    const run = await runDbtRun(made, ['seed', '--target', 'postgres', '--select', 'raw_customers'], {
      AWS_ENDPOINT_URL_SNS: endpoint,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_SHARED_CREDENTIALS_FILE: `${made.dir}/no-such-credentials`,
      AWS_CONFIG_FILE: `${made.dir}/no-such-config`,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
      AWS_WEB_IDENTITY_TOKEN_FILE: '',
    });
    expect(run.exitCode, run.output).toBe(0);
    expect(run.stderr).toContain(
      'no AWS credentials to publish to completion event topic arn:aws:sns:eu-west-1:123456789012:e: use a role (OIDC in CI) or an AWS profile locally',
    );
  });
});
