/**
 * DAG run time (issue 18): the generated Cosmos DAG, as generated
 * (`--execution watcher`: one `dbt build` per DAG run, a task per node taking
 * its result), run with `airflow dags test` (the harness's dag_test_run.py:
 * `dag.test()`, every task in turn in one process) on the test PostgreSQL,
 * against one `dbt build` of the same selection with the same target and dbt,
 * and against the floor: the same DAG shape with every task an EmptyOperator
 * (bench/floor_dag.py, built from the real DAG's task graph), which is what
 * Airflow itself spends per task. Sizes: synthetic products of N view models
 * (BENCH_DAG_RUN_MODELS, default "50,200") on top of the demo product.
 *
 * Each round runs the three interleaved (dbt build, DAG run, floor), after one
 * warm-up dbt build that creates the schemas; rounds per size from
 * BENCH_DAG_RUN_ROUNDS ("3", or one count per size: "3,2"). Every figure is a
 * wall time of the whole process (for the DAG runs: Python start, Airflow's
 * import and parse, the run); the floor pays the same start, so
 * `dag_run_ratio_over_floor` = (DAG run − floor) / dbt build is what the DAG
 * adds over Airflow's own cost, as a multiple of one build (goal ≤ 1.3);
 * `dag_run_ratio` = DAG run / dbt build, raw. The machine's load average is
 * recorded with every sample: other work on the machine moves these figures.
 *
 * Asserted (correctness, not speed): each DAG run succeeded with every task of
 * its dbt group, `check` and `publish_completed` succeeding, one completion
 * event in SQS; each floor run succeeded with the same task ids; each dbt
 * build exited 0. The dbt processes a DAG run starts are counted by a `dbt`
 * wrapper in DBT_VENV_PATH (every start appends a line), beside the hook's
 * invocation rows for the run. Where each run's time went inside Airflow
 * (the run as Airflow timed it, the producer, the node tasks, the gaps between
 * tasks) is read from the metadata DB by test/harness/airflow/task_durations.py,
 * for the DAG and the floor alike. `airflow dags test` runs one task at a time:
 * what a scheduler with parallel workers would overlap is not measured here.
 * Results: bench/results/dag-run.json (BENCH_DAG_RUN_RESULTS overrides).
 */
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { expect, inject, it } from 'vitest';
import { COSMOS_VERSION } from '../src/orchestration/airflow.js';
import { kitVersion } from '../src/version.js';
import {
  type AirflowHome,
  airflowBin,
  airflowHome,
  awsEnv,
  type DagReport,
  type RunReport,
} from '../test/harness/airflow.js';
import { isProducerTask, PRODUCER } from '../test/harness/dag-shape.js';
import { queryPostgres, runDbt, type TestProduct } from '../test/harness/product.js';
import { receive, topicWithQueue } from '../test/harness/sns-sqs.js';
import { median, seconds } from './stats.js';
import { syntheticProduct } from './synthetic.js';

const SIZES = (process.env.BENCH_DAG_RUN_MODELS ?? '50,200').split(',').map(Number);
const ROUNDS = (process.env.BENCH_DAG_RUN_ROUNDS ?? '3').split(',').map(Number);
const RESULTS = path.resolve(
  process.env.BENCH_DAG_RUN_RESULTS ?? fileURLToPath(new URL('./results/dag-run.json', import.meta.url)),
);
const GOAL_RATIO_OVER_FLOOR = 1.3;
const DAG_ID = 'bench_dag';
const FLOOR_DAG_ID = 'bench_floor';
/** What the watcher's producer builds (the generated DAG's transform group): the reference build selects the same. */
const SELECTION = ['--select', 'package:bench', '--exclude', 'resource_type:operation'];
/**
 * The profile and target as Cosmos names them to the producer's dbt: the deploy's parse (deploy.yml's
 * `dbt parse --profile <name> --target <target>`) and the reference build pass them too, so all three
 * reuse one partial parse (dbt parses the whole project again when --profile or --target differ).
 */
const PROFILE = ['--profile', 'bench', '--target', 'postgres'];

