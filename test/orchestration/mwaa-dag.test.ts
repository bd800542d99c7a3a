/**
 * The generated Cosmos DAG in a real Airflow 3 with real Cosmos and the real
 * dbt (from its own venv, as on MWAA): it loads in a DagBag without errors,
 * in the documented shape, clean under ruff's AIR3 rules; it runs against the
 * test PostgreSQL, the in-dbt hook filling the audit log; its completion
 * event and its failure alert reach SQS queues through moto, as the shipped
 * JSON Schemas define them; an invalid dbt-product.yml is a one-line import error.
 * As generated (--execution watcher) one dbt build per task group runs per DAG
 * run, each node's task taking its result; --execution per-node runs a dbt
 * process per task. Either way every audit row links to the DAG run.
 */
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ALERT_SCHEMA, EVENT_SCHEMA, planCompletionEvent } from '../../src/alerts/message.js';
import { publishInput } from '../../src/alerts/publish.js';
import { PRODUCT_COMPLETED, RUN_FAILED } from '../../src/messages/index.js';
import type { DagExecution } from '../../src/product/manifest.js';
import {
  type AirflowHome,
  airflowBin,
  airflowHome,
  awsEnv,
  type DagReport,
  groupEdges,
  type ProcessorReport,
  type RunReport,
} from '../harness/airflow.js';
import { syntheticBatch } from '../harness/audit-batch.js';
import { expectClearedAfterFix } from '../harness/dag-rerun.js';
import {
  AUDIT_TASKS,
  dagRunUrl,
  expectAuditOfRun,
  expectDbtGroup,
  isProducerTask,
  PRODUCER,
  withFailingModel,
} from '../harness/dag-shape.js';
import { commitAll } from '../harness/git.js';
import { messageErrors } from '../harness/message-schema.js';
import { queryPostgres, runDbt, scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { clients, receive, topicWithQueue } from '../harness/sns-sqs.js';

/** Airflow's base URL in these tests: the audit rows link to DAG runs under it. */
const BASE_URL = 'https://airflow.example.com/';

let product: TestProduct;
let home: AirflowHome;
const cleanups: (() => Promise<void>)[] = [];

/**
 * The retries the products run with: with the watcher, one, at once (dag.test() would wait out a real
 * delay), so a failed node task's retry runs; per node, none.
 */
const RETRIES = { watcher: { count: 1, delay_seconds: 0 }, 'per-node': { count: 0, delay_seconds: 60 } };

/** A product scaffolded with this execution, its manifest compiled, and an Airflow home over its DAG. */
async function deployed(execution?: 'per-node') {
  const scaffolded = await scaffoldTestProduct({
    name: 'shop',
    retries: RETRIES[execution ?? 'watcher'],
    ...(execution ? { execution } : {}),
  });
  cleanups.push(scaffolded.cleanup);
  // What the deploy step does: compile the manifest the DAG parses from.
  const parsed = await runDbt(scaffolded, ['parse']);
  expect(parsed.exitCode, parsed.output).toBe(0);
  const airflow = await airflowHome(path.join(scaffolded.dir, 'dags'), {
    ...scaffolded.env,
    DBT_VENV_PATH: path.dirname(path.dirname(inject('dbtPath'))),
    AIRFLOW__API__BASE_URL: BASE_URL,
  });
  cleanups.push(airflow.cleanup);
  return { product: scaffolded, home: airflow };
}

beforeAll(async () => {
  ({ product, home } = await deployed());
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('the generated MWAA DAG (Airflow 3, Cosmos, dbt)', () => {
  it('loads with no import errors, in the documented order, ruff-formatted, and ruff AIR3 finds nothing', async () => {
    const report = await home.helper<DagReport>('dagbag_report', [path.join(product.dir, 'dags')]);
    expect(report.import_errors).toEqual({});
    expect(Object.keys(report.dags)).toEqual(['shop_dag']);
    const dag = report.dags.shop_dag as DagReport['dags'][string];
    expect(dag.catchup).toBe(false);
    const { tasks } = dag;

    // One dbt build (the watcher's producer), then a task per node taking its result.
    const transform = groupEdges(tasks, 'transform');
    expectDbtGroup(tasks, 'transform', 'watcher');
    expect(Object.keys(tasks).filter((id) => id.includes('.') && !id.startsWith('transform.'))).toEqual([]);
    // The product's own nodes: seeds, the audit tables and views, and each model followed by its tests.
    expect(transform.ids).toEqual(expect.arrayContaining(AUDIT_TASKS));
    expect(transform.ids).toEqual(
      expect.arrayContaining([
        'transform.raw_orders_seed',
        'transform.stg_orders.run',
        'transform.stg_orders.test',
        'transform.fct_orders.run',
        'transform.fct_orders.test',
      ]),
    );
    expect(tasks['transform.stg_orders.test']?.upstream).toEqual(['transform.stg_orders.run']);
    // transform (no upstream products: nothing before it) -> check -> alert | completion_event -> publish_completed
    for (const root of transform.roots) expect(tasks[root]?.upstream).toEqual([]);
    expect(tasks.check?.upstream.sort()).toEqual(transform.leaves.sort());
    expect(tasks.check?.trigger_rule).toBe('all_done');
    expect(tasks.alert).toMatchObject({
      upstream: ['check'],
      trigger_rule: 'one_failed',
      operator: 'airflow.providers.amazon.aws.operators.sns.SnsPublishOperator',
    });
    expect(tasks.completion_event?.upstream).toEqual(['check']);
    expect(tasks.publish_completed).toMatchObject({
      upstream: ['completion_event'],
      operator: 'airflow.providers.amazon.aws.operators.sns.SnsPublishOperator',
    });
    expect(Object.keys(tasks).filter((id) => id.startsWith('wait_for_'))).toEqual([]);
    // dbt-product.yml's retries, on every task but the dbt build and check (never retried).
    for (const [id, each] of Object.entries(tasks)) {
      const retries = [`transform.${PRODUCER}`, 'check'].includes(id) ? 0 : RETRIES.watcher.count;
      expect(each, id).toMatchObject({ retries, retry_delay_seconds: RETRIES.watcher.delay_seconds });
    }

    // The DAG and its helpers beside it (dags/shop_dag_support.py and _watcher.py, which the DAG processor skips).
    const pythonFiles = ['shop_dag.py', 'shop_dag_support.py', 'shop_dag_watcher.py'].map((file) =>
      path.join(product.dir, 'dags', file),
    );
    const ruff = await execa(
      airflowBin('ruff'),
      ['check', '--select', 'AIR3', '--output-format', 'json', ...pythonFiles],
      { reject: false },
    );
    expect(JSON.parse(ruff.stdout)).toEqual([]);
    expect(ruff.exitCode).toBe(0);
    // Generated code is formatted as the product's own would be (ruff format, the black style).
    const format = await execa(airflowBin('ruff'), ['format', '--check', '--isolated', ...pythonFiles], {
      reject: false,
    });
    expect(format.exitCode, format.stdout).toBe(0);

    // The reference pipeline's Lambda indirection, when asked for.
    const viaLambda = await home.helper<DagReport>('dagbag_report', [path.join(product.dir, 'dags')], {
      DBT_PRODUCT_ALERT_LAMBDA: 'shop-alerts',
    });
    expect(viaLambda.dags.shop_dag?.tasks.alert).toMatchObject({
      upstream: ['check'],
      trigger_rule: 'one_failed',
      operator: 'airflow.providers.amazon.aws.operators.lambda_function.LambdaInvokeFunctionOperator',
    });
  });

  it("is parsed and serialised by Airflow's own DAG processor, as the scheduler stores it", async () => {
    // A DagBag does not serialise: an operator argument Airflow cannot store fails only here.
    const report = await home.helper<ProcessorReport>('processor_parse', [path.join(product.dir, 'dags')]);
    expect(report.import_errors).toEqual({});
    expect(Object.keys(report.dags)).toEqual(['shop_dag']);
    expect(report.dags.shop_dag?.parsed_this_run).toBe(true);
    expect(report.dags.shop_dag?.parse_seconds).toBeGreaterThan(0);
  });

  it("in a child product renders none of its parent's nodes (installed as a package)", async () => {
    await commitAll(product.dir, 'shop');
    const child = await scaffoldTestProduct({ name: 'kids', parents: [`file://${product.dir}#HEAD`] });
    cleanups.push(child.cleanup);
    for (const args of [['deps'], ['parse']]) {
      const step = await runDbt(child, args);
      expect(step.exitCode, step.output).toBe(0);
    }
    const report = await home.helper<DagReport>('dagbag_report', [path.join(child.dir, 'dags')]);
    expect(report.import_errors).toEqual({});
    const tasks = report.dags.kids_dag?.tasks ?? {};
    // The child's own audit tables and views and its model; not one of the parent's nodes.
    expect(expectDbtGroup(tasks, 'transform', 'watcher').sort()).toEqual(
      [...AUDIT_TASKS, 'transform.upstream_shop_dim_customers_run'].sort(),
    );
    expect(Object.keys(tasks).filter((id) => id.startsWith('wait_for_'))).toEqual(['wait_for_shop']);
  });

  it('gets one SqsSensor per upstream product, before the transform', async () => {
    const copy = path.join(path.dirname(product.dir), 'shop_with_upstreams');
    await cp(product.dir, copy, { recursive: true });
    cleanups.push(() => rm(copy, { recursive: true, force: true }));
    const file = path.join(copy, 'dbt-product.yml');
    const upstream = (name: string) => `\n  - name: ${name}\n    git: /srv/git/${name}.git\n    revision: v1.0.0`;
    const manifest = await readFile(file, 'utf8');
    expect(manifest).toContain('upstream: []');
    const sensorsFor = async (names: string[]) => {
      await writeFile(file, manifest.replace('upstream: []', `upstream:${names.map(upstream).join('')}`));
      const report = await home.helper<DagReport>('dagbag_report', [path.join(copy, 'dags')]);
      expect(report.import_errors).toEqual({});
      const tasks = (report.dags.shop_dag as DagReport['dags'][string]).tasks;
      const sensors = Object.keys(tasks).filter((id) => id.startsWith('wait_for_'));
      for (const sensor of sensors) {
        expect(tasks[sensor]?.operator).toBe('airflow.providers.amazon.aws.sensors.sqs.SqsSensor');
        expect(tasks[sensor]?.upstream).toEqual([]);
      }
      for (const root of groupEdges(tasks, 'transform').roots) expect(tasks[root]?.upstream.sort()).toEqual(sensors);
      return sensors.sort();
    };
    expect(await sensorsFor(['customers'])).toEqual(['wait_for_customers']);
    expect(await sensorsFor(['customers', 'payments'])).toEqual(['wait_for_customers', 'wait_for_payments']);

    // A dbt-product.yml its JSON Schema refuses: the DAG does not load, and says why in one line.
    await writeFile(file, manifest.replace('upstream: []', `upstream:${upstream('Payments')}`));
    const invalid = await home.helper<DagReport>('dagbag_report', [path.join(copy, 'dags')]);
    const error = Object.values(invalid.import_errors).join('\n');
    expect(error).toContain(
      `ValueError: ${file} is invalid (dbt-product.v1.schema.json): upstream.0.name: 'Payments' does not match '^[a-z][a-z0-9_]*$'`,
    );
    await writeFile(file, manifest.replace('count: 1', 'count: -1'));
    const badRetries = await home.helper<DagReport>('dagbag_report', [path.join(copy, 'dags')]);
    expect(Object.values(badRetries.import_errors).join('\n')).toContain(
      `ValueError: ${file} is invalid (dbt-product.v1.schema.json): retries.count: -1 is less than the minimum of 0`,
    );
    await writeFile(file, manifest.replace(/\nupstream: \[\]\n/, '\n'));
    const missing = await home.helper<DagReport>('dagbag_report', [path.join(copy, 'dags')]);
    expect(Object.values(missing.import_errors).join('\n')).toContain(
      `ValueError: ${file} is invalid (dbt-product.v1.schema.json): the document: 'upstream' is a required property`,
    );
  });

  it("publishes the build's results as Cosmos states them, ~100 node tasks to an XCom, each where its task reads it", async () => {
    const result = (unique_id: string, status: string, message: string | null = null) => ({
      unique_id,
      status,
      message,
    });
    // A real build's run_results.json, the way dbt writes it: models, a seed, tests; then 450 more models.
    const many = Array.from({ length: 450 }, (_, index) => result(`model.shop.m${index}`, 'success'));
    const given = {
      run_results: {
        results: [
          result('seed.shop.raw_orders', 'success'),
          result('model.shop.ok', 'success'),
          result('model.shop.broken', 'error', 'relation "nope" does not exist'),
          result('model.shop.after_broken', 'skipped'),
          result('test.shop.ok_a', 'pass'),
          result('test.shop.ok_b', 'warn', 'Got 1 result, configured to warn if != 0'),
          result('test.shop.bad_a', 'pass'),
          result('test.shop.bad_b', 'fail', 'Got 3 results, configured to fail if != 0'),
          result('test.shop.half_a', 'pass'),
          result('test.shop.skipped_a', 'skipped'),
          ...many,
        ],
      },
      tests_per_model: {
        'model.shop.ok': ['test.shop.ok_a', 'test.shop.ok_b'],
        'model.shop.bad': ['test.shop.bad_a', 'test.shop.bad_b'],
        'model.shop.half': ['test.shop.half_a', 'test.shop.half_b'],
        'model.shop.skipped': ['test.shop.skipped_a'],
      },
      outlet_uris: { 'model.shop.ok': ['postgres://db/shop.ok'] },
      node_tasks: 460,
      build_passed: false,
    };
    const input = path.join(home.dir, 'run-results-given.json');
    await writeFile(input, JSON.stringify(given));
    const out = await home.helper<{
      results: Record<string, { status: string; outlet_uris?: string[]; msg?: string | null }>;
      xcoms: number;
      published: Record<string, { build_passed: boolean; results: Record<string, unknown> }>;
      read_from: Record<string, string>;
    }>('watcher_results', [path.join(product.dir, 'dags'), 'shop', input]);

    // Under Cosmos's own XCom keys, with its statuses: a node dbt skipped in a build failed (upstream).
    expect(out.results.seed__shop__raw_orders_status).toEqual({ status: 'success', outlet_uris: [] });
    expect(out.results.model__shop__ok_status).toEqual({ status: 'success', outlet_uris: ['postgres://db/shop.ok'] });
    expect(out.results.model__shop__broken_status).toEqual({
      status: 'error',
      outlet_uris: [],
      msg: 'relation "nope" does not exist',
    });
    expect(out.results.model__shop__after_broken_status).toMatchObject({ status: 'failed' });
    // A model's tests as one task: passed (a warning passes), failed with the failures' messages, or
    // not yet (a test with no result); tests have no task of their own.
    expect(out.results.model__shop__ok_tests_status).toEqual({ status: 'pass' });
    expect(out.results.model__shop__bad_tests_status).toEqual({
      status: 'fail',
      msg: 'test.shop.bad_b: Got 3 results, configured to fail if != 0',
    });
    expect(out.results.model__shop__skipped_tests_status).toMatchObject({ status: 'fail' });
    expect(out.results.model__shop__half_tests_status).toBeUndefined();
    expect(Object.keys(out.results).filter((key) => key.startsWith('test__'))).toEqual([]);
    expect(Object.keys(out.results)).toHaveLength(454 + 3);

    // 460 node tasks: 5 XComs, each saying how the build ended; every result in exactly the one its task reads.
    expect(out.xcoms).toBe(5);
    expect(Object.keys(out.published).sort()).toEqual([0, 1, 2, 3, 4].map((index) => `dbt_product_results_${index}`));
    const held = Object.entries(out.published).flatMap(([name, xcom]) => {
      expect(xcom.build_passed).toBe(false);
      expect(Object.keys(xcom.results).length, name).toBeGreaterThan(50);
      expect(Object.keys(xcom.results).length, name).toBeLessThan(150);
      return Object.keys(xcom.results).map((key) => [key, name]);
    });
    expect(Object.fromEntries(held)).toEqual(out.read_from);
    expect(held).toHaveLength(Object.keys(out.results).length);
  });

  it('refuses DBT_TEST_BEHAVIOR=build with the watcher in one line (its build already runs the tests)', async () => {
    const report = await home.helper<DagReport>('dagbag_report', [path.join(product.dir, 'dags')], {
      DBT_TEST_BEHAVIOR: 'build',
    });
    const errors = Object.values(report.import_errors);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(
      'ValueError: DBT_TEST_BEHAVIOR=build needs EXECUTION per-node: with the watcher each ' +
        "model's tests are their own task already (after_each)",
    );
    expect(report.dags.shop_dag).toBeUndefined();
  });

  it('retries every task as dbt-product.yml says, by default twice 5 minutes apart, but never the dbt build or check', async () => {
    const copy = path.join(path.dirname(product.dir), 'shop_default_retries');
    await cp(product.dir, copy, { recursive: true });
    cleanups.push(() => rm(copy, { recursive: true, force: true }));
    const file = path.join(copy, 'dbt-product.yml');
    const manifest = await readFile(file, 'utf8');
    const withoutRetries = manifest.replace(/\nretries:\n( {2}.*\n)+/, '\n');
    expect(withoutRetries).not.toMatch(/^retries:/m);
    await writeFile(file, withoutRetries);
    const report = await home.helper<DagReport>('dagbag_report', [path.join(copy, 'dags')]);
    expect(report.import_errors).toEqual({});
    const tasks = report.dags.shop_dag?.tasks ?? {};
    const once = [`transform.${PRODUCER}`, 'check'];
    const retried = Object.keys(tasks).filter((id) => !once.includes(id));
    // Node tasks (a retry runs dbt for its node alone), check, alert, completion_event, publish_completed.
    expect(retried).toEqual(expect.arrayContaining(['transform.stg_orders.run', 'alert', 'publish_completed']));
    for (const id of retried) expect(tasks[id], id).toMatchObject({ retries: 2, retry_delay_seconds: 300 });
    // Cosmos skips a retried producer rather than build twice: the DAG never retries it, nor
    // check (its failure is the verdict; a second try means it was cleared after a fix).
    for (const id of once) expect(tasks[id]?.retries, id).toBe(0);
  });

  it('waits for its upstream product, runs on PostgreSQL with the hook auditing every node, and announces completion', {
    timeout: 300_000,
  }, async () => {
    const events = await topicWithQueue();
    const alerts = await topicWithQueue();
    // The upstream product "customers" announces completion as dbt-run does, on a topic this
    // product's queue subscribes to; an unrelated product's event on the same topic is not it.
    const upstream = await topicWithQueue();
    const { sns, sqs } = clients();
    // What the sensor receives and leaves (not its upstream's) is visible again a second later.
    await sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: upstream.queueUrl, Attributes: { VisibilityTimeout: '1' } }),
    );
    for (const name of ['other', 'customers']) {
      const event = planCompletionEvent(syntheticBatch(3), { product: name, environment: 'prod' });
      if (event) await sns.send(new PublishCommand(publishInput(upstream.topicArn, event)));
    }
    const file = path.join(product.dir, 'dbt-product.yml');
    const manifest = await readFile(file, 'utf8');
    await writeFile(
      file,
      manifest.replace(
        'upstream: []',
        'upstream:\n  - name: customers\n    git: /srv/git/customers.git\n    revision: v1.0.0',
      ),
    );
    let run: RunReport;
    try {
      run = await home.helper<RunReport>('dag_test_run', ['shop_dag'], {
        ...awsEnv(alerts.topicArn, events.topicArn),
        AIRFLOW_VAR_SHOP_UPSTREAM_QUEUE_URL: upstream.queueUrl,
      });
    } finally {
      await writeFile(file, manifest);
    }
    expect(run.state, JSON.stringify(run.tasks)).toBe('success');
    expect(run.tasks.wait_for_customers).toBe('success');
    // The other product's event was left in the queue.
    expect((await receive(upstream.queueUrl)).map((message) => message.attributes.product)).toEqual(['other']);
    await expectGreenRun({ product, home }, 'watcher', run, events.queueUrl);
    expect(await receive(alerts.queueUrl)).toEqual([]);
  });

  it('a failing model fails its task, its dependents and check, and the alert reaches SQS; cleared after the fix, only it and its dependents run again, in the same DAG run', {
    timeout: 420_000,
  }, async () => {
    const failed = await failingModelRun({ product, home }, 'watcher');
    await expectClearedAfterFix({ product, home }, failed, { major: 3, baseUrl: BASE_URL });
  });
});

