/**
 * Runs once before the suite: makes sure the pinned dbt venv and the Airflow
 * venv exist (built on first use, cached by the requirements' hash) and
 * starts a real PostgreSQL server and moto_server that every test file
 * shares (each test uses its own schemas, topics and queues). Test files
 * read them through `inject()`.
 */
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ensureVenv } from '../../src/toolchain/venv.js';
import { startMoto } from './moto.js';
import { type PostgresConnection, startPostgres } from './postgres.js';

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
  }
}

export default async function setup(project: TestProject) {
  const onProgress = (line: string) => console.log(`[setup] ${line}`);
  const requirements = (file: string) => fileURLToPath(new URL(`../requirements/${file}`, import.meta.url));
  const [venv, airflow, airflow2, postgres, moto] = await Promise.all([
    ensureVenv({ onProgress }),
    ensureVenv({ requirementsFile: requirements('airflow.txt'), name: 'airflow', onProgress }),
    ensureVenv({ requirementsFile: requirements('airflow2.txt'), name: 'airflow2', onProgress }),
    startPostgres(),
    startMoto(onProgress),
  ]);
  project.provide('dbtPath', venv.bin('dbt'));
  project.provide('motoEndpoint', moto.endpoint);
  project.provide('pythonPath', venv.bin('python'));
  project.provide('postgres', postgres.connection);
  project.provide('airflowPython', airflow.bin('python'));
  project.provide('airflow2Python', airflow2.bin('python'));
  return async () => {
    await Promise.all([postgres.stop(), moto.stop()]);
  };
}
