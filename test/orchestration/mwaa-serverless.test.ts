/**
 * The generated MWAA Serverless workflow, loaded by dag-factory in the real
 * Airflow 3 of the orchestration venv: no import errors, only Amazon-provider
 * operators, dbt-run in the product's container between the upstream sensors
 * and the completion event. Run with dag.test(), its ECS task on a fake of
 * ECS (test/harness/ecs-fake.ts) that runs this repo's dbt-run on the test
 * Postgres, SNS and SQS on moto: one alert per failure (dbt-run's, the build
 * task skipped), the completion event on a green build, and the workflow's
 * own alert only for a task that never ran dbt-run; every message as the
 * shipped JSON Schemas define it.
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { RUN_ORIGIN_ENV } from '../../src/audit/origin.js';
import { PRODUCT_COMPLETED, RUN_FAILED } from '../../src/messages/index.js';
import { SERVERLESS_NOT_ALERTED } from '../../src/messages/templates.js';
import { SERVERLESS_ALERTED_EXIT_CODE } from '../../src/orchestration/serverless.js';
import { normaliseOptions } from '../../src/scaffold/options.js';
import { renderTemplate, templateContext } from '../../src/scaffold/plan.js';
import { type AirflowHome, airflowHome, type DagReport, type RunReport } from '../harness/airflow.js';
import { type FakeTaskDefinition, startFakeEcs } from '../harness/ecs-fake.js';
import { messageErrors } from '../harness/message-schema.js';
import { DBT_RUN_BIN, scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { MOTO_REGION, receive, snsEnv, subscribedQueue, topicWithQueue } from '../harness/sns-sqs.js';

const WORKFLOW_TEMPLATE = fileURLToPath(
  new URL('../../templates/mwaa-serverless/mwaa-serverless/__name__.yaml.hbs', import.meta.url),
);
const LOADER = fileURLToPath(new URL('../harness/airflow/load_workflows.py', import.meta.url));

const ALERTED = String(SERVERLESS_ALERTED_EXIT_CODE);
/** The image's ENTRYPOINT ["dbt-run"]: this repo's dbt-run, on this Node. */
const ENTRY_POINT = [process.execPath, DBT_RUN_BIN];

let product: TestProduct;
let dags: string;
let home: AirflowHome;

/**
 * The product's task definition, its container run by the fake ECS as the image would run it
 * (the product folder as WORKDIR), with what the task definition would set: the alert topic
 * (dbt-product.yml's prod ARN is a placeholder), SNS at moto, and the test Postgres as `prod`.
 */
function container(alertTopicArn: string): FakeTaskDefinition {
  return {
    containers: {
      'dbt-run': {
        entryPoint: ENTRY_POINT,
        command: ['build', '--target', 'prod'],
        cwd: product.dir,
        environment: {
          ...product.env,
          ...snsEnv(),
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          DBT_PATH: inject('dbtPath'),
          DBT_PRODUCT_ALERT_TOPIC_ARN: alertTopicArn,
        },
      },
    },
  };
}

/** The product's profile with `prod` on the test Postgres: no Redshift here. */
async function prodOnPostgres() {
  const file = path.join(product.dir, 'profiles.yml');
  const profiles = parse(await readFile(file, 'utf8')) as Record<string, { outputs: Record<string, unknown> }>;
  const outputs = profiles.orders?.outputs ?? {};
  outputs.prod = outputs.postgres;
  await writeFile(file, stringify(profiles));
}

/** The value a command line gives --alerted-exit-code. */
function alertedCode(argv: readonly string[] | undefined): string | undefined {
  const at = argv?.indexOf('--alerted-exit-code') ?? -1;
  return at < 0 ? undefined : argv?.[at + 1];
}

/** stg_orders selects a column that does not exist while `work` runs. */
async function withBrokenModel<T>(work: () => Promise<T>): Promise<T> {
  const model = path.join(product.dir, 'models', 'staging', 'stg_orders.sql');
  const original = await readFile(model, 'utf8');
  await writeFile(model, `${original.trimEnd()}\nwhere no_such_column = 1\n`);
  try {
    return await work();
  } finally {
    await writeFile(model, original);
  }
}