describe('the generated MWAA DAG with --execution per-node (a dbt process per task)', () => {
  let perNode: Deployed;
  beforeAll(async () => {
    perNode = await deployed('per-node');
  });

  it("loads with Cosmos's LOCAL operators in the same order, and no watcher task", async () => {
    const report = await perNode.home.helper<DagReport>('dagbag_report', [path.join(perNode.product.dir, 'dags')]);
    expect(report.import_errors).toEqual({});
    const tasks = report.dags.shop_dag?.tasks ?? {};
    expect(expectDbtGroup(tasks, 'transform', 'per-node')).toEqual(expect.arrayContaining(AUDIT_TASKS));
    const transform = groupEdges(tasks, 'transform');
    expect(tasks['transform.stg_orders.test']?.upstream).toEqual(['transform.stg_orders.run']);
    for (const root of transform.roots) expect(tasks[root]?.upstream).toEqual([]);
    expect(tasks.check?.upstream.sort()).toEqual(transform.leaves.sort());
    expect(tasks.alert).toMatchObject({ upstream: ['check'], trigger_rule: 'one_failed' });
  });

  // One run, not a green one and a failing one (each starts ~20 dbt processes, 2 minutes here): the
  // tasks the failing model does not reach succeed and are audited as in a green run, and what the
  // green run alone shows (the completion event, every node audited once) is the watcher's above,
  // from the same check and completion tasks over the same operator kinds (see the load test).
  it('runs on PostgreSQL, every task its own dbt linking to the run; a failing model fails its task, its dependents and check, and the alert reaches SQS', {
    timeout: 300_000,
  }, async () => {
    const run = await failingModelRun(perNode, 'per-node');
    await expectAuditOfPartialRun(perNode.product, run);
  });
});

