/**
 * Runner benchmark (npm run bench; sizes from BENCH_SIZES, default 100,1000,5000).
 * For synthetic products of N view models, on DuckDB and on PostgreSQL:
 *   bare    dbt build with the in-dbt hook switched off (no audit at all)
 *   hook    dbt build recording through the in-dbt on-run-end hook
 *   runner  dbt-run build (hook off, audit written after dbt exits)
 * Added time = variant − bare (median of BENCH_REPEATS runs, default 3). The
 * runner's recording phase (read artifacts, build rows, write the sink) is
 * also timed in-process, free of dbt's run-to-run noise. On the largest
 * project, --changed-since's selection is timed against
 * `dbt ls --select state:modified+`. Results: bench/results/runner.json.
 */
import { appendFile, cp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';
import { expect, inject, it } from 'vitest';
import { readManifest } from '../src/dbt/artifacts.js';
import { planRun } from '../src/run/plan.js';
import { emptyProgress } from '../src/run/progress.js';
import { buildBatch, readRunArtifacts, recordBatch, runOriginFor } from '../src/run/record.js';
import { PlainReporter } from '../src/run/reporters.js';
import { changedFilesSince, selectChanged } from '../src/select/changed.js';
import { kitVersion } from '../src/version.js';
import { runDbt, runDbtRun, scaffoldTestProduct, type TestProduct } from '../test/harness/product.js';
import { WAREHOUSES } from '../test/harness/warehouse.js';

const SIZES = (process.env.BENCH_SIZES ?? '100,1000,5000').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const RESULTS = fileURLToPath(new URL('./results/runner.json', import.meta.url));

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return ((sorted[Math.floor((sorted.length - 1) / 2)] ?? 0) + (sorted[Math.ceil((sorted.length - 1) / 2)] ?? 0)) / 2;
};

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** A product plus N view models in a tree (each reads its parent), built from the demo seeds. */
async function syntheticProduct(models: number): Promise<TestProduct> {
  const product = await scaffoldTestProduct({ name: 'bench' });
  const dir = path.join(product.dir, 'models', 'synthetic');
  await mkdir(dir, { recursive: true });
  for (let index = 0; index < models; index++) {
    const body =
      index === 0
        ? "select 1 as id, 'root' as label"
        : `select id + 1 as id, label from {{ ref('m_${Math.floor((index - 1) / 10)}') }}`;
    await writeFile(path.join(dir, `m_${index}.sql`), `{{ config(materialized='view') }}\n${body}\n`);
  }
  return product;
}

function expectExit(run: { exitCode: number; output: string }, code = 0) {
  expect(run.exitCode, run.output.slice(-2000)).toBe(code);
}

it('measures what recording adds to dbt build, and --changed-since against dbt ls', async () => {
  const report: Record<string, unknown> = {
    benchmark: 'runner',
    kit_version: kitVersion(),
    measured_at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, node: process.version },
    repeats: REPEATS,
    goals: { added_s_at_1000: 0.5, added_s_at_5000: 2, max_share_of_hook: 0.1, selection_speedup: 50 },
    builds: [] as unknown[],
  };
  for (const size of SIZES) {
    const product = await syntheticProduct(size);
    try {
      for (const warehouse of WAREHOUSES) {
        const target = ['--target', warehouse.target];
        const selection = ['--select', 'path:models/synthetic', 'path:models/audit'];
        const hookOff = ['--vars', '{audit_hook_enabled: false}'];
        const times = { bare: [] as number[], hook: [] as number[], runner: [] as number[], record: [] as number[] };
        // Changing --vars makes dbt re-parse the whole project, so each variant gets an untimed
        // warm-up; bare and runner share the same vars (dbt-run passes audit_hook_enabled: false).
        expectExit(await runDbt(product, ['build', ...target, ...selection, ...hookOff]));
        for (let repeat = 0; repeat < REPEATS; repeat++) {
          times.bare.push(
            await seconds(async () =>
              expectExit(await runDbt(product, ['build', ...target, ...selection, ...hookOff])),
            ),
          );
        }
        const deps = {
          env: { ...process.env, ...product.env, DBT_PATH: inject('dbtPath') },
          reporter: new PlainReporter(
            () => {},
            () => {},
          ),
          stdout: () => {},
        };
        for (let repeat = 0; repeat < REPEATS; repeat++) {
          times.runner.push(
            await seconds(async () =>
              expectExit(
                await runDbtRun(product, ['build', ...target, '--select', 'path:models/synthetic path:models/audit']),
              ),
            ),
          );
          // The recording phase alone, in-process, on the artifacts the runner's dbt just wrote.
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
          times.record.push(
            await seconds(async () => {
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
              };
              const origin = await runOriginFor(product.dir, deps.env);
              const batch = await buildBatch(plan, execution, artifacts, origin, '', () => new Date());
              expect((await recordBatch(plan, batch, artifacts.manifest)).error).toBeNull();
            }),
          );
        }
        expectExit(await runDbt(product, ['build', ...target, ...selection]));
        for (let repeat = 0; repeat < REPEATS; repeat++) {
          times.hook.push(
            await seconds(async () => expectExit(await runDbt(product, ['build', ...target, ...selection]))),
          );
        }
        const bare = median(times.bare);
        const entry = {
          models: size,
          warehouse: warehouse.label,
          bare_s: bare,
          hook_s: median(times.hook),
          runner_s: median(times.runner),
          hook_added_s: median(times.hook) - bare,
          runner_added_s: median(times.runner) - bare,
          runner_record_phase_s: median(times.record),
          samples: times,
        };
        (report.builds as unknown[]).push(entry);
        console.log(JSON.stringify({ ...entry, samples: undefined }));
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
        const ours: number[] = [];
        const theirs: number[] = [];
        let selected = 0;
        for (let repeat = 0; repeat < REPEATS; repeat++) {
          ours.push(
            await seconds(async () => {
              const manifest = await readManifest(path.join(product.dir, 'target', 'manifest.json'));
              selected = selectChanged(await changedFilesSince(product.dir, 'HEAD'), manifest, 'bench').select.length;
            }),
          );
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
        report.selection = {
          models: size,
          changed_since_s: median(ours),
          dbt_ls_state_modified_s: median(theirs),
          speedup: median(theirs) / median(ours),
          samples: { changed_since: ours, dbt_ls: theirs },
        };
        console.log(JSON.stringify({ ...(report.selection as object), samples: undefined }));
      }
    } finally {
      await product.cleanup();
    }
  }
  await mkdir(path.dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
});
