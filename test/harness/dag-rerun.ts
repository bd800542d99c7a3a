/**
 * Clearing a failed model's task after the fix, in the same DAG run, as the Airflow UI's "Clear"
 * with "Downstream" does (test/harness/airflow/dag_rerun_cleared.py), and what that must leave
 * behind: shared by the Airflow 3 and Airflow 2.10 tests of the generated DAG (--execution watcher).
 */
import { expect } from 'vitest';
import { PRODUCT_COMPLETED } from '../../src/messages/index.js';
import { type AirflowHome, type AirflowMajor, awsEnv, type RerunReport, type RunReport } from './airflow.js';
import { AUDIT_TASKS, dagRunUrl, PRODUCER } from './dag-shape.js';
import { messageErrors } from './message-schema.js';
import { queryPostgres, runDbt, type TestProduct } from './product.js';
import { receive, topicWithQueue } from './sns-sqs.js';

/**
 * A failed run of the product (its stg_orders failing, as `withFailingModel` makes it), the model
 * fixed and deployed: the failed model's task cleared with everything downstream of it, in that DAG
 * run, as the Airflow UI's "Clear" with "Downstream" does; the run goes on. The model's task runs dbt
 * for that model alone (Cosmos's fallback, the build being over). Its dependents' tasks, which had
 * never run, first read the build's result for their node (Cosmos 1.15 does on a task's first try)
 * and fail; their retry runs dbt for their node alone. Never the whole build again nor a node that
 * had succeeded; the hook records each of those dbt processes against the same DAG run; the run ends
 * green, with no second alert and one completion event. `major` and `baseUrl`: the run's page.
 */
export async function expectClearedAfterFix(
  { product, home }: { product: TestProduct; home: AirflowHome },
  failed: RunReport,
  { major, baseUrl }: { major: AirflowMajor; baseUrl: string },
) {
  const deployedFix = await runDbt(product, ['parse']);
  expect(deployedFix.exitCode, deployedFix.output).toBe(0);
  const invocationsOfRun = () =>
    queryPostgres<{ invocation_id: string; command: string; status: string; run_url: string }>(
      `select invocation_id, command, status, run_url from ${product.schema}_audit.dbt_audit_invocations where run_id = $1`,
      [failed.run_id],
    );
  const before = await invocationsOfRun();

  const events = await topicWithQueue();
  const alerts = await topicWithQueue();
  const rerun = await home.helper<RerunReport>(
    'dag_rerun_cleared',
    ['shop_dag', failed.run_id, 'transform.stg_orders.run'],
    awsEnv(alerts.topicArn, events.topicArn),
  );
  expect(rerun.run_id).toBe(failed.run_id);
  expect(rerun.state, JSON.stringify(rerun.tasks)).toBe('success');
  // What "Downstream" takes: the model's task, its tests', its dependents' and the tasks after the group.
  expect(rerun.cleared).toEqual(
    expect.arrayContaining([
      'transform.stg_orders.run',
      'transform.stg_orders.test',
      'transform.fct_orders.run',
      'transform.dim_customers.run',
      'check',
      'alert',
      'completion_event',
      'publish_completed',
    ]),
  );
  const builtOnce = [
    `transform.${PRODUCER}`,
    'transform.stg_customers.run',
    'transform.raw_orders_seed',
    ...AUDIT_TASKS,
  ];
  for (const id of builtOnce) expect(rerun.cleared, id).not.toContain(id);
  // The cleared tasks ran again; the others kept their state and tries: the build stays failed.
  for (const id of rerun.cleared) expect(rerun.tasks[id], id).toBe(id === 'alert' ? 'skipped' : 'success');
  for (const [id, state] of Object.entries(failed.tasks))
    if (!rerun.cleared.includes(id)) expect(rerun.tasks[id], id).toBe(state);
  for (const id of builtOnce) expect(rerun.tries[id], id).toBe(1);
  expect(rerun.tasks).toMatchObject({
    [`transform.${PRODUCER}`]: 'failed',
    [`transform.${PRODUCER}_done`]: 'upstream_failed',
  });

  // No second build: each new dbt process ran one cleared node (dbt run or dbt test), recorded
  // by the hook against the same DAG run.
  const after = await invocationsOfRun();
  const added = after.filter((row) => !before.some((old) => old.invocation_id === row.invocation_id));
  expect(after.filter((row) => row.command === 'build')).toHaveLength(1);
  expect(added.length).toBeGreaterThan(0);
  const url = dagRunUrl(major, baseUrl, 'shop_dag', failed.run_id);
  for (const row of added) {
    expect(['run', 'test'], row.invocation_id).toContain(row.command);
    expect(row).toMatchObject({ status: 'success', run_url: url });
  }
  const rows = await queryPostgres<{ invocation_id: string; unique_id: string; status: string }>(
    `select invocation_id, unique_id, status from ${product.schema}_audit.dbt_audit_log
     where invocation_id = any($1)`,
    [added.map((row) => row.invocation_id)],
  );
  const rebuilt = new Set(rows.map((row) => row.unique_id));
  expect(rows.filter((row) => row.unique_id === 'model.shop.stg_orders').map((row) => row.status)).toEqual(['success']);
  // Models: the fixed one and those downstream of it, which dbt had skipped in the build; and their tests.
  const models = [...rebuilt].filter((node) => !node.startsWith('test.')).sort();
  expect(models).toEqual(['model.shop.dim_customers', 'model.shop.fct_orders', 'model.shop.stg_orders']);

  // check passes on its second try (the node tasks carry each node's result); no alert, one event.
  expect(await receive(alerts.queueUrl)).toEqual([]);
  const [event, ...more] = await receive(events.queueUrl);
  expect(more).toEqual([]);
  expect(messageErrors(PRODUCT_COMPLETED, event?.document)).toEqual([]);
  expect(event?.document).toMatchObject({ invocation_id: failed.run_id, event_type: 'product.completed' });
}