/**
 * The audit of a per-node run where stg_orders failed: every node task that ran (succeeded or
 * failed) has its row, written by the hook of its own dbt process and linking to the run; each
 * process has its invocation row with the DAG run's id and page, counting its own nodes.
 */
async function expectAuditOfPartialRun(product: TestProduct, run: RunReport) {
  const runUrl = dagRunUrl(3, BASE_URL, 'shop_dag', run.run_id);
  const rows = await queryPostgres<{ invocation_id: string; name: string; resource_type: string; status: string }>(
    `select invocation_id, name, resource_type, status from ${product.schema}_audit.dbt_audit_log
     where run_url = $1 and run_source = 'airflow' and recorded_by = 'hook'`,
    [runUrl],
  );
  // A model with tests is a group (transform.stg_orders.run); one without, a task (transform.dbt_audit_log_run).
  const nodeTask = /^transform\.(\w+)[._](run|seed)$/;
  const ran = Object.entries(run.tasks).filter(
    ([id, state]) => nodeTask.test(id) && ['success', 'failed'].includes(state),
  );
  expect(ran.length).toBeGreaterThan(5);
  for (const [id, state] of ran) {
    const name = nodeTask.exec(id)?.[1];
    expect(rows.find((row) => row.name === name && row.resource_type !== 'test')?.status, id).toBe(
      state === 'success' ? 'success' : 'error',
    );
  }
  const processes = new Set(rows.map((row) => row.invocation_id));
  expect(processes.size).toBeGreaterThan(5);
  const invocations = await queryPostgres<{ invocation_id: string; status: string; nodes_total: string }>(
    `select invocation_id, status, nodes_total from ${product.schema}_audit.dbt_audit_invocations
     where run_id = $1 and run_url = $2 and run_source = 'airflow'`,
    [run.run_id, runUrl],
  );
  expect(new Set(invocations.map((row) => row.invocation_id))).toEqual(processes);
  for (const invocation of invocations) {
    const own = rows.filter((row) => row.invocation_id === invocation.invocation_id);
    expect(Number(invocation.nodes_total), invocation.invocation_id).toBe(own.length);
    expect(invocation.status, invocation.invocation_id).toBe(
      own.every((row) => ['success', 'pass'].includes(row.status)) ? 'success' : 'failed',
    );
  }
}

