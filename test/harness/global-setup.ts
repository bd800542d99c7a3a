/**
 * Runs once before the suite: makes sure the pinned dbt venv exists (built
 * on first use, cached by the requirements' hash) and starts a real
 * PostgreSQL server and moto_server that every test file shares (each test
 * uses its own schemas, topics and queues). Test files read them through
 * `inject()`.
 */
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
  }
}

export default async function setup(project: TestProject) {
  const venv = await ensureVenv({ onProgress: (line) => console.log(`[setup] ${line}`) });
  const [postgres, moto] = await Promise.all([startPostgres(), startMoto((line) => console.log(`[setup] ${line}`))]);
  project.provide('dbtPath', venv.bin('dbt'));
  project.provide('motoEndpoint', moto.endpoint);
  project.provide('pythonPath', venv.bin('python'));
  project.provide('postgres', postgres.connection);
  return async () => {
    await Promise.all([postgres.stop(), moto.stop()]);
  };
}
