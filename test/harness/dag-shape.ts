/**
 * What the generated Cosmos DAG must look like and leave behind, for each way
 * it runs dbt (--execution watcher or per-node), shared by the Airflow 3 and
 * Airflow 2.10 tests: the operators of each dbt task group, the watcher's
 * build ordered before the tasks that read it, and the audit rows one DAG run
 * writes (one dbt invocation with the watcher, each row linking to the DAG run).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import type { DagExecution } from '../../src/product/manifest.js';
import { type AirflowMajor, type DagReport, groupEdges } from './airflow.js';
import { queryPostgres, runDbt, type TestProduct } from './product.js';

/** Cosmos's task running the one `dbt build` of a group (cosmos.constants.PRODUCER_WATCHER_TASK_ID). */
export const PRODUCER = 'dbt_producer_watcher';

/** The audit tables and views, built in the same group (and, with the watcher, the same dbt build) as the rest. */
export const AUDIT_TASKS = [
  'transform.audit_latest_status_run',
  'transform.audit_model_duration_trend_run',
  'transform.audit_recent_failures_run',
  'transform.dbt_audit_invocations_run',
  'transform.dbt_audit_log_run',
];

/** The producer and Cosmos's gate after it: tasks of the watcher, not of a dbt node. */
export function isProducerTask(id: string): boolean {
  return (id.split('.').at(-1) ?? '').startsWith(PRODUCER);
}

type Tasks = DagReport['dags'][string]['tasks'];

/** The group's dbt node tasks (not the watcher's own), after checking how they run dbt. */
export function expectDbtGroup(tasks: Tasks, group: string, execution: DagExecution): string[] {
  const { ids, roots } = groupEdges(tasks, group);
  const nodes = ids.filter((id) => !isProducerTask(id));
  expect(nodes.length).toBeGreaterThan(0);
  if (execution === 'per-node') {
    expect(ids).toEqual(nodes);
    for (const id of nodes) expect(tasks[id]?.operator, id).toMatch(/^cosmos\.operators\.local\.Dbt\w+LocalOperator$/);
    return nodes;
  }
  const producer = `${group}.${PRODUCER}`;
  // Cosmos's watcher classes, made lighter by the DAG's watcher module (producer_first, light_node_tasks).
  expect(tasks[producer]).toMatchObject({
    operator: expect.stringMatching(/^\w+_dag_watcher\.DbtProducerWatcherOperator$/),
    library_operator: 'cosmos.operators.watcher.DbtProducerWatcherOperator',
  });
  expect(ids.filter(isProducerTask).sort()).toEqual([producer, `${producer}_done`]);
  // The build leads its group: every other task follows it (Cosmos does not order it in a task group).
  expect(roots).toEqual([producer]);
  for (const id of nodes) {
    expect(tasks[id]?.operator, id).toMatch(/^\w+_dag_watcher\.Dbt(Run|Seed|Snapshot|Test)WatcherOperator$/);
    expect(tasks[id]?.library_operator, id).toMatch(
      /^cosmos\.operators\.watcher\.Dbt(Run|Seed|Snapshot|Test)WatcherOperator$/,
    );
    // The first node tasks read the build's results once it is done, passed or failed.
    if (tasks[id]?.upstream.includes(producer))
      expect(tasks[id]).toMatchObject({ upstream: [producer], trigger_rule: 'one_done' });
  }
  return nodes;
}

/** The page of one DAG run in the Airflow UI, as the DAG computes it from Airflow's base URL. */
export function dagRunUrl(major: AirflowMajor, base: string, dagId: string, runId: string): string {
  const root = base.replace(/\/+$/, '');
  // Python's quote(): what encodeURIComponent leaves alone but for `/`, which a run id does not hold.
  return major === 3
    ? `${root}/dags/${dagId}/runs/${encodeURIComponent(runId)}`
    : `${root}/dags/${dagId}/grid?dag_run_id=${encodeURIComponent(runId)}`;
}

