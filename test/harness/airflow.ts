/**
 * Airflow for the orchestration tests: Airflow 3 (with astronomer-cosmos, the
 * Amazon provider, dag-factory and ruff) and Airflow 2.10 (Cosmos and the
 * Amazon provider), each in its own venv (pinned in
 * test/requirements/airflow.txt and airflow2.txt, cached by hash; dbt keeps
 * its own venv, as on MWAA), and a throwaway AIRFLOW_HOME with a migrated
 * SQLite metadata DB. Airflow logs to stdout, so the Python helpers write
 * their answers to files.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { inject } from 'vitest';
import { tempDir } from './product.js';
import { MOTO_REGION } from './sns-sqs.js';

const HELPERS = fileURLToPath(new URL('./airflow/', import.meta.url));

export interface AirflowHome {
  dir: string;
  /** The environment every Airflow process of this home runs with. */
  env: Record<string, string>;
  /** Runs one of the Python helpers of test/harness/airflow and returns the JSON it wrote. */
  helper<T>(
    script: 'dagbag_report' | 'dag_test_run' | 'dag_rerun_cleared' | 'processor_parse' | 'watcher_results',
    args: string[],
    env?: Record<string, string>,
  ): Promise<T>;
  cleanup(): Promise<void>;
}

export type AirflowMajor = 2 | 3;

/** A venv's executable (`python`, `airflow`, `ruff`...), as the global setup built it. */
export function airflowBin(name: string, major: AirflowMajor = 3): string {
  return path.join(path.dirname(inject(major === 3 ? 'airflowPython' : 'airflow2Python')), name);
}

/** A DagBag as dagbag_report.py describes it. */
export interface DagReport {
  parse_seconds: number;
  import_errors: Record<string, string>;
  cosmos_steps: CosmosStep[];
  dags: Record<
    string,
    {
      catchup: boolean;
      tags: string[];
      tasks: Record<
        string,
        {
          operator: string;
          /** The Cosmos or Airflow class `operator` is or extends. */
          library_operator: string;
          upstream: string[];
          trigger_rule: string;
          retries: number;
          retry_delay_seconds: number;
        }
      >;
    }
  >;
}

/** A step Cosmos timed while rendering a task group: loading the dbt project, or building its tasks. */
export interface CosmosStep {
  group: string;
  step: 'load' | 'build';
  seconds: number;
}

/** One `airflow dag-processor --num-runs 1`, as processor_parse.py describes it (Airflow 3). */
export interface ProcessorReport {
  dags: Record<string, { parse_seconds: number | null; parsed_this_run: boolean }>;
  import_errors: Record<string, string>;
}

/** A DAG run as dag_test_run.py describes it. */
export interface RunReport {
  state: string;
  run_id: string;
  tasks: Record<string, string>;
}

/** A finished DAG run after tasks and their downstream were cleared and ran again (dag_rerun_cleared.py). */
export interface RerunReport extends RunReport {
  /** Each task's try number: 1 for a task that ran once. */
  tries: Record<string, number>;
  /** The tasks cleared: those named and every task downstream of them. */
  cleared: string[];
  /** From the clear to the run's end. */
  seconds: number;
}

/** Tasks of a group, and those of its tasks no other task of the group precedes (roots) or follows (leaves). */
export function groupEdges(tasks: DagReport['dags'][string]['tasks'], group: string) {
  const ids = Object.keys(tasks).filter((id) => id.startsWith(`${group}.`));
  const inGroup = new Set(ids);
  const roots = ids.filter((id) => !tasks[id]?.upstream.some((up) => inGroup.has(up)));
  const leaves = ids.filter((id) => !ids.some((other) => tasks[other]?.upstream.includes(id)));
  return { ids, roots, leaves };
}

/** A fresh AIRFLOW_HOME reading DAGs from `dagsFolder`, its metadata DB migrated. */
export async function airflowHome(
  dagsFolder: string,
  env: Record<string, string> = {},
  major: AirflowMajor = 3,
): Promise<AirflowHome> {
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
  const migrated = await execa(airflowBin('airflow', major), ['db', 'migrate'], {
    env: homeEnv,
    reject: false,
    all: true,
  });
  if (migrated.exitCode !== 0) throw new Error(`airflow db migrate failed: ${migrated.all}`);
  return {
    dir,
    env: homeEnv,
    helper: async <T>(script: string, args: string[], extra: Record<string, string> = {}) => {
      const out = path.join(dir, `${script}-${Date.now()}.json`);
      const result = await execa(airflowBin('python', major), [path.join(HELPERS, `${script}.py`), ...args, out], {
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

/** Airflow's AWS connection and the product's topic Variables, pointed at moto. */
export function awsEnv(alertTopicArn: string, eventTopicArn: string): Record<string, string> {
  return {
    DBT_TARGET: 'postgres',
    AIRFLOW_VAR_SHOP_ALERT_TOPIC_ARN: alertTopicArn,
    AIRFLOW_VAR_SHOP_EVENT_TOPIC_ARN: eventTopicArn,
    AIRFLOW_CONN_AWS_DEFAULT: JSON.stringify({
      conn_type: 'aws',
      login: 'test',
      password: 'test',
      extra: { endpoint_url: inject('motoEndpoint'), region_name: MOTO_REGION },
    }),
  };
}