type Deployed = { product: TestProduct; home: AirflowHome };

/** A green run: every dbt task succeeded, the audit as `expectAuditOfRun` says, one completion event. */
async function expectGreenRun(target: Deployed, execution: DagExecution, run: RunReport, eventsQueue: string) {
  const dbtTasks = Object.entries(run.tasks).filter(([id]) => /^transform\./.test(id));
  expect(dbtTasks.length).toBeGreaterThan(10);
  for (const [id, state] of dbtTasks) expect(state, id).toBe('success');
  expect(run.tasks).toMatchObject({ check: 'success', alert: 'skipped', publish_completed: 'success' });

  // Every node was built and recorded once by the in-dbt hook (Cosmos runs plain dbt), linking to this run.
  const rows = await expectAuditOfRun(target.product, execution, {
    url: dagRunUrl(3, BASE_URL, 'shop_dag', run.run_id),
    id: run.run_id,
  });
  const built = new Set(rows.map((row) => row.unique_id));
  for (const model of ['stg_orders', 'stg_customers', 'fct_orders', 'dim_customers'])
    expect(built).toContain(`model.shop.${model}`);

  const nodeTasks = dbtTasks.filter(([id]) => !isProducerTask(id));
  const [event, ...more] = await receive(eventsQueue);
  expect(more).toEqual([]);
  expect(messageErrors(PRODUCT_COMPLETED, event?.document)).toEqual([]);
  // The same document as dbt-run's product.completed: same keys, same schema and version.
  const runnerEvent = planCompletionEvent(syntheticBatch(1), { product: 'shop', environment: 'prod' });
  expect(Object.keys(event?.document ?? {}).sort()).toEqual(Object.keys(runnerEvent?.document ?? {}).sort());
  expect(event?.document).toMatchObject({
    schema: EVENT_SCHEMA,
    version: runnerEvent?.document.version,
    event_type: 'product.completed',
    product: 'shop',
    environment: 'prod',
    producer: 'airflow',
    target: 'postgres',
    invocation_id: run.run_id,
    nodes_built: nodeTasks.filter(([id]) => !/test$/.test(id)).length,
    tests_passed: nodeTasks.filter(([id]) => /test$/.test(id)).length,
  });
  expect(event?.subject).toBe('[shop][prod] completed');
  expect(event?.attributes).toEqual({
    product: 'shop',
    environment: 'prod',
    event_type: 'product.completed',
    severity: 'info',
  });
}