/** The product's dbt nodes a run builds, from its compiled manifest: `audit` (tag:audit) or `transform` (the rest). */
async function manifestNodes(product: TestProduct): Promise<{ audit: Set<string>; transform: Set<string> }> {
  const manifest = JSON.parse(await readFile(path.join(product.dir, 'target', 'manifest.json'), 'utf8')) as {
    nodes: Record<
      string,
      { package_name: string; resource_type: string; tags: string[]; depends_on?: { nodes: string[] } }
    >;
  };
  const own = Object.entries(manifest.nodes).filter(
    ([, node]) =>
      node.package_name === product.name && ['model', 'seed', 'snapshot', 'test'].includes(node.resource_type),
  );
  const tagged = new Set(own.filter(([, node]) => node.tags.includes('audit')).map(([id]) => id));
  const audit = new Set<string>();
  const transform = new Set<string>();
  for (const [id, node] of own) {
    const parents = node.depends_on?.nodes ?? [];
    const ofAudit =
      tagged.has(id) || (node.resource_type === 'test' && parents.length > 0 && parents.every((p) => tagged.has(p)));
    (ofAudit ? audit : transform).add(id);
  }
  return { audit, transform };
}

interface AuditRow {
  invocation_id: string;
  unique_id: string;
  status: string;
  run_source: string;
  run_url: string | null;
  recorded_by: string;
}

/**
 * The audit rows of one green DAG run: every dbt node's, each linking to the run. With the watcher,
 * one row per node, and all of them one dbt invocation (one process built them); per
 * node, one invocation per task.
 */
export async function expectAuditOfRun(
  product: TestProduct,
  execution: DagExecution,
  dagRun: { url: string; id: string },
) {
  const runUrl = dagRun.url;
  const rows = await queryPostgres<AuditRow>(
    `select invocation_id, unique_id, status, run_source, run_url, recorded_by from ${product.schema}_audit.dbt_audit_log`,
  );
  const expected = await manifestNodes(product);
  for (const row of rows) {
    expect(row, row.unique_id).toMatchObject({ run_source: 'airflow', run_url: runUrl, recorded_by: 'hook' });
    expect(['success', 'pass'], row.unique_id).toContain(row.status);
  }
  const ids = rows.map((row) => row.unique_id);
  expect(new Set(ids)).toEqual(new Set([...expected.audit, ...expected.transform]));
  const invocationsOf = (nodes: Set<string>) =>
    new Set(rows.filter((row) => nodes.has(row.unique_id)).map((row) => row.invocation_id));
  if (execution === 'watcher') {
    // One row per dbt node: no node ran twice.
    expect(ids.length).toBe(new Set(ids).size);
    // Exactly one dbt process built every node of the product, the audit's among them.
    expect(new Set(rows.map((row) => row.invocation_id)).size).toBe(1);
  } else {
    // A dbt process per task: a test of two models runs with each model's tests.
    expect(invocationsOf(expected.transform).size).toBeGreaterThan(1);
  }
  // Each dbt process's invocation row, written by the hook (no dbt-run here): the DAG run's id and page.
  const invocations = await queryPostgres<{ invocation_id: string; nodes_total: string }>(
    `select invocation_id, command, status, run_source, run_id, run_url, nodes_total
     from ${product.schema}_audit.dbt_audit_invocations`,
  );
  expect(new Set(invocations.map((row) => row.invocation_id))).toEqual(new Set(rows.map((row) => row.invocation_id)));
  for (const invocation of invocations) {
    expect(invocation, invocation.invocation_id).toMatchObject({
      status: 'success',
      run_source: 'airflow',
      run_id: dagRun.id,
      run_url: runUrl,
      ...(execution === 'watcher' ? { command: 'build' } : {}),
    });
    const nodes = rows.filter((row) => row.invocation_id === invocation.invocation_id).length;
    expect(Number(invocation.nodes_total), invocation.invocation_id).toBe(nodes);
  }
  return rows;
}

/**
 * Runs `work` while the product's stg_orders model fails (a column that does not exist),
 * with the manifest the DAG reads parsed from it; the model is restored afterwards.
 */
export async function withFailingModel<T>(product: TestProduct, work: () => Promise<T>): Promise<T> {
  const model = path.join(product.dir, 'models', 'staging', 'stg_orders.sql');
  const original = await readFile(model, 'utf8');
  await writeFile(model, `${original.trimEnd()}\nwhere no_such_column = 1\n`);
  try {
    const parsed = await runDbt(product, ['parse']);
    expect(parsed.exitCode, parsed.output).toBe(0);
    return await work();
  } finally {
    await writeFile(model, original);
  }
}
