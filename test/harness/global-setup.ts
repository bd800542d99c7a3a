/**
 * Runs once before the suite: makes sure the pinned dbt venv and the Airflow
 * venvs exist (built on first use, cached by the requirements' hash) and
 * starts a real PostgreSQL server and moto_server that every test file
 * shares (each test uses its own schemas, topics and queues). Test files
 * read them through `inject()`.
 *
 * Everything the run writes outside the kit cache lives in one temp folder of
 * its own (TMPDIR for the workers, Cosmos's cache too), removed at the end.
 * If any part of the set-up fails, the servers that did start are stopped and
 * the folder removed before the error is thrown; the error is also written
 * where `scripts/test.mjs` prints it as the run's last words.
 */
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ensureVenv, type VenvOptions } from '../../src/toolchain/venv.js';
import { startMoto } from './moto.js';
import { type PostgresConnection, startPostgres } from './postgres.js';
import { openTestRun } from './test-run.js';
import { uvEnv } from './uv.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dbtPath: string;
    pythonPath: string;
    postgres: PostgresConnection;
    /** moto_server's endpoint (SNS, SQS). */
    motoEndpoint: string;
    /** Python of the Airflow venv (Airflow 3, Cosmos, the Amazon provider, dag-factory, ruff). */
    airflowPython: string;
    /** Python of the Airflow 2.10 venv (Cosmos, the Amazon provider). */
    airflow2Python: string;
    /** Python of the lint venv (cfn-lint, parliament, boto3, the AWS CLI, shellcheck): the AWS stack, the workflows. */
    lintPython: string;
    /** PATH to build the harness's venvs with: uv first on it when it could be installed (test/harness/uv.ts). */
    harnessPath: string;
    /** Set by the suite's config (not the benchmarks'): PostgreSQL without fsync (test/harness/postgres.ts). */
    throwawayPostgres?: boolean;
  }
}

/** The harness's requirements files; DBT_PRODUCT_KIT_TEST_REQUIREMENTS names another folder (the set-up failure test). */
function requirements(file: string): string {
  const dir = process.env.DBT_PRODUCT_KIT_TEST_REQUIREMENTS;
  return dir ? `${dir}/${file}` : fileURLToPath(new URL(`../requirements/${file}`, import.meta.url));
}

export default async function setup(project: TestProject) {
  const onProgress = (line: string) => console.log(`[setup] ${line}`);
  const run = await openTestRun(onProgress);
  // uv first (a few seconds), then the venvs with it (test/harness/uv.ts); PostgreSQL meanwhile.
  const building = uvEnv({ requirementsFile: requirements('uv.txt'), onProgress });
  const build = (options: VenvOptions) => building.then((env) => ensureVenv({ ...options, env, onProgress }));
  // All at once, but every part is waited for, so a failure never leaves a server starting unseen.
  const settled = await Promise.allSettled([
    build({}),
    build({ requirementsFile: requirements('airflow.txt'), name: 'airflow' }),
    build({ requirementsFile: requirements('airflow2.txt'), name: 'airflow2' }),
    build({ requirementsFile: requirements('lint.txt'), name: 'lint' }),
    run.started(startPostgres({ durable: !project.getProvidedContext().throwawayPostgres })),
    run.started(building.then((env) => startMoto({ requirementsFile: requirements('moto.txt'), onProgress, env }))),
  ]);
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure) {
    await run.close();
    await run.recordSetupError(failure.reason);
    throw failure.reason;
  }
  const [venv, airflow, airflow2, lint, postgres, moto] = settled;
  project.provide('dbtPath', fulfilled(venv).bin('dbt'));
  project.provide('pythonPath', fulfilled(venv).bin('python'));
  project.provide('airflowPython', fulfilled(airflow).bin('python'));
  project.provide('airflow2Python', fulfilled(airflow2).bin('python'));
  project.provide('lintPython', fulfilled(lint).bin('python'));
  // For the venvs test files build themselves (the older dbt releases): with uv, as these were.
  project.provide('harnessPath', (await building).PATH ?? '');
  project.provide('postgres', fulfilled(postgres).connection);
  project.provide('motoEndpoint', fulfilled(moto).endpoint);
  return () => run.close();
}

function fulfilled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}