beforeAll(async () => {
  // No retries: the failed ECS task fails at once (dag.test() would wait out each retry's delay).
  product = await scaffoldTestProduct({
    name: 'orders',
    orchestrator: 'mwaa-serverless',
    retries: { count: 0, delay_seconds: 60 },
  });
  await prodOnPostgres();
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

  it('asks dbt-run for the alerted exit code, and skips the build task on it', async () => {
    const workflow = parse(await readFile(path.join(product.dir, 'mwaa-serverless', 'orders.yaml'), 'utf8')) as {
      orders: {
        tasks: {
          task_id: string;
          skip_on_exit_code?: number[];
          overrides?: { containerOverrides: { command: string[] }[] };
        }[];
      };
    };
    const build = workflow.orders.tasks.find((task) => task.task_id === 'dbt_run_build');
    expect(build?.skip_on_exit_code).toEqual([SERVERLESS_ALERTED_EXIT_CODE]);
    const command = build?.overrides?.containerOverrides[0]?.command;
    expect(command?.slice(0, 3)).toEqual(['build', '--target', 'prod']);
    expect(alertedCode(command)).toBe(ALERTED);
    // A retry of the task (a new container) builds only what the earlier try did not (test/run/resume.test.ts).
    expect(command).toContain('--resume');
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

  it('its ECS task (a fake running dbt-run on Postgres): one alert per failure, from dbt-run when it could send it', {
    timeout: 300_000,
  }, async () => {
    const alerts = await topicWithQueue();
    const events = await topicWithQueue();
    const ecs = await startFakeEcs({
      region: MOTO_REGION,
      account: '123456789012',
      clusters: ['orders'],
      taskDefinitions: { 'orders-dbt-run': container(alerts.topicArn) },
    });
    try {
      // What a user does before deploying: the topics' ARNs and the logs' region in place of the
      // placeholders. The waiter polls ECS every second rather than every 6 (waiter_delay), to keep
      // the test short.
      const yaml = (await readFile(path.join(product.dir, 'mwaa-serverless', 'orders.yaml'), 'utf8'))
        .replace('arn:aws:sns:REGION:ACCOUNT_ID:orders-prod-alerts', alerts.topicArn)
        .replace('arn:aws:sns:REGION:ACCOUNT_ID:orders-prod-events', events.topicArn)
        .replace('awslogs_region: REGION', `awslogs_region: ${MOTO_REGION}`)
        .replace('      launch_type: FARGATE\n', '      launch_type: FARGATE\n      waiter_delay: 1\n');
      expect((await load(yaml)).import_errors).toEqual({});
      // ECS at the fake, everything else (SNS, CloudWatch Logs) at moto: the container's log
      // stays with the fake, so the operator finds no log stream and says so in its log.
      const aws = {
        AIRFLOW_CONN_AWS_DEFAULT: JSON.stringify({
          conn_type: 'aws',
          login: 'test',
          password: 'test',
          extra: {
            endpoint_url: inject('motoEndpoint'),
            region_name: MOTO_REGION,
            service_config: { ecs: { endpoint_url: ecs.endpoint } },
          },
        }),
      };
      const attributes = (eventType: string, severity: string) => ({
        product: 'orders',
        environment: 'prod',
        event_type: eventType,
        severity,
      });
      const lastRun = () => ecs.runs.at(-1);

      // A failing model: dbt-run alerts (its detailed alert) and exits 99; the task is skipped.
      const failed = await withBrokenModel(() => home.helper<RunReport>('dag_test_run', ['orders'], aws));
      expect(failed.tasks, `${JSON.stringify(failed.tasks)}\n${lastRun()?.output}`).toEqual({
        dbt_run_build: 'skipped',
        alert: 'skipped',
        publish_completed: 'skipped',
      });
      expect(failed.state).toBe('success');
      expect(lastRun()?.argv.slice(0, ENTRY_POINT.length + 3)).toEqual([...ENTRY_POINT, 'build', '--target', 'prod']);
      expect(alertedCode(lastRun()?.argv)).toBe(ALERTED);
      expect(lastRun()?.output).toContain(`--resume: no earlier try of run ${failed.run_id} recorded`);
      expect(lastRun()).toMatchObject({
        overrides: { [RUN_ORIGIN_ENV.source]: 'airflow', [RUN_ORIGIN_ENV.runId]: failed.run_id },
        exitCode: SERVERLESS_ALERTED_EXIT_CODE,
      });
      const [alert, ...moreAlerts] = await receive(alerts.queueUrl);
      expect(moreAlerts).toEqual([]);
      expect(messageErrors(RUN_FAILED, alert?.document)).toEqual([]);
      expect(alert?.document).toMatchObject({ producer: 'dbt-run', status: 'failed', target: 'prod', exit_code: 1 });
      expect(alert?.document.failures.map((failure: { name: string }) => failure.name)).toContain('stg_orders');
      expect(alert?.attributes).toEqual(attributes('run.failed', 'error'));
      expect(await receive(events.queueUrl)).toEqual([]);

      // A green build: the workflow's completion event, no alert (new queues: each run reads its own).
      alerts.queueUrl = await subscribedQueue(alerts.topicArn);
      events.queueUrl = await subscribedQueue(events.topicArn);
      const succeeded = await home.helper<RunReport>('dag_test_run', ['orders'], aws);
      expect(succeeded.tasks, lastRun()?.output).toEqual({
        dbt_run_build: 'success',
        publish_completed: 'success',
        alert: 'skipped',
      });
      expect(succeeded.state).toBe('success');
      expect(lastRun()?.exitCode).toBe(0);
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
      expect(await receive(alerts.queueUrl)).toEqual([]);

      // A task that never ran dbt (its image cannot be pulled): the workflow's alert, which says dbt-run could not.
      alerts.queueUrl = await subscribedQueue(alerts.topicArn);
      events.queueUrl = await subscribedQueue(events.topicArn);
      const runsBefore = ecs.runs.length;
      ecs.define('orders-dbt-run', {
        ...container(alerts.topicArn),
        failToStart: 'CannotPullContainerError: no such image',
      });
      const unstarted = await home.helper<RunReport>('dag_test_run', ['orders'], aws);
      expect(unstarted.tasks).toEqual({
        dbt_run_build: 'failed',
        alert: 'success',
        publish_completed: 'upstream_failed',
      });
      expect(unstarted.state).toBe('failed');
      expect(ecs.runs.length).toBe(runsBefore);
      const [own, ...moreOwn] = await receive(alerts.queueUrl);
      expect(moreOwn).toEqual([]);
      expect(own?.subject).toBe('[orders][prod] workflow failed, dbt-run could not alert');
      expect(messageErrors(RUN_FAILED, own?.document)).toEqual([]);
      expect(own?.document).toMatchObject({
        producer: 'mwaa-serverless',
        dag_id: 'orders',
        invocation_id: unstarted.run_id,
        failures: [{ task_id: 'dbt_run_build' }],
        error_message: SERVERLESS_NOT_ALERTED,
      });
      expect(own?.attributes).toEqual(attributes('run.failed', 'error'));
      expect(await receive(events.queueUrl)).toEqual([]);
    } finally {
      await ecs.stop();
    }
  });
});
