import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, planCompletionEvent, planFailureAlert, snsSubject } from '../../src/alerts/message.js';
import { topicsFor } from '../../src/alerts/notify.js';
import { publishInput, topicRegion } from '../../src/alerts/publish.js';
import type { AuditRow, InvocationRow } from '../../src/audit/columns.js';
import { normaliseRunOptions } from '../../src/run/options.js';

const invocation = {
  invocation_id: 'inv-1',
  product_name: 'orders',
  target_name: 'prod',
  command: 'build',
  selection: '',
  status: 'failed',
  exit_code: 1,
  started_at: '2026-11-21 05:00:00.000000',
  completed_at: '2026-11-21 05:10:00.000000',
  nodes_total: 3,
  nodes_error: 1,
  nodes_fail: 1,
  nodes_warn: 1,
  run_url: 'https://github.com/acme/orders/actions/runs/1',
  git_sha: 'abc',
} as unknown as InvocationRow;

const node = (index: number, status: string, message = `boom ${index}`) =>
  ({
    unique_id: `model.orders.m_${index}`,
    name: `m_${index}`,
    resource_type: 'model',
    status,
    message,
  }) as unknown as AuditRow;

const context = {
  product: 'orders',
  environment: 'prod',
  auditTable: { schema: 'orders_audit', table: 'dbt_audit_log' },
  includeWarnings: false,
};