/**
 * A model that fails: its task fails, its tests and dependents' tasks are upstream_failed, a model
 * beside it succeeds, `check` fails the run and one alert reaches SQS. With the watcher, the one
 * build failed too, and it is the only dbt invocation of the product's nodes in the run.
 */
async function failingModelRun({ product, home }: Deployed, execution: DagExecution): Promise<RunReport> {
  return withFailingModel(product, async () => {
    const events = await topicWithQueue();
    const alerts = await topicWithQueue();
    const run = await home.helper<RunReport>('dag_test_run', ['shop_dag'], awsEnv(alerts.topicArn, events.topicArn));
    expect(run.state).toBe('failed');
    expect(run.tasks).toMatchObject({
      'transform.stg_orders.run': 'failed',
      'transform.stg_orders.test': 'upstream_failed',
      'transform.fct_orders.run': 'upstream_failed',
      'transform.dim_customers.run': 'upstream_failed',
      // A model beside it is built (its tests hold a relationship to stg_orders, which dbt skips).
      'transform.stg_customers.run': 'success',
      check: 'failed',
      alert: 'success',
      completion_event: 'upstream_failed',
    });
    const rows = await queryPostgres<{ invocation_id: string; name: string; status: string }>(
      `select invocation_id, name, status from ${product.schema}_audit.dbt_audit_log where run_url = $1 and name not like '%audit%'`,
      [dagRunUrl(3, BASE_URL, 'shop_dag', run.run_id)],
    );
    expect(rows.find((row) => row.name === 'stg_orders')?.status).toBe('error');
    if (execution === 'watcher') {
      expect(run.tasks['transform.dbt_producer_watcher']).toBe('failed');
      // One build; the failed model's task was retried once (dbt-product.yml), running dbt for that
      // model alone, which failed again: never a second build, nor a node that had succeeded.
      const invocations = await queryPostgres<{ invocation_id: string; command: string }>(
        `select invocation_id, command from ${product.schema}_audit.dbt_audit_invocations where run_id = $1`,
        [run.run_id],
      );
      const builds = invocations.filter((row) => row.command === 'build');
      expect(builds).toHaveLength(1);
      const build = builds[0];
      const others = invocations.filter((row) => row !== build);
      expect(others.map((row) => row.command)).toContain('run');
      for (const row of others) expect(['run', 'test'], row.invocation_id).toContain(row.command);
      const retried = rows.filter((row) => row.invocation_id !== build?.invocation_id);
      expect(retried.filter((row) => row.name === 'stg_orders').map((row) => row.status)).toEqual(['error']);
      for (const row of retried) expect(row.name, row.invocation_id).not.toMatch(/^(stg_customers|raw_\w+)$/);
    }

    const [alert, ...more] = await receive(alerts.queueUrl);
    expect(more).toEqual([]);
    expect(alert?.subject).toBe('[shop][prod] Airflow DAG shop_dag failed');
    expect(alert?.attributes).toEqual({
      product: 'shop',
      environment: 'prod',
      event_type: 'run.failed',
      severity: 'error',
    });
    expect(messageErrors(RUN_FAILED, alert?.document)).toEqual([]);
    expect(alert?.document).toMatchObject({
      schema: ALERT_SCHEMA,
      event_type: 'run.failed',
      product: 'shop',
      dag_id: 'shop_dag',
      invocation_id: run.run_id,
      // Version 2: the shape of dbt-run's alert; what only dbt-run knows is null.
      producer: 'airflow',
      status: 'failed',
      counts: null,
    });
    const failures = (alert?.document.failures ?? []) as { task_id: string; status: string; unique_id: null }[];
    const failed = failures.map((failure) => failure.task_id);
    expect(failed).toContain('transform.stg_orders.run');
    expect(failures.find((failure) => failure.task_id === 'transform.stg_orders.run')).toMatchObject({
      status: 'failed',
      unique_id: null,
    });
    expect(await receive(events.queueUrl)).toEqual([]);
    return run;
  });
}