interface Round {
  dbt_build_s: number;
  dag_run_s: number;
  floor_s: number;
  dbt_processes: number;
  /** The first argument of each dbt start (its command). */
  dbt_commands: string[];
  audit_invocations: number;
  /** os.loadavg() (1, 5, 15 minutes) as the round started. */
  load_average: number[];
  dag_run_breakdown: Awaited<ReturnType<typeof breakdown>>;
  floor_breakdown: Awaited<ReturnType<typeof breakdown>>;
}

/** The product's own dbt nodes by resource type, from its compiled manifest. */
async function nodeCounts(product: TestProduct): Promise<Record<string, number>> {
  const manifest = JSON.parse(await readFile(path.join(product.dir, 'target', 'manifest.json'), 'utf8')) as {
    nodes: Record<string, { package_name: string; resource_type: string }>;
  };
  const counts: Record<string, number> = {};
  for (const node of Object.values(manifest.nodes))
    if (node.package_name === product.name) counts[node.resource_type] = (counts[node.resource_type] ?? 0) + 1;
  return counts;
}

/** A venv folder whose bin/dbt records each start in `log`, then runs the real dbt: the DAG's DBT_VENV_PATH. */
async function countingDbt(root: string, log: string): Promise<string> {
  const venv = path.join(root, 'dbt-counted');
  await mkdir(path.join(venv, 'bin'), { recursive: true });
  const wrapper = path.join(venv, 'bin', 'dbt');
  const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  await writeFile(wrapper, `#!/bin/sh\necho "$1" >> ${quote(log)}\nexec ${quote(inject('dbtPath'))} "$@"\n`);
  await chmod(wrapper, 0o755);
  return venv;
}

interface TaskTimes {
  start_date: string | null;
  end_date: string | null;
  tasks: Record<string, { state: string; duration: number | null }>;
}

/**
 * Where one DAG run's time went (test/harness/airflow/task_durations.py, from the home's metadata DB):
 * the run itself as Airflow timed it (`run_s`, without the process's start and parse), and the summed
 * durations of its producer, its node tasks and the rest.
 */
async function breakdown(home: AirflowHome, dagId: string, runId: string) {
  const out = path.join(home.dir, `task-durations-${runId.replaceAll(/[^\w.-]/g, '_')}.json`);
  const script = fileURLToPath(new URL('../test/harness/airflow/task_durations.py', import.meta.url));
  const result = await execa(airflowBin('python'), [script, dagId, runId, out], {
    env: home.env,
    reject: false,
    all: true,
  });
  expect(result.exitCode, result.all?.slice(-2000)).toBe(0);
  const times = JSON.parse(await readFile(out, 'utf8')) as TaskTimes;
  const sum = (keep: (id: string) => boolean) =>
    Object.entries(times.tasks)
      .filter(([id]) => keep(id))
      .reduce((total, [, task]) => total + (task.duration ?? 0), 0);
  const isNode = (id: string) => id.startsWith('transform.') && !isProducerTask(id);
  const run_s = (Date.parse(times.end_date ?? '') - Date.parse(times.start_date ?? '')) / 1000;
  return {
    run_s,
    producer_s: sum((id) => id === `transform.${PRODUCER}`),
    node_tasks_s: sum(isNode),
    other_tasks_s: sum((id) => !isNode(id) && id !== `transform.${PRODUCER}`),
    between_tasks_s: run_s - sum(() => true),
  };
}