describe('failure alert', () => {
  it('counts errors and test failures in a short ASCII subject; warnings only when asked', () => {
    const batch = { invocationId: 'inv-1', invocation, nodes: [node(1, 'error'), node(2, 'fail'), node(3, 'warn')] };
    const alert = planFailureAlert(batch, context);
    expect(alert?.subject).toBe('[orders][prod] dbt build failed: 1 error, 1 test failure');
    expect(alert?.attributes).toEqual({
      product: 'orders',
      environment: 'prod',
      event_type: 'run.failed',
      severity: 'error',
    });
    expect(alert?.document.failures).toHaveLength(2);
    const text = JSON.parse(alert?.message ?? '{}').default as string;
    expect(text).toContain('- model.orders.m_1 (model, error): boom 1');
    expect(text).toContain(
      `select unique_id, status, message from "orders_audit"."dbt_audit_log" where invocation_id = 'inv-1'`,
    );
    expect(text).toContain('Run: https://github.com/acme/orders/actions/runs/1');
    const withWarnings = planFailureAlert(batch, { ...context, includeWarnings: true });
    expect(withWarnings?.subject).toBe('[orders][prod] dbt build failed: 1 error, 1 test failure, 1 test warning');
    expect(planFailureAlert({ ...batch, nodes: [node(3, 'warn')] }, context)).toBeUndefined();
    expect(
      planFailureAlert({ ...batch, nodes: [node(3, 'warn')] }, { ...context, includeWarnings: true })?.attributes
        .severity,
    ).toBe('warning');
  });

  it("names each failure's compiled SQL, stored failing rows and the nodes it skipped, in the text and the document", () => {
    const test = {
      ...node(2, 'fail', 'Got 1 result, configured to fail if != 0'),
      unique_id: 'test.orders.accepted_values_m_1_id',
      resource_type: 'test',
    } as AuditRow;
    const batch = { invocationId: 'inv-1', invocation, nodes: [node(1, 'error'), test] };
    const failureFacts = [
      {
        uniqueId: 'model.orders.m_1',
        compiledPath: 'target/compiled/orders/models/m_1.sql',
        failingRowsQuery: null,
        skipped: Array.from({ length: 7 }, (_, index) => ({
          uniqueId: `model.orders.child_${index}`,
          name: `child_${index}`,
          resourceType: 'model',
        })),
      },
      {
        uniqueId: 'test.orders.accepted_values_m_1_id',
        compiledPath: 'target/compiled/orders/models/_models.yml/accepted_values_m_1_id.sql',
        failingRowsQuery: 'select * from "dev"."orders_dbt_test__audit"."accepted_values_m_1_id"',
        skipped: [],
      },
    ];
    const alert = planFailureAlert(batch, { ...context, failureFacts });
    expect(alert?.document.failures).toEqual([
      expect.objectContaining({
        unique_id: 'model.orders.m_1',
        compiled_path: 'target/compiled/orders/models/m_1.sql',
        failing_rows_query: null,
        skipped_count: 7,
      }),
      expect.objectContaining({
        unique_id: 'test.orders.accepted_values_m_1_id',
        compiled_path: 'target/compiled/orders/models/_models.yml/accepted_values_m_1_id.sql',
        failing_rows_query: 'select * from "dev"."orders_dbt_test__audit"."accepted_values_m_1_id"',
        skipped_count: 0,
      }),
    ]);
    const text = JSON.parse(alert?.message ?? '{}').default as string;
    expect(text).toContain(
      [
        '- model.orders.m_1 (model, error): boom 1',
        '  compiled SQL: target/compiled/orders/models/m_1.sql',
        '  skipped because of it (7): model child_0, model child_1, model child_2, model child_3, model child_4 and 2 more',
        '- test.orders.accepted_values_m_1_id (test, fail): Got 1 result, configured to fail if != 0',
        '  compiled SQL: target/compiled/orders/models/_models.yml/accepted_values_m_1_id.sql',
        '  failing rows: select * from "dev"."orders_dbt_test__audit"."accepted_values_m_1_id"',
      ].join('\n'),
    );
    // Without the run's facts (a recovered run), nothing is guessed.
    expect(planFailureAlert(batch, context)?.document.failures[0]).toMatchObject({
      compiled_path: null,
      failing_rows_query: null,
      skipped_count: null,
    });
  });

  it('a dbt crash with no failed node still alerts', () => {
    const crashed = {
      ...invocation,
      status: 'error',
      exit_code: 2,
      error_message: 'Compilation Error in model x',
    } as InvocationRow;
    const alert = planFailureAlert({ invocationId: 'inv-1', invocation: crashed, nodes: [] }, context);
    expect(alert?.subject).toBe('[orders][prod] dbt build failed: dbt stopped with an error');
    expect(alert?.document.error_message).toBe('Compilation Error in model x');
  });

  it('thousands of long failures stay under 256 KB, ending with "and N more"', () => {
    const nodes = Array.from({ length: 5000 }, (_, index) =>
      node(index, 'error', `Database Error ${'é'.repeat(1000)}`),
    );
    const alert = planFailureAlert({ invocationId: 'inv-1', invocation, nodes }, context);
    expect(Buffer.byteLength(alert?.message ?? '')).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    const listed = (alert?.document.failures as unknown[] | undefined)?.length ?? 0;
    expect(listed).toBeGreaterThan(10);
    expect(alert?.document.failures_not_listed).toBe(5000 - listed);
    expect(JSON.parse(alert?.message ?? '{}').default).toContain(`- and ${5000 - listed} more`);
  });

  it('subjects are printable ASCII under 100 characters', () => {
    const subject = snsSubject(`[${'ü'.repeat(80)}][prod] dbt build failed:\n 1 error`);
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('completion event', () => {
  it('only for a successful run, with the nodes built', () => {
    const success = { ...invocation, status: 'success', exit_code: 0 } as InvocationRow;
    const nodes = [node(1, 'success'), { ...node(2, 'pass'), resource_type: 'test' } as AuditRow];
    const event = planCompletionEvent({ invocationId: 'inv-1', invocation: success, nodes }, context);
    expect(event?.document).toMatchObject({
      event_type: 'product.completed',
      nodes_built: 1,
      tests_passed: 1,
      finished_at: success.completed_at,
    });
    expect(planCompletionEvent({ invocationId: 'inv-1', invocation, nodes }, context)).toBeUndefined();
  });
});

describe('publishing', () => {
  it('FIFO topics get a group and a dedup id; the region comes from the ARN', () => {
    const success = { ...invocation, status: 'success' } as InvocationRow;
    const event = planCompletionEvent({ invocationId: 'inv-1', invocation: success, nodes: [] }, context);
    if (!event) throw new Error('no event');
    expect(publishInput('arn:aws:sns:eu-west-1:123456789012:orders-events.fifo', event)).toMatchObject({
      MessageStructure: 'json',
      MessageGroupId: 'orders',
      MessageDeduplicationId: 'inv-1:product.completed',
    });
    expect(publishInput('arn:aws:sns:eu-west-1:123456789012:orders-events', event).MessageGroupId).toBeUndefined();
    expect(topicRegion('arn:aws:sns:ap-southeast-2:123456789012:t', 'topic')).toBe('ap-southeast-2');
    expect(() => topicRegion('arn:aws:sns:REGION:ACCOUNT_ID:t', 'failure alert topic')).toThrow(
      'failure alert topic "arn:aws:sns:REGION:ACCOUNT_ID:t" is not an SNS topic ARN',
    );
  });

  it('topics: flag, then environment variable, then dbt-product.yml; placeholders are skipped with a reason', () => {
    const product = {
      environments: {
        prod: {
          target: 'prod',
          alerts: { topic_arn: 'arn:aws:sns:REGION:ACCOUNT_ID:orders-prod-alerts' },
          events: { topic_arn: 'arn:aws:sns:eu-west-1:123456789012:orders-prod-events' },
        },
      },
    } as never;
    const topics = topicsFor(product, 'prod', {}, {});
    expect(topics.alerts).toBeUndefined();
    expect(topics.events?.arn).toBe('arn:aws:sns:eu-west-1:123456789012:orders-prod-events');
    expect(topics.skipped).toEqual([
      "failure alerts for prod not sent: replace REGION and ACCOUNT_ID in dbt-product.yml's topic ARN",
    ]);
    const flagged = topicsFor(
      product,
      'prod',
      { alertTopicArn: 'arn:aws:sns:eu-west-1:1:flag' },
      { DBT_PRODUCT_EVENT_TOPIC_ARN: 'arn:env' },
    );
    expect(flagged.alerts?.arn).toBe('arn:aws:sns:eu-west-1:1:flag');
    expect(flagged.events?.arn).toBe('arn:env');
    // --no-events: dbt-run's options give an empty topic, which neither the environment nor the file replaces.
    const noEvents = normaliseRunOptions('build', { audit: true, events: false }, [], '/tmp');
    expect(topicsFor(product, 'prod', noEvents, { DBT_PRODUCT_EVENT_TOPIC_ARN: 'arn:env' }).events).toBeUndefined();
    expect(topicsFor(undefined, 'local', {}, {})).toEqual({
      environment: 'local',
      alerts: undefined,
      events: undefined,
      skipped: [],
    });
  });
});
