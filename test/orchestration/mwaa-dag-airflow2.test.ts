import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EVENT_SCHEMA } from '../../src/alerts/message.js';
import { PRODUCT_COMPLETED, RUN_FAILED } from '../../src/messages/index.js';
import {
  type AirflowHome,
  airflowHome,
  awsEnv,
  type DagReport,
  groupEdges,
  type RunReport,
} from '../harness/airflow.js';
import { expectClearedAfterFix } from '../harness/dag-rerun.js';
import { dagRunUrl, expectAuditOfRun, expectDbtGroup, isProducerTask, withFailingModel } from '../harness/dag-shape.js';
import { messageErrors } from '../harness/message-schema.js';
import { queryPostgres, runDbt, scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { receive, topicWithQueue } from '../harness/sns-sqs.js';

/** Airflow's base URL in these tests: the audit rows link to DAG runs under it. */
const BASE_URL = 'https://airflow.example.com';

let product: TestProduct;
let home: AirflowHome;

beforeAll(async () => {
  // As on Airflow 3: one retry, at once (dag.test() would wait out a real delay), so a failed
  // node task's retry runs dbt for its node alone.
  product = await scaffoldTestProduct({ name: 'shop', retries: { count: 1, delay_seconds: 0 } });
  const parsed = await runDbt(product, ['parse']);
  expect(parsed.exitCode, parsed.output).toBe(0);
  home = await airflowHome(
    path.join(product.dir, 'dags'),
    {
      ...product.env,
      DBT_VENV_PATH: path.dirname(path.dirname(inject('dbtPath'))),
      // Airflow 2.10's `dags test` cannot store Cosmos's dataset aliases (apache/airflow#42495);
      // a scheduler can. The test runs without them.
      AIRFLOW__COSMOS__ENABLE_DATASET_ALIAS: 'False',
      AIRFLOW__WEBSERVER__BASE_URL: BASE_URL,
    },
    2,
  );
});

afterAll(async () => {
  await home?.cleanup();
  await product?.cleanup();
});

describe('the generated MWAA DAG on Airflow 2.10', () => {
  it('loads with no import errors, in the same order as on Airflow 3', async () => {
    const report = await home.helper<DagReport>('dagbag_report', [path.join(product.dir, 'dags')]);
    expect(report.import_errors).toEqual({});
    const tasks = report.dags.shop_dag?.tasks ?? {};
    const transform = groupEdges(tasks, 'transform');
    // One group, one build: the audit tables and views are among its nodes.
    expect(expectDbtGroup(tasks, 'transform', 'watcher')).toEqual(
      expect.arrayContaining(['transform.dbt_audit_log_run', 'transform.dbt_audit_invocations_run']),
    );
    for (const root of transform.roots) expect(tasks[root]?.upstream).toEqual([]);
    expect(tasks.check).toMatchObject({ trigger_rule: 'all_done' });
    expect(tasks.check?.upstream.sort()).toEqual(transform.leaves.sort());
    expect(tasks.alert).toMatchObject({ upstream: ['check'], trigger_rule: 'one_failed' });
    expect(tasks.publish_completed?.upstream).toEqual(['completion_event']);
  });

  it('runs on PostgreSQL: every dbt task succeeds, check passes, the completion event reaches SQS', {
    timeout: 300_000,
  }, async () => {
    const events = await topicWithQueue();
    const alerts = await topicWithQueue();
    const run = await home.helper<RunReport>('dag_test_run', ['shop_dag'], awsEnv(alerts.topicArn, events.topicArn));
    expect(run.state, JSON.stringify(run.tasks)).toBe('success');
    const dbtTasks = Object.entries(run.tasks).filter(([id]) => /^transform\./.test(id));
    for (const [id, state] of dbtTasks) expect(state, id).toBe('success');
    expect(run.tasks).toMatchObject({ check: 'success', alert: 'skipped', publish_completed: 'success' });
    // One dbt build of the product's nodes, every row linking to the run, as on Airflow 3.
    await expectAuditOfRun(product, 'watcher', { url: dagRunUrl(2, BASE_URL, 'shop_dag', run.run_id), id: run.run_id });
    const rows = await queryPostgres<{ recorded_by: string }>(
      `select recorded_by from ${product.schema}_audit.dbt_audit_log where name = 'fct_orders'`,
    );
    expect(rows.map((row) => row.recorded_by)).toEqual(['hook']);
    const [event, ...more] = await receive(events.queueUrl);
    expect(more).toEqual([]);
    expect(messageErrors(PRODUCT_COMPLETED, event?.document)).toEqual([]);
    expect(event?.document).toMatchObject({
      schema: EVENT_SCHEMA,
      product: 'shop',
      invocation_id: run.run_id,
      nodes_built: dbtTasks.filter(([id]) => !isProducerTask(id) && !/test$/.test(id)).length,
    });
    expect(await receive(alerts.queueUrl)).toEqual([]);
  });

  it('a failing model fails check, and the alert reaches SQS; cleared after the fix, only it and its dependents run again, in the same DAG run', {
    timeout: 420_000,
  }, async () => {
    const failed = await withFailingModel(product, async () => {
      const events = await topicWithQueue();
      const alerts = await topicWithQueue();
      const run = await home.helper<RunReport>('dag_test_run', ['shop_dag'], awsEnv(alerts.topicArn, events.topicArn));
      expect(run.tasks).toMatchObject({
        'transform.dbt_producer_watcher': 'failed',
        'transform.stg_orders.run': 'failed',
        'transform.stg_orders.test': 'upstream_failed',
        'transform.fct_orders.run': 'upstream_failed',
        'transform.stg_customers.run': 'success',
        check: 'failed',
        alert: 'success',
      });
      const [alert, ...more] = await receive(alerts.queueUrl);
      expect(more).toEqual([]);
      expect(messageErrors(RUN_FAILED, alert?.document)).toEqual([]);
      expect(alert?.document).toMatchObject({ producer: 'airflow', dag_id: 'shop_dag', invocation_id: run.run_id });
      expect(alert?.document.failures).toContainEqual(
        expect.objectContaining({ task_id: 'transform.stg_orders.run', status: 'failed' }),
      );
      expect(await receive(events.queueUrl)).toEqual([]);
      return run;
    });
    // The same clear and the same outcome as on Airflow 3, from the same DAG file.
    await expectClearedAfterFix({ product, home }, failed, { major: 2, baseUrl: BASE_URL });
  });
});
