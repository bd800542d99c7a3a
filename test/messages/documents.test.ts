/**
 * The message definitions against the JSON Schemas the kit ships: what
 * dbt-run plans validates (strictly: exactly the defined fields), the MWAA
 * Serverless workflow's documents do once Airflow has rendered their Jinja,
 * and a message that breaks the definition, version 1's DAG alert among
 * them, does not. The producers' real messages are checked where the tests
 * capture them (test/alerts/sns.test.ts, test/orchestration/).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { planCompletionEvent, planFailureAlert } from '../../src/alerts/message.js';
import type { InvocationRow } from '../../src/audit/columns.js';
import { PRODUCT_COMPLETED, RUN_FAILED } from '../../src/messages/index.js';
import { messageTemplates, SERVERLESS_NOT_ALERTED } from '../../src/messages/templates.js';
import { normaliseOptions } from '../../src/scaffold/options.js';
import { renderTemplate, templateContext } from '../../src/scaffold/plan.js';
import { messageSchemaPath } from '../../src/schemas/json-schema.js';
import { syntheticBatch } from '../harness/audit-batch.js';
import { messageErrors, schemaErrors } from '../harness/message-schema.js';

const context = {
  product: 'orders',
  environment: 'prod',
  auditTable: { schema: 'orders_audit', table: 'dbt_audit_log' },
  includeWarnings: true,
};

/** A batch whose run failed: an error, a test failure, a warning; the invocation as the runner records it. */
function failedBatch() {
  const batch = syntheticBatch(3);
  const [error, fail, warn] = batch.nodes;
  Object.assign(error ?? {}, { status: 'error', message: 'Database Error: relation "x" does not exist' });
  Object.assign(fail ?? {}, { status: 'fail', resource_type: 'test', relation_name: null });
  Object.assign(warn ?? {}, { status: 'warn', resource_type: 'test', message: null });
  const invocation = {
    ...batch.invocation,
    status: 'failed',
    exit_code: 1,
    completed_at: '2026-11-21 05:10:00.000000',
    nodes_error: 1,
    nodes_fail: 1,
    nodes_warn: 1,
  } as InvocationRow;
  return { ...batch, invocation };
}

describe("dbt-run's documents", () => {
  it('the failure alert validates, and so does a crash with no node and a truncated list', () => {
    const alert = planFailureAlert(failedBatch(), context);
    expect(alert?.document.failures).toHaveLength(3);
    expect(messageErrors(RUN_FAILED, alert?.document)).toEqual([]);
    expect(RUN_FAILED.schema.parse(alert?.document)).toEqual(alert?.document);

    const batch = failedBatch();
    const crashed = { ...batch.invocation, status: 'error', exit_code: 2, error_message: 'Compilation Error' };
    const crash = planFailureAlert({ ...batch, invocation: crashed as InvocationRow, nodes: [] }, context);
    expect(crash?.document).toMatchObject({ status: 'error', failures: [], error_message: 'Compilation Error' });
    expect(messageErrors(RUN_FAILED, crash?.document)).toEqual([]);

    const many = syntheticBatch(3000, () => `Database Error ${'é'.repeat(200)}`);
    for (const node of many.nodes) node.status = 'error';
    const long = planFailureAlert({ ...many, invocation: { ...many.invocation, status: 'failed' } }, context);
    expect(long?.document.failures_not_listed).toBeGreaterThan(0);
    expect(messageErrors(RUN_FAILED, long?.document)).toEqual([]);
  });

  it('the completion event validates', () => {
    const batch = syntheticBatch(4);
    const event = planCompletionEvent(
      { ...batch, invocation: { ...batch.invocation, completed_at: '2026-11-21 05:10:00.000000' } },
      context,
    );
    expect(event?.document).toMatchObject({ producer: 'dbt-run', nodes_built: 4, version: PRODUCT_COMPLETED.version });
    expect(messageErrors(PRODUCT_COMPLETED, event?.document)).toEqual([]);
  });
});

