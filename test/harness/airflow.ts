/**
 * Airflow for the orchestration tests: Airflow 3, astronomer-cosmos, the
 * Amazon provider, dag-factory and ruff in their own venv (pinned in
 * test/requirements/airflow.txt, cached by hash; dbt keeps its own venv, as
 * on MWAA), and a throwaway AIRFLOW_HOME with a migrated SQLite metadata DB.
 * Airflow logs to stdout, so the Python helpers write their answers to files.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { inject } from 'vitest';
import { tempDir } from './product.js';

const HELPERS = fileURLToPath(new URL('./airflow/', import.meta.url));

export interface AirflowHome {
  dir: string;
  /** The environment every Airflow process of this home runs with. */
  env: Record<string, string>;
  /** Runs one of the Python helpers of test/harness/airflow and returns the JSON it wrote. */
  helper<T>(script: 'dagbag_report' | 'dag_test_run', args: string[], env?: Record<string, string>): Promise<T>;
  cleanup(): Promise<void>;
}

/** The venv's executable (`python`, `airflow`, `ruff`...), as the global setup built it. */
export function airflowBin(name: string): string {
  return path.join(path.dirname(inject('airflowPython')), name);
}

/** A fresh AIRFLOW_HOME reading DAGs from `dagsFolder`, its metadata DB migrated. */
export async function airflowHome(dagsFolder: string, env: Record<string, string> = {}): Promise<AirflowHome> {
  const dir = await tempDir('dbt-product-kit-airflow-');
  const homeEnv: Record<string, string> = {
    AIRFLOW_HOME: dir,
    AIRFLOW__CORE__DAGS_FOLDER: dagsFolder,
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${path.join(dir, 'airflow.db')}`,
    // No network here: Cosmos's usage telemetry would only wait on DNS.
    AIRFLOW__COSMOS__ENABLE_TELEMETRY: 'False',
    DO_NOT_TRACK: '1',
    ...env,
  };
  const migrated = await execa(airflowBin('airflow'), ['db', 'migrate'], { env: homeEnv, reject: false, all: true });
  if (migrated.exitCode !== 0) throw new Error(`airflow db migrate failed: ${migrated.all}`);
  return {
    dir,
    env: homeEnv,
    helper: async <T>(script: string, args: string[], extra: Record<string, string> = {}) => {
      const out = path.join(dir, `${script}-${Date.now()}.json`);
      const result = await execa(inject('airflowPython'), [path.join(HELPERS, `${script}.py`), ...args, out], {
        env: { ...homeEnv, ...extra },
        reject: false,
        all: true,
      });
      const written = await readFile(out, 'utf8').catch(() => undefined);
      if (written === undefined)
        throw new Error(`${script}.py wrote nothing (exit ${result.exitCode}):\n${result.all}`);
      return JSON.parse(written) as T;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
