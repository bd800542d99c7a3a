/**
 * DAG parse time of the generated Cosmos DAG on a product of N models
 * (default 1,000; BENCH_DAG_MODELS), in the orchestration venv's Airflow:
 * as generated (LoadMode.DBT_MANIFEST, reading the shipped manifest.json)
 * against the same DAG in Cosmos's LoadMode.DBT_LS, which runs `dbt ls` for
 * each task group at every parse (Cosmos's dbt ls cache off: what users
 * with parse timeouts run; with dbt's partial parse warm, and with none, as
 * on a scheduler that never parsed the project; and with Cosmos's dbt ls
 * cache on and warm, for completeness). Goals: ≤ 2 s, and ≥ 20× faster than
 * DBT_LS.
 *
 * Each sample measures the DAG folder twice:
 * - `dagbag_s`: a DagBag filled in a new Python process (`process_s`: that
 *   whole process, interpreter and Airflow import included); Cosmos's own
 *   timings of its two steps per task group come with it: `cosmos_load_s`
 *   (loading the dbt project: the only step the load mode changes) and
 *   `cosmos_build_s` (making the Airflow tasks);
 * - `processor_s`: what Airflow itself records for the file
 *   (DagModel.last_parse_duration, after one `airflow dag-processor -n 1`):
 *   the processor forks after pre-importing the file's airflow.* modules and
 *   also serialises the DAG.
 * `speedup_ceiling_*`: the most any load method could reach against DBT_LS,
 * were loading the project free: what is left of a DBT_LS parse without its
 * project load is rendering both modes do alike.
 * Results: bench/results/airflow.json (BENCH_AIRFLOW_RESULTS overrides).
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, inject, it } from 'vitest';
import { COSMOS_VERSION } from '../src/orchestration/airflow.js';
import { kitVersion } from '../src/version.js';
import { airflowHome, type CosmosStep, type DagReport, type ProcessorReport } from '../test/harness/airflow.js';
import { runDbt } from '../test/harness/product.js';
import { median } from './stats.js';
import { syntheticProduct } from './synthetic.js';

const MODELS = Number(process.env.BENCH_DAG_MODELS ?? 1000);
const RESULTS = path.resolve(
  process.env.BENCH_AIRFLOW_RESULTS ?? fileURLToPath(new URL('./results/airflow.json', import.meta.url)),
);

interface Sample {
  dagbag_s: number;
  process_s: number;
  cosmos_load_s: number;
  cosmos_build_s: number;
  processor_s: number;
}

it('parses the generated DAG from its manifest, against Cosmos DBT_LS', async () => {
  const product = await syntheticProduct(MODELS);
  try {
    const parsed = await runDbt(product, ['parse']);
    expect(parsed.exitCode, parsed.output.slice(-2000)).toBe(0);
    const manifestDags = path.join(product.dir, 'dags');
    // The same DAG in DBT_LS mode: dbt ls runs at parse, so it needs dbt's path there too.
    const lsDags = path.join(path.dirname(product.dir), 'dags-dbt-ls');
    await cp(manifestDags, lsDags, { recursive: true });
    const dagFile = path.join(lsDags, 'bench_dag.py');
    const source = await readFile(dagFile, 'utf8');
    // dbt is not importable in Airflow's venv: dbt ls runs as a subprocess of the venv's dbt.
    const lsSource = source
      .replace('from cosmos.constants import LoadMode,', 'from cosmos.constants import InvocationMode, LoadMode,')
      .replace('load_method=LoadMode.DBT_MANIFEST,', 'load_method=LoadMode.DBT_LS,')
      .replace(
        'test_behavior=TEST_BEHAVIOR,',
        'test_behavior=TEST_BEHAVIOR,\n            invocation_mode=InvocationMode.SUBPROCESS,\n            dbt_executable_path=DBT,',
      );
    expect(lsSource).not.toBe(source);
    await writeFile(dagFile, lsSource);

    const home = await airflowHome(manifestDags, {
      ...product.env,
      DBT_VENV_PATH: path.dirname(path.dirname(inject('dbtPath'))),
      DBT_PROJECT_PATH: product.dir,
      DBT_TARGET: 'local',
      // DBT_LS takes longer than Airflow's default 30 s import timeout (and 50 s processor timeout) allow here.
      AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT: '900',
      AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT: '900',
    });
    const sumOf = (steps: CosmosStep[], step: CosmosStep['step']) =>
      steps.filter((each) => each.step === step).reduce((total, each) => total + each.seconds, 0);
    /** One DagBag in a new process, then one parse by Airflow's own DAG processor. */
    const measure = async (folder: string, env: Record<string, string>): Promise<Sample> => {
      const started = process.hrtime.bigint();
      const report = await home.helper<DagReport>('dagbag_report', [folder], env);
      const processSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      expect(report.import_errors).toEqual({});
      expect(Object.keys(report.dags.bench_dag?.tasks ?? {}).length).toBeGreaterThan(MODELS);
      const processor = await home.helper<ProcessorReport>('processor_parse', [folder], env);
      expect(processor.import_errors).toEqual({});
      expect(processor.dags.bench_dag?.parsed_this_run).toBe(true);
      return {
        dagbag_s: report.parse_seconds,
        process_s: processSeconds,
        cosmos_load_s: sumOf(report.cosmos_steps, 'load'),
        cosmos_build_s: sumOf(report.cosmos_steps, 'build'),
        processor_s: processor.dags.bench_dag?.parse_seconds ?? Number.NaN,
      };
    };
    const runs = async (count: number, folder: string, env: Record<string, string>) => {
      const samples: Sample[] = [];
      for (let index = 0; index < count; index++) samples.push(await measure(folder, env));
      const medianOf = (key: keyof Sample) => median(samples.map((sample) => sample[key]));
      return {
        dagbag_s: medianOf('dagbag_s'),
        process_s: medianOf('process_s'),
        cosmos_load_s: medianOf('cosmos_load_s'),
        cosmos_build_s: medianOf('cosmos_build_s'),
        processor_s: medianOf('processor_s'),
        samples,
      };
    };
    const manifest = await runs(5, manifestDags, {});
    const noLsCache = { AIRFLOW__COSMOS__ENABLE_CACHE_DBT_LS: 'False' };
    // dbt's partial parse warm (Cosmos keeps partial_parse.msgpack between parses): one parse to warm it.
    await home.helper<DagReport>('dagbag_report', [lsDags], noLsCache);
    const dbtLs = await runs(3, lsDags, noLsCache);
    // As on a scheduler that has never parsed the project: no dbt partial-parse state anywhere,
    // so each dbt ls parses the whole project.
    const dbtLsFullParse = await runs(2, lsDags, {
      ...noLsCache,
      AIRFLOW__COSMOS__ENABLE_CACHE_PARTIAL_PARSE: 'False',
      DBT_PARTIAL_PARSE: 'false',
    });
    // Cached: the first parse fills Cosmos's dbt ls cache (an Airflow Variable), the next ones read it.
    const lsCache = { AIRFLOW__COSMOS__ENABLE_CACHE_DBT_LS: 'True' };
    await home.helper<DagReport>('dagbag_report', [lsDags], lsCache);
    const dbtLsCached = await runs(3, lsDags, lsCache);
    await home.cleanup();

    const results = {
      benchmark: 'airflow-dag-parse',
      kit_version: kitVersion(),
      measured_at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, node: process.version },
      airflow_requirements: 'test/requirements/airflow.txt',
      cosmos: COSMOS_VERSION,
      models: MODELS,
      goals: { dagbag_s: 2, speedup_vs_dbt_ls: 20 },
      dbt_manifest: manifest,
      dbt_ls: dbtLs,
      dbt_ls_full_parse: dbtLsFullParse,
      dbt_ls_cached: dbtLsCached,
      speedup_vs_dbt_ls: dbtLs.dagbag_s / manifest.dagbag_s,
      speedup_vs_dbt_ls_full_parse: dbtLsFullParse.dagbag_s / manifest.dagbag_s,
      speedup_vs_dbt_ls_cached: dbtLsCached.dagbag_s / manifest.dagbag_s,
      processor_speedup_vs_dbt_ls: dbtLs.processor_s / manifest.processor_s,
      processor_speedup_vs_dbt_ls_full_parse: dbtLsFullParse.processor_s / manifest.processor_s,
      // What any load method could reach at best: the DBT_LS parse with its project load
      // (Cosmos's own timing) taken out is rendering both modes do alike.
      speedup_ceiling_vs_dbt_ls: dbtLs.dagbag_s / (dbtLs.dagbag_s - dbtLs.cosmos_load_s),
      speedup_ceiling_vs_dbt_ls_full_parse:
        dbtLsFullParse.dagbag_s / (dbtLsFullParse.dagbag_s - dbtLsFullParse.cosmos_load_s),
    };
    const summary = Object.fromEntries(
      Object.entries(results).map(([key, value]) => [
        key,
        value && typeof value === 'object' && 'samples' in value ? { ...value, samples: undefined } : value,
      ]),
    );
    console.log(JSON.stringify(summary, null, 1));
    await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await product.cleanup();
  }
});