describe('a message that breaks the definition', () => {
  const alert = planFailureAlert(failedBatch(), context)?.document as Record<string, unknown>;

  it.each([
    ['a missing field', { ...alert, counts: undefined }, "must have required property 'counts'"],
    ['another version', { ...alert, version: 1 }, '/version must be equal to constant'],
    [
      'a time in another format',
      { ...alert, started_at: '2026-11-21T05:00:00+00:00' },
      '/started_at must match pattern',
    ],
    ['an unknown producer', { ...alert, producer: 'cron' }, '/producer must be equal to one of the allowed values'],
    [
      'a failure without its fields',
      { ...alert, failures: [{ task_id: 'transform.x' }] },
      "/failures/0 must have required property 'status'",
    ],
  ])('fails validation, and the zod definition refuses it too: %s', (_what, document, error) => {
    const sent = JSON.parse(JSON.stringify(document));
    expect(messageErrors(RUN_FAILED, sent).join('\n')).toContain(error);
    expect(RUN_FAILED.schema.safeParse(sent).success).toBe(false);
  });

  it('a field the definition does not have fails the strict check (a reader would let it through)', () => {
    const extra = { ...alert, orchestrator: 'airflow' };
    expect(messageErrors(RUN_FAILED, extra).join('\n')).toContain('must NOT have additional properties');
    // The shipped schema and zod both accept a later field: a new field is not a new version.
    expect(schemaErrors(messageSchemaPath(RUN_FAILED), extra)).toEqual([]);
    expect(RUN_FAILED.schema.safeParse(extra).success).toBe(true);
  });

  it("version 1's DAG alert is not a run.failed of today", () => {
    const dagV1 = {
      schema: 'dbt-product-kit/run.failed',
      version: 1,
      event_type: 'run.failed',
      severity: 'error',
      product: 'shop',
      environment: 'prod',
      orchestrator: 'airflow',
      dag_id: 'shop_dag',
      invocation_id: 'manual__2026-11-21T05:00:00+00:00',
      failures: [{ task_id: 'transform.stg_orders.run' }],
      failures_not_listed: 0,
      run_url: null,
    };
    expect(messageErrors(RUN_FAILED, dagV1).length).toBeGreaterThan(3);
  });
});

describe('the MWAA Serverless documents', () => {
  it('validate once Airflow renders their Jinja, and are the YAML messages verbatim', async () => {
    const templates = messageTemplates('orders');
    // What Airflow puts in place of each expression when the task runs.
    const rendered = (text: string) =>
      JSON.parse(
        text
          .replace('{{ run_id }}', 'scheduled__2026-11-21T05:00:00+00:00')
          .replace('{{ dag.dag_id }}', 'orders')
          .replaceAll(/\{\{ [^}]*strftime\('[^']*'\) \}\}/g, '2026-11-21 05:10:00.123456'),
      );
    const alert = rendered(templates.serverless.runFailed);
    const completed = rendered(templates.serverless.productCompleted);
    expect(messageErrors(RUN_FAILED, alert)).toEqual([]);
    expect(messageErrors(PRODUCT_COMPLETED, completed)).toEqual([]);
    expect(alert).toMatchObject({
      producer: 'mwaa-serverless',
      failures: [{ task_id: 'dbt_run_build' }],
      // It is sent only when dbt-run could not alert (its task failed otherwise), and says so.
      error_message: SERVERLESS_NOT_ALERTED,
    });
    expect(completed).toMatchObject({ producer: 'mwaa-serverless', product: 'orders', nodes_built: null });

    const options = normaliseOptions({ dir: '/tmp/orders', name: 'orders', orchestrator: 'mwaa-serverless' });
    const template = fileURLToPath(
      new URL('../../templates/mwaa-serverless/mwaa-serverless/__name__.yaml.hbs', import.meta.url),
    );
    const yaml = renderTemplate(
      { path: 'mwaa-serverless/__name__.yaml.hbs', content: await readFile(template, 'utf8') },
      templateContext(options, { version: '0.1.0', dbtRequirements: '' }),
    );
    const tasks = (parse(yaml.content) as { orders: { tasks: { task_id: string; message?: string }[] } }).orders.tasks;
    const message = (id: string) => tasks.find((task) => task.task_id === id)?.message;
    expect(message('alert')).toBe(templates.serverless.runFailed);
    expect(message('publish_completed')).toBe(templates.serverless.productCompleted);
  });

  it('the Cosmos DAG gets every field of each message, in order', async () => {
    const templates = messageTemplates('shop');
    expect(templates.runFailed.fields).toEqual(Object.keys(RUN_FAILED.schema.shape));
    expect(templates.productCompleted.fields).toEqual(Object.keys(PRODUCT_COMPLETED.schema.shape));
    expect(
      Object.fromEntries(templates.runFailed.fixed.map((entry) => [entry.name, JSON.parse(entry.literal)])),
    ).toEqual({
      schema: RUN_FAILED.schemaId,
      version: RUN_FAILED.version,
      event_type: RUN_FAILED.eventType,
      producer: 'airflow',
    });
  });
});