async function measure(models: number, rounds: number) {
  const product = await syntheticProduct(models);
  try {
    const env = { DBT_TARGET: 'postgres' };
    const parsed = await runDbt(product, ['parse', ...PROFILE], env);
    expect(parsed.exitCode, parsed.output.slice(-2000)).toBe(0);
    const nodes = await nodeCounts(product);
    const root = path.dirname(product.dir);
    const starts = path.join(root, 'dbt-starts.log');
    const alerts = await topicWithQueue();
    const home = await airflowHome(path.join(product.dir, 'dags'), {
      ...product.env,
      ...awsEnv(alerts.topicArn, alerts.topicArn),
      AIRFLOW_VAR_BENCH_ALERT_TOPIC_ARN: alerts.topicArn,
      DBT_VENV_PATH: await countingDbt(root, starts),
    });

    // The floor: the real DAG's graph, every task an EmptyOperator.
    const report = await home.helper<DagReport>('dagbag_report', [path.join(product.dir, 'dags')]);
    expect(report.import_errors).toEqual({});
    const tasks = report.dags[DAG_ID]?.tasks ?? {};
    expect(Object.keys(tasks).length).toBeGreaterThan(models);
    const floorDags = path.join(root, 'floor-dags');
    await mkdir(floorDags, { recursive: true });
    await copyFile(fileURLToPath(new URL('./floor_dag.py', import.meta.url)), path.join(floorDags, 'floor_dag.py'));
    const graph = Object.fromEntries(
      Object.entries(tasks).map(([id, task]) => [id, { upstream: task.upstream, trigger_rule: task.trigger_rule }]),
    );
    await writeFile(path.join(floorDags, 'floor_graph.json'), JSON.stringify({ dag_id: FLOOR_DAG_ID, tasks: graph }));
    const floorHome = await airflowHome(floorDags);

    const dbtBuild = async () => {
      let exitCode = -1;
      const wall = await seconds(async () => {
        ({ exitCode } = await runDbt(product, ['build', ...SELECTION, ...PROFILE], env));
      });
      expect(exitCode).toBe(0);
      return wall;
    };
    // Warm-up: the first build creates the schemas and seeds; the rounds then replace what exists.
    await dbtBuild();

    const samples: Round[] = [];
    for (let round = 0; round < rounds; round++) {
      const load_average = os.loadavg();
      const dbt_build_s = await dbtBuild();

      await writeFile(starts, '');
      // A topic of its own per run: SQS shows a message it does not delete again later.
      const events = await topicWithQueue();
      let run: RunReport | undefined;
      const dag_run_s = await seconds(async () => {
        run = await home.helper<RunReport>('dag_test_run', [DAG_ID], {
          AIRFLOW_VAR_BENCH_EVENT_TOPIC_ARN: events.topicArn,
        });
      });
      const ran = run as RunReport;
      expect(ran.state, JSON.stringify(ran.tasks)).toBe('success');
      expect(Object.keys(ran.tasks).sort()).toEqual(Object.keys(tasks).sort());
      for (const [id, state] of Object.entries(ran.tasks))
        if (id.startsWith('transform.')) expect(state, id).toBe('success');
      expect(ran.tasks).toMatchObject({ check: 'success', alert: 'skipped', publish_completed: 'success' });
      const completed = await receive(events.queueUrl);
      expect(completed.map((event) => event.document.invocation_id)).toEqual([ran.run_id]);
      const dbt_commands = (await readFile(starts, 'utf8')).split('\n').filter(Boolean);
      const [invocations] = await queryPostgres<{ count: string }>(
        `select count(distinct invocation_id) as count from ${product.schema}_audit.dbt_audit_invocations where run_id = $1`,
        [ran.run_id],
      );

      let floorRun: RunReport | undefined;
      const floor_s = await seconds(async () => {
        floorRun = await floorHome.helper<RunReport>('dag_test_run', [FLOOR_DAG_ID]);
      });
      expect(floorRun?.state, JSON.stringify(floorRun?.tasks)).toBe('success');
      expect(Object.keys(floorRun?.tasks ?? {}).sort()).toEqual(Object.keys(tasks).sort());

      const dag_run_breakdown = await breakdown(home, DAG_ID, ran.run_id);
      const floor_breakdown = await breakdown(floorHome, FLOOR_DAG_ID, floorRun?.run_id ?? '');
      const sample = {
        dbt_build_s,
        dag_run_s,
        floor_s,
        dbt_processes: dbt_commands.length,
        dbt_commands,
        audit_invocations: Number(invocations?.count ?? 0),
        load_average,
        dag_run_breakdown,
        floor_breakdown,
      };
      console.log(`[dag-run] ${models} models, round ${round + 1}/${rounds}: ${JSON.stringify(sample)}`);
      samples.push(sample);
    }
    expect(await receive(alerts.queueUrl)).toEqual([]);
    await home.cleanup();
    await floorHome.cleanup();

    const medianOf = (key: 'dbt_build_s' | 'dag_run_s' | 'floor_s') => median(samples.map((each) => each[key]));
    const dbt_build_s = medianOf('dbt_build_s');
    const dag_run_s = medianOf('dag_run_s');
    const floor_s = medianOf('floor_s');
    const ratioOverFloor = (dag_run_s - floor_s) / dbt_build_s;
    return {
      models,
      measured_at: new Date().toISOString(),
      load_average_end: os.loadavg(),
      nodes,
      tasks: Object.keys(tasks).length,
      node_tasks: Object.keys(tasks).filter((id) => id.startsWith('transform.') && !isProducerTask(id)).length,
      rounds: samples.length,
      dbt_build_s,
      dag_run_s,
      floor_s,
      dag_run_ratio: dag_run_s / dbt_build_s,
      dag_run_ratio_over_floor: ratioOverFloor,
      within_goal: ratioOverFloor <= GOAL_RATIO_OVER_FLOOR,
      // Per round too: medians of ratios, each from one interleaved round.
      dag_run_ratio_rounds: samples.map((each) => each.dag_run_s / each.dbt_build_s),
      dag_run_ratio_over_floor_rounds: samples.map((each) => (each.dag_run_s - each.floor_s) / each.dbt_build_s),
      // Inside Airflow (medians): the run as dag.test timed it, the producer's dbt build, the node
      // tasks' summed durations, the floor's run and its tasks' summed durations.
      dag_run_in_airflow_s: median(samples.map((each) => each.dag_run_breakdown.run_s)),
      producer_s: median(samples.map((each) => each.dag_run_breakdown.producer_s)),
      node_tasks_s: median(samples.map((each) => each.dag_run_breakdown.node_tasks_s)),
      floor_in_airflow_s: median(samples.map((each) => each.floor_breakdown.run_s)),
      floor_node_tasks_s: median(samples.map((each) => each.floor_breakdown.node_tasks_s)),
      dbt_processes_per_dag_run: median(samples.map((each) => each.dbt_processes)),
      audit_invocations_per_dag_run: median(samples.map((each) => each.audit_invocations)),
      samples,
    };
  } finally {
    await product.cleanup();
  }
}

