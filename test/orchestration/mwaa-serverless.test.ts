/**
 * The generated MWAA Serverless workflow, loaded by dag-factory in the real
 * Airflow 3 of the orchestration venv: no import errors, only Amazon-provider
 * operators, dbt-run in the product's container between the upstream sensors
 * and the completion event. Run with dag.test() against moto, its alert (the
 * ECS task fails there) and its completion event reach SQS as the shipped
 * JSON Schemas define them.
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { RUN_ORIGIN_ENV } from '../../src/audit/origin.js';
import { PRODUCT_COMPLETED, RUN_FAILED } from '../../src/messages/index.js';
import { normaliseOptions } from '../../src/scaffold/options.js';
import { renderTemplate, templateContext } from '../../src/scaffold/plan.js';
import { type AirflowHome, airflowHome, type DagReport, type RunReport } from '../harness/airflow.js';
import { messageErrors } from '../harness/message-schema.js';
import { scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { MOTO_REGION, receive, topicWithQueue } from '../harness/sns-sqs.js';

const WORKFLOW_TEMPLATE = fileURLToPath(
  new URL('../../templates/mwaa-serverless/mwaa-serverless/__name__.yaml.hbs', import.meta.url),
);
const LOADER = fileURLToPath(new URL('../harness/airflow/load_workflows.py', import.meta.url));

let product: TestProduct;
let dags: string;
let home: AirflowHome;

beforeAll(async () => {
  // No retries: the failed ECS task fails at once (dag.test() would wait out each retry's delay).
  product = await scaffoldTestProduct({
    name: 'orders',
    orchestrator: 'mwaa-serverless',
    retries: { count: 0, delay_seconds: 60 },
  });
  dags = path.join(path.dirname(product.dir), 'serverless-dags');
  await mkdir(dags, { recursive: true });
  await copyFile(LOADER, path.join(dags, 'load_workflows.py'));
  home = await airflowHome(dags);
});

afterAll(async () => {
  await home?.cleanup();
  await product?.cleanup();
});

async function load(yaml: string) {
  await rm(path.join(dags, 'orders.yaml'), { force: true });
  await writeFile(path.join(dags, 'orders.yaml'), yaml);
  return home.helper<DagReport>('dagbag_report', [dags]);
}

describe('the generated MWAA Serverless workflow (dag-factory, Airflow 3)', () => {
  it('loads with no import errors and uses Amazon-provider operators only', async () => {
    const report = await load(await readFile(path.join(product.dir, 'mwaa-serverless', 'orders.yaml'), 'utf8'));
    expect(report.import_errors).toEqual({});
    const tasks = report.dags.orders?.tasks ?? {};
    expect(Object.keys(tasks).sort()).toEqual(['alert', 'dbt_run_build', 'publish_completed']);
    for (const [id, task] of Object.entries(tasks)) expect(task.operator, id).toMatch(/^airflow\.providers\.amazon\./);
    expect(tasks.dbt_run_build?.operator).toBe('airflow.providers.amazon.aws.operators.ecs.EcsRunTaskOperator');
    expect(tasks.publish_completed).toMatchObject({ upstream: ['dbt_run_build'], trigger_rule: 'all_success' });
    expect(tasks.alert).toMatchObject({ upstream: ['dbt_run_build'], trigger_rule: 'one_failed' });
  });

  it("tells dbt-run in the container where the run came from: Airflow's run id, for the invocation row", async () => {
    const workflow = parse(await readFile(path.join(product.dir, 'mwaa-serverless', 'orders.yaml'), 'utf8')) as {
      orders: { tasks: { task_id: string; overrides?: { containerOverrides: { environment: unknown }[] } }[] };
    };
    const build = workflow.orders.tasks.find((task) => task.task_id === 'dbt_run_build');
    expect(build?.overrides?.containerOverrides[0]?.environment).toEqual([
      { name: RUN_ORIGIN_ENV.source, value: 'airflow' },
      { name: RUN_ORIGIN_ENV.runId, value: '{{ run_id }}' },
    ]);
  });

  it('waits for each upstream product with an SqsSensor before dbt-run', async () => {
    const options = normaliseOptions({ dir: '/tmp/orders', name: 'orders', orchestrator: 'mwaa-serverless' });
    const context = {
      ...templateContext(options, { version: '0.1.0', dbtRequirements: '' }),
      upstreams: ['customers', 'payments'],
    };
    const rendered = renderTemplate(
      { path: 'mwaa-serverless/__name__.yaml.hbs', content: await readFile(WORKFLOW_TEMPLATE, 'utf8') },
      context,
    );
    expect(rendered.path).toBe('mwaa-serverless/orders.yaml');
    const report = await load(rendered.content);
    expect(report.import_errors).toEqual({});
    const tasks = report.dags.orders?.tasks ?? {};
    for (const upstream of ['customers', 'payments']) {
      expect(tasks[`wait_for_${upstream}`]?.operator).toBe('airflow.providers.amazon.aws.sensors.sqs.SqsSensor');
    }
    expect(tasks.dbt_run_build?.upstream).toEqual(['wait_for_customers', 'wait_for_payments']);
  });

  it('publishes its alert when the ECS task fails and its completion event after it, as the schemas define them (moto)', {
    timeout: 300_000,
  }, async () => {
    const alerts = await topicWithQueue();
    const events = await topicWithQueue();
    // What a user does before deploying: the topics' ARNs in place of the placeholders.
    const yaml = (await readFile(path.join(product.dir, 'mwaa-serverless', 'orders.yaml'), 'utf8'))
      .replace('arn:aws:sns:REGION:ACCOUNT_ID:orders-prod-alerts', alerts.topicArn)
      .replace('arn:aws:sns:REGION:ACCOUNT_ID:orders-prod-events', events.topicArn);
    const aws = {
      AIRFLOW_CONN_AWS_DEFAULT: JSON.stringify({
        conn_type: 'aws',
        login: 'test',
        password: 'test',
        extra: { endpoint_url: inject('motoEndpoint'), region_name: MOTO_REGION },
      }),
    };
    const attributes = (eventType: string, severity: string) => ({
      product: 'orders',
      environment: 'prod',
      event_type: eventType,
      severity,
    });

    // moto has no ECS cluster "orders": the task that runs dbt-run fails, as one that never ran dbt does.
    expect((await load(yaml)).import_errors).toEqual({});
    const failed = await home.helper<RunReport>('dag_test_run', ['orders'], aws);
    expect(failed.tasks, JSON.stringify(failed.tasks)).toMatchObject({
      dbt_run_build: 'failed',
      alert: 'success',
      publish_completed: 'upstream_failed',
    });
    const [alert, ...moreAlerts] = await receive(alerts.queueUrl);
    expect(moreAlerts).toEqual([]);
    expect(messageErrors(RUN_FAILED, alert?.document)).toEqual([]);
    expect(alert?.document).toMatchObject({
      producer: 'mwaa-serverless',
      dag_id: 'orders',
      invocation_id: failed.run_id,
      failures: [{ task_id: 'dbt_run_build' }],
    });
    expect(alert?.attributes).toEqual(attributes('run.failed', 'error'));
    expect(await receive(events.queueUrl)).toEqual([]);

    // No ECS here: an EmptyOperator in the task's place lets the workflow succeed.
    const workflow = parse(yaml) as { orders: { tasks: Record<string, unknown>[] } };
    workflow.orders.tasks = workflow.orders.tasks.map((task) =>
      task.task_id === 'dbt_run_build'
        ? { task_id: 'dbt_run_build', operator: 'airflow.providers.standard.operators.empty.EmptyOperator' }
        : task,
    );
    expect((await load(stringify(workflow))).import_errors).toEqual({});
    const succeeded = await home.helper<RunReport>('dag_test_run', ['orders'], aws);
    expect(succeeded.tasks).toMatchObject({ dbt_run_build: 'success', publish_completed: 'success', alert: 'skipped' });
    const [event, ...moreEvents] = await receive(events.queueUrl);
    expect(moreEvents).toEqual([]);
    expect(messageErrors(PRODUCT_COMPLETED, event?.document)).toEqual([]);
    expect(event?.document).toMatchObject({
      producer: 'mwaa-serverless',
      product: 'orders',
      invocation_id: succeeded.run_id,
      nodes_built: null,
    });
    expect(event?.attributes).toEqual(attributes('product.completed', 'info'));
  });
});
