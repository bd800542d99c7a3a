/**
 * Runner benchmark (npm run bench; sizes from BENCH_SIZES, default 100,1000,5000;
 * rounds from BENCH_REPEATS, default 3 below 1,000 models, 2 below 5,000, then 1).
 * For synthetic products of N view models, on DuckDB and on PostgreSQL:
 *   bare    dbt build with the in-dbt hook switched off (no audit at all)
 *   json    the same with --log-format json, dbt started directly (dbt's own cost of JSON logs)
 *   launched  dbt exactly as dbt-run starts it (launch.ts, JSON logs, same
 *           environment), its output read by the harness: runner − launched is
 *           what the Node side costs, launched − bare what dbt's JSON log costs
 *   hook    dbt build recording through the in-dbt on-run-end hook
 *   runner  dbt-run build (hook off, audit written after dbt exits)
 * The hook is switched by an environment variable, so the four variants share
 * dbt's partial parse and run interleaved: each round runs all four (in a
 * rotating order), and what a variant adds is the median over rounds of its
 * difference to that round's bare build, which cancels the machine's drift.
 * Builds of 1,000 views vary by seconds from run to run, more than the goal, so
 * the runner's own share is also measured exactly: its wall time minus dbt's
 * (the --json summary's elapsedSeconds), and its recording phase in-process.
 * dbt-run runs on BENCH_NODE (default node@22 from npm: a Node line the kit supports; `system`
 * for the bench's own). Builds run with --threads BENCH_THREADS (default 4). The first
 * BENCH_BUSY_ROUNDS rounds (default: half, rounded down) run beside a
 * CPU-bound neighbour process the bench starts (a CI runner is rarely idle):
 * the summary gives what the runner adds in quiet and in busy rounds apart.
 * On the largest project, --changed-since's selection is timed against
 * `dbt ls --select state:modified+`. Results: bench/results/runner.json (or
 * BENCH_RESULTS), rewritten after every measurement so a long run keeps what
 * it has.
 */