/** The first line of a version command's output holding a version number. */
async function versionOf(command: string, args: string[]): Promise<string> {
  const result = await execa(command, args, { reject: false, all: true, env: { DBT_VERSION_CHECK: 'false' } });
  return /\d+\.\d+\.\d+\S*/.exec(result.all ?? '')?.[0] ?? 'unknown';
}

it('runs the generated DAG in about the time of one dbt build, over the floor of an EmptyOperator DAG', async () => {
  const measured = [];
  for (const [index, models] of SIZES.entries()) {
    measured.push(await measure(models, ROUNDS[index] ?? (ROUNDS.at(-1) as number)));
  }
  // A partial run (BENCH_DAG_RUN_MODELS) replaces only its own sizes' entries.
  const earlier = await readFile(RESULTS, 'utf8')
    .then((text) => JSON.parse(text) as { sizes?: { models: number }[] })
    .catch(() => ({ sizes: [] }));
  const sizes = [...(earlier.sizes ?? []).filter((size) => !SIZES.includes(size.models)), ...measured].sort(
    (a, b) => a.models - b.models,
  );
  const results = {
    benchmark: 'dag-run',
    kit_version: kitVersion(),
    measured_at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, node: process.version },
    versions: {
      airflow: await versionOf(airflowBin('airflow'), ['version']),
      cosmos: COSMOS_VERSION,
      dbt: await versionOf(inject('dbtPath'), ['--version']),
    },
    execution: 'watcher',
    target: 'postgres',
    goals: { dag_run_ratio_over_floor: GOAL_RATIO_OVER_FLOOR },
    sizes,
  };
  console.log(JSON.stringify({ ...results, sizes: sizes.map((size) => ({ ...size, samples: undefined })) }, null, 1));
  await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
});
