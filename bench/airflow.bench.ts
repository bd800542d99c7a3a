/**
 * DAG parse time of the generated Cosmos DAG on a product of N models
 * (default 1,000; BENCH_DAG_MODELS), in the orchestration venv's Airflow:
 * as generated (LoadMode.DBT_MANIFEST, reading the shipped manifest.json)
 * against the same DAG in Cosmos's LoadMode.DBT_LS, which runs `dbt ls` for
 * each task group at every parse (Cosmos's dbt ls cache off: what users
 * with parse timeouts run; with dbt's partial parse warm, and with none, as
 * on a scheduler that never parsed the project; and with Cosmos's dbt ls
 * cache on and warm, for completeness). Goals: ≤ 2 s,
 * and ≥ 20× faster than DBT_LS. Each measure is a new Python process that
 * fills a DagBag with the DAGs folder: `dagbag_s` is the DagBag's own time
 * (what Airflow's DAG processor spends on the file), `process_s` the whole
 * process (interpreter and Airflow import included).
 * Results: bench/results/airflow.json (BENCH_AIRFLOW_RESULTS overrides).
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, inject, it } from 'vitest';
import { COSMOS_VERSION } from '../src/orchestration/airflow.js';
import { kitVersion } from '../src/version.js';
import { airflowHome, type DagReport } from '../test/harness/airflow.js';
import { runDbt } from '../test/harness/product.js';
import { syntheticProduct } from './synthetic.js';

const MODELS = Number(process.env.BENCH_DAG_MODELS ?? 1000);
const RESULTS = path.resolve(
  process.env.BENCH_AIRFLOW_RESULTS ?? fileURLToPath(new URL('./results/airflow.json', import.meta.url)),
);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return ((sorted[Math.floor((sorted.length - 1) / 2)] ?? 0) + (sorted[Math.ceil((sorted.length - 1) / 2)] ?? 0)) / 2;
};

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
      // DBT_LS takes longer than Airflow's default 30 s import timeout allows on this machine.
      AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT: '900',
    });
    const measure = async (folder: string, env: Record<string, string>) => {
      const started = process.hrtime.bigint();
      const report = await home.helper<DagReport>('dagbag_report', [folder], env);
      const processSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      expect(report.import_errors).toEqual({});
      expect(Object.keys(report.dags.bench_dag?.tasks ?? {}).length).toBeGreaterThan(MODELS);
      return { dagbag_s: report.parse_seconds, process_s: processSeconds };
    };
    const runs = async (count: number, folder: string, env: Record<string, string>) => {
      const samples = [];
      for (let index = 0; index < count; index++) samples.push(await measure(folder, env));
      return {
        dagbag_s: median(samples.map((sample) => sample.dagbag_s)),
        process_s: median(samples.map((sample) => sample.process_s)),
        samples,
      };
    };
    const manifest = await runs(5, manifestDags, {});
    const dbtLs = await runs(3, lsDags, { AIRFLOW__COSMOS__ENABLE_CACHE_DBT_LS: 'False' });
    // As on a scheduler that has never parsed the project: no dbt partial-parse state anywhere,
    // so each dbt ls parses the whole project.
    const dbtLsFullParse = await runs(2, lsDags, {
      AIRFLOW__COSMOS__ENABLE_CACHE_DBT_LS: 'False',
      AIRFLOW__COSMOS__ENABLE_CACHE_PARTIAL_PARSE: 'False',
      DBT_PARTIAL_PARSE: 'false',
    });
    // Cached: the first parse fills Cosmos's dbt ls cache (an Airflow Variable), the next ones read it.
    await measure(lsDags, { AIRFLOW__COSMOS__ENABLE_CACHE_DBT_LS: 'True' });
    const dbtLsCached = await runs(3, lsDags, { AIRFLOW__COSMOS__ENABLE_CACHE_DBT_LS: 'True' });
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
    };
    console.log(JSON.stringify({ ...results, dbt_manifest: manifest.dagbag_s, dbt_ls: dbtLs.dagbag_s }, null, 1));
    await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await product.cleanup();
  }
});