import { existsSync } from 'node:fs';
import { appendFile, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { simpleGit } from 'simple-git';
import { expect, inject, it } from 'vitest';
import { runOriginFor } from '../src/audit/origin.js';
import { AUDIT_HOOK_SWITCH, auditTablesFor } from '../src/audit/tables.js';
import { dbtEnvironment } from '../src/dbt/command.js';
import { planDbtLaunch } from '../src/dbt/launch.js';
import { auditBatch, readRunArtifacts } from '../src/run/collect.js';
import { planRun } from '../src/run/plan.js';
import { emptyProgress } from '../src/run/progress.js';
import { recordAudit } from '../src/run/record-audit.js';
import { PlainReporter } from '../src/run/reporters.js';
import { TIMINGS_ENV } from '../src/run/timings.js';
import { projectChangesSince, selectChanged } from '../src/select/changed.js';
import { readSelectionManifestIndexed, selectionIndexPath } from '../src/select/manifest-index.js';
import { kitVersion } from '../src/version.js';
import { nodeFromNpm } from '../test/harness/node.js';
import { queryPostgres, runDbt, runDbtRun, type TestProduct } from '../test/harness/product.js';
import { type TestWarehouse, WAREHOUSES } from '../test/harness/warehouse.js';
import { median, seconds } from './stats.js';
import { syntheticProduct } from './synthetic.js';

const SIZES = (process.env.BENCH_SIZES ?? '100,1000,5000').split(',').map(Number);
const roundsFor = (models: number) =>
  Number(process.env.BENCH_REPEATS ?? (models >= 5000 ? 1 : models >= 1000 ? 2 : 3));
const THREADS = Number(process.env.BENCH_THREADS ?? 4);
/**
 * The Node that runs dbt-run: BENCH_NODE, default node@22 from npm (the kit supports 22 and 24,
 * where Node's compile cache applies); `system` for the Node running the bench.
 */
const RUNNER_NODE = { spec: process.env.BENCH_NODE ?? 'node@22', path: process.execPath, version: process.version };
const busyRoundsOf = (rounds: number) => Number(process.env.BENCH_BUSY_ROUNDS ?? Math.floor(rounds / 2));

/** A neighbour that keeps one core busy (pure JavaScript spinning) until stopped. */
function startBusyNeighbour() {
  const child = execa(process.execPath, ['-e', 'for (;;) {}'], { reject: false });
  return async () => {
    child.kill('SIGKILL');
    await child;
  };
}
const RESULTS = path.resolve(
  process.env.BENCH_RESULTS ?? fileURLToPath(new URL('./results/runner.json', import.meta.url)),
);
// BENCH_WAREHOUSES=DuckDB (labels, comma separated; empty: selection timing only) limits the builds.
const BENCH_WAREHOUSES = WAREHOUSES.filter(
  (warehouse) =>
    process.env.BENCH_WAREHOUSES === undefined || process.env.BENCH_WAREHOUSES.split(',').includes(warehouse.label),
);

function expectExit(run: { exitCode: number; output: string }, code = 0) {
  expect(run.exitCode, run.output.slice(-2000)).toBe(code);
}

type Variant = 'bare' | 'json' | 'launched' | 'hook' | 'runner';
const ALL_VARIANTS: Variant[] = ['bare', 'json', 'launched', 'hook', 'runner'];
/** What is measured of each runner build besides its wall time. */
type Measure = 'runner_own' | 'record' | 'before_dbt' | 'after_dbt' | 'cpu_during_dbt';
// BENCH_VARIANTS=bare,launched,runner (comma separated) runs fewer; bare is always run.
const VARIANTS = ALL_VARIANTS.filter(
  (variant) =>
    variant === 'bare' ||
    process.env.BENCH_VARIANTS === undefined ||
    process.env.BENCH_VARIANTS.split(',').includes(variant),
);

/** The recording phase alone, in-process, on the artifacts the runner's dbt just wrote. */
async function recordPhase(product: TestProduct, warehouse: TestWarehouse): Promise<number> {
  const deps = {
    env: { ...process.env, ...product.env, DBT_PATH: inject('dbtPath') },
    reporter: new PlainReporter(
      () => {},
      () => {},
    ),
    stdout: () => {},
  };
  const plan = await planRun(
    {
      command: 'build',
      select: [],
      exclude: [],
      projectDir: product.dir,
      target: warehouse.target,
      vars: {},
      fullRefresh: false,
      defer: false,
      audit: true,
      extra: [],
    },
    deps,
  );
  return seconds(async () => {
    const progress = emptyProgress();
    const artifacts = await readRunArtifacts(plan.targetDir, progress, new Date(0));
    const now = new Date();
    const execution = {
      progress,
      startedAt: now,
      completedAt: now,
      dbtVersion: null,
      status: 'success' as const,
      exitCode: 0,
      errorMessage: null,
      interrupted: false,
      killed: false,
      manifestRead: undefined,
    };
    const origin = await runOriginFor(product.dir, deps.env);
    const batch = auditBatch(execution, artifacts, {
      productName: plan.projectName,
      targetName: plan.target.targetName,
      command: plan.invocation.command,
      selection: '',
      origin,
      recordedAt: new Date(),
    });
    const tables = auditTablesFor({
      projectName: plan.projectName,
      targetSchema: plan.target.fields.schema,
      nodes: artifacts.manifest?.nodes,
    });
    expect((await recordAudit(plan, batch, tables)).error).toBeNull();
  });
}

type BuildEntry = ReturnType<typeof summarise>;

/** Medians over rounds: of each variant, and of each round's difference to its bare build. */
function summarise(
  models: number,
  warehouse: TestWarehouse,
  samples: Record<Variant | Measure, number[]>,
  busyRounds = 0,
) {
  // Rounds [0, busyRounds) ran beside the busy neighbour.
  const addedIn = (variant: Variant, base: Variant, busy: boolean) => {
    const rounds = samples[variant]
      .map((value, round) => ({ round, value: value - (samples[base][round] ?? Number.NaN) }))
      .filter(({ round }) => round < busyRounds === busy);
    return rounds.length ? median(rounds.map(({ value }) => value)) : null;
  };
  // Paired by round; null for a variant this run left out.
  const difference = (variant: Variant, base: Variant) =>
    samples[variant].length && samples[base].length
      ? median(samples[variant].map((value, round) => value - (samples[base][round] ?? Number.NaN)))
      : null;
  const added = (variant: Variant) => difference(variant, 'bare');
  const spread = (values: number[]) => [Math.min(...values), Math.max(...values)];
  return {
    models,
    warehouse: warehouse.label,
    measured_at: new Date().toISOString(),
    rounds: samples.bare.length,
    bare_s: median(samples.bare),
    hook_s: median(samples.hook),
    runner_s: median(samples.runner),
    hook_added_s: added('hook'),
    runner_added_s: added('runner'),
    runner_added_range_s: spread(samples.runner.map((value, round) => value - (samples.bare[round] ?? 0))),
    // dbt's own cost of --log-format json, which dbt-run needs: dbt formats every event,
    // debug ones included, before dropping those below the console's level.
    dbt_json_log_added_s: added('json'),
    // The same through dbt-run's launcher (what dbt itself adds when dbt-run runs it),
    // and what the Node side adds on top of exactly that dbt.
    launched_added_s: added('launched'),
    runner_minus_launched_s: difference('runner', 'launched'),
    threads: THREADS,
    busy_rounds: busyRounds,
    runner_added_quiet_s: addedIn('runner', 'bare', false),
    runner_added_busy_s: addedIn('runner', 'bare', true),
    runner_minus_launched_quiet_s: samples.launched.length ? addedIn('runner', 'launched', false) : null,
    runner_minus_launched_busy_s: samples.launched.length ? addedIn('runner', 'launched', true) : null,
    runner_own_s: median(samples.runner_own),
    runner_record_phase_s: median(samples.record),
    // Where the runner's time goes (DBT_PRODUCT_KIT_TIMINGS): in series before dbt starts and
    // after it ends, and its CPU while dbt runs (competing with dbt for the two cores).
    runner_before_dbt_s: median(samples.before_dbt),
    runner_after_dbt_s: median(samples.after_dbt),
    runner_cpu_during_dbt_s: median(samples.cpu_during_dbt),
    // The most the runner can add when the cores are saturated (a busy CI runner): all it does in
    // series, plus all its CPU while dbt runs. Exact per round, unlike the noisy wall-time differences.
    runner_accounted_s: samples.before_dbt.length
      ? median(
          samples.before_dbt.map(
            (before, round) =>
              before + (samples.after_dbt[round] ?? Number.NaN) + (samples.cpu_during_dbt[round] ?? Number.NaN),
          ),
        )
      : null,
    runner_node: RUNNER_NODE.version,
    samples,
  };
}

it('measures what recording adds to dbt build, and --changed-since against dbt ls', async () => {
  if (RUNNER_NODE.spec !== 'system') {
    RUNNER_NODE.path = await nodeFromNpm(RUNNER_NODE.spec);
    RUNNER_NODE.version = (await execa(RUNNER_NODE.path, ['--version'])).stdout.trim();
  }
  const report: Record<string, unknown> = {
    benchmark: 'runner',
    kit_version: kitVersion(),
    measured_at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, node: process.version },
    runner_node: RUNNER_NODE.version,
    goals: {
      added_s_at_1000: 0.5,
      added_s_at_5000: 2,
      // Issue 15: at 200 and 1,000 models, threads 4, in quiet and busy rounds alike.
      added_s_quiet_and_busy: 0.5,
      max_share_of_hook: 0.1,
      selection_speedup: 50,
    },
    builds: [] as unknown[],
  };
  // A run that measures only some sizes or warehouses (BENCH_SIZES, BENCH_WAREHOUSES) replaces
  // those entries of an existing results file and keeps the others, each with its own date.
  const earlier = await readFile(RESULTS, 'utf8')
    .then((text) => JSON.parse(text) as { builds?: BuildEntry[]; selection?: { models: number } })
    .catch(() => ({}) as { builds?: BuildEntry[]; selection?: { models: number } });
  const remeasured = (entry: BuildEntry) =>
    SIZES.includes(entry.models) && BENCH_WAREHOUSES.some((warehouse) => warehouse.label === entry.warehouse);
  const builds = (earlier.builds ?? []).filter((entry) => !remeasured(entry));
  report.builds = builds;
  // Selection timings of every size measured are kept: the largest as `selection`, others as `selection_at_<n>`.
  for (const [key, value] of Object.entries(earlier)) if (key.startsWith('selection')) report[key] = value;
  const keepSelection = (selection: { models: number }) => {
    const largest = report.selection as { models: number } | undefined;
    if (largest && largest.models > selection.models) report[`selection_at_${selection.models}`] = selection;
    else {
      if (largest && largest.models < selection.models) report[`selection_at_${largest.models}`] = largest;
      report.selection = selection;
    }
  };
  const save = async () => {
    builds.sort((a, b) => a.models - b.models || a.warehouse.localeCompare(b.warehouse));
    await mkdir(path.dirname(RESULTS), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  };
  for (const size of SIZES) {
    const product = await syntheticProduct(size);
    try {
      for (const warehouse of BENCH_WAREHOUSES) {
        const models = ['path:models/synthetic', 'path:models/audit'];
        const build = ['build', '--target', warehouse.target, '--threads', String(THREADS), '--select', ...models];
        const hookOff = { [AUDIT_HOOK_SWITCH.env]: AUDIT_HOOK_SWITCH.offValue };
        const samples = {
          bare: [],
          json: [],
          launched: [],
          hook: [],
          runner: [],
          runner_own: [],
          record: [],
          before_dbt: [],
          after_dbt: [],
          cpu_during_dbt: [],
        } as Record<Variant | Measure, number[]>;
        const timingsFile = path.join(product.dir, 'target', 'bench-timings.jsonl');
        // Each runner round's steps after dbt (collected, recorded, ...: seconds since dbt ended).
        const afterDbtSteps: Record<string, number>[] = [];
        const run: Record<Variant, () => Promise<number>> = {
          bare: () => seconds(async () => expectExit(await runDbt(product, build, hookOff))),
          json: () =>
            seconds(async () =>
              expectExit(
                await runDbt(product, [...build, '--log-format', 'json', '--log-format-file', 'debug'], hookOff),
              ),
            ),
          launched: () =>
            seconds(async () => {
              const launch = await planDbtLaunch(inject('dbtPath'), {});
              const args = [...launch.prefix, ...build, '--log-format', 'json', '--profiles-dir', product.dir];
              const env = dbtEnvironment({ ...product.env }, { auditHookOff: true });
              const result = await execa(launch.file, [...args, '--project-dir', product.dir], {
                cwd: product.dir,
                env,
                reject: false,
                all: true,
              });
              expectExit({ exitCode: result.exitCode ?? -1, output: result.all ?? '' });
            }),
          hook: () => seconds(async () => expectExit(await runDbt(product, build))),
          runner: async () => {
            let dbtSeconds = Number.NaN;
            const wall = await seconds(async () => {
              const args = [
                'build',
                '--target',
                warehouse.target,
                '--threads',
                String(THREADS),
                '--select',
                models.join(' '),
                '--json',
              ];
              const result = await runDbtRun(product, args, { [TIMINGS_ENV]: timingsFile }, { node: RUNNER_NODE.path });
              expectExit(result);
              dbtSeconds = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}').elapsedSeconds;
            });
            samples.runner_own.push(wall - dbtSeconds);
            const timings = JSON.parse((await readFile(timingsFile, 'utf8')).trim().split('\n').at(-1) ?? '{}');
            samples.before_dbt.push(timings.before_dbt_s);
            samples.after_dbt.push(timings.after_dbt_s);
            samples.cpu_during_dbt.push(timings.runner_cpu_during_dbt_s);
            afterDbtSteps.push(timings.after_dbt_steps_s ?? {});
            return wall;
          },
        };
        // Untimed: creates the views and dbt's partial parse, shared by all three variants.
        await run.bare();
        const rounds = roundsFor(size);
        const busyRounds = busyRoundsOf(rounds);
        for (let round = 0; round < rounds; round++) {
          const stopNeighbour = round < busyRounds ? startBusyNeighbour() : undefined;
          for (let index = 0; index < VARIANTS.length; index++) {
            const variant = VARIANTS[(index + round) % VARIANTS.length] as Variant;
            // Each build replaces every view, leaving dead catalog rows behind: on PostgreSQL later
            // builds would run slower than earlier ones, so every build starts from a vacuumed catalog.
            if (warehouse.label === 'Postgres') await queryPostgres('vacuum');
            samples[variant].push(await run[variant]());
            if (variant === 'runner') samples.record.push(await recordPhase(product, warehouse));
          }
          await stopNeighbour?.();
        }
        const stepNames = [...new Set(afterDbtSteps.flatMap((steps) => Object.keys(steps)))];
        const entry = {
          ...summarise(size, warehouse, samples, busyRounds),
          // Medians of seconds from dbt's end to the end of each step (DBT_PRODUCT_KIT_TIMINGS).
          runner_after_dbt_steps_s: Object.fromEntries(
            stepNames.map((name) => [name, median(afterDbtSteps.map((steps) => steps[name] ?? Number.NaN))]),
          ),
        };
        builds.push(entry);
        console.log(JSON.stringify({ ...entry, samples: undefined }));
        await save();
      }

      if (size === Math.max(...SIZES)) {
        // --changed-since against dbt ls --select state:modified+ on the same project and change.
        const git = simpleGit(product.dir, { config: ['user.email=bench@localhost', 'user.name=bench'] });
        await git.init();
        await git.add('.');
        await git.commit('base');
        expectExit(await runDbt(product, ['parse']));
        const state = path.join(path.dirname(product.dir), 'state');
        await cp(path.join(product.dir, 'target', 'manifest.json'), path.join(state, 'manifest.json'), {
          recursive: true,
        });
        await appendFile(path.join(product.dir, 'models/synthetic/m_1.sql'), '-- changed\n');
        // Cold: the first selection after a manifest written by something other than dbt-run (a bare
        // dbt parse: no index yet); warm: after a dbt-run (which leaves the index) or a first selection.
        const cold: number[] = [];
        const warm: number[] = [];
        const theirs: number[] = [];
        let selected = 0;
        const select = () =>
          seconds(async () => {
            // As dbt-run does it: git in its processes while this one reads the manifest.
            const [changes, manifest] = await Promise.all([
              projectChangesSince(product.dir, 'HEAD'),
              readSelectionManifestIndexed(path.join(product.dir, 'target')),
            ]);
            selected = selectChanged(changes, manifest, 'bench').select.length;
          });
        for (let repeat = 0; repeat < 5; repeat++) {
          await rm(selectionIndexPath(path.join(product.dir, 'target')), { force: true });
          cold.push(await select());
          // The index is written while dbt-run goes on to start dbt; here, wait for it (untimed).
          for (let wait = 0; wait < 100 && !existsSync(selectionIndexPath(path.join(product.dir, 'target'))); wait++)
            await new Promise((resolve) => setTimeout(resolve, 50));
          warm.push(await select());
          theirs.push(
            await seconds(async () =>
              expectExit(
                await runDbt(product, [
                  'ls',
                  '--select',
                  'state:modified+',
                  '--state',
                  state,
                  '--target-path',
                  'target-ls',
                  '--quiet',
                ]),
              ),
            ),
          );
        }
        expect(selected).toBe(1);
        const selection = {
          models: size,
          measured_at: new Date().toISOString(),
          changed_since_cold_s: median(cold),
          changed_since_warm_s: median(warm),
          dbt_ls_state_modified_s: median(theirs),
          speedup_cold: median(theirs) / median(cold),
          speedup_warm: median(theirs) / median(warm),
          samples: { changed_since_cold: cold, changed_since_warm: warm, dbt_ls: theirs },
          note: 'cold = first selection after a manifest.json that no dbt-run wrote (full read, then the index is written); warm = after a dbt-run (it leaves the selection index for the manifest its dbt wrote) or after a first selection, while manifest.json is unchanged.',
        };
        keepSelection(selection);
        console.log(JSON.stringify({ ...selection, samples: undefined }));
        await save();
      }
    } finally {
      await product.cleanup();
    }
  }
});
