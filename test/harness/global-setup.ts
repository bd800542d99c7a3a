/**
 * Runs once before the suite: makes sure the pinned dbt venv exists (built
 * on first use, cached by the requirements' hash) and starts a real
 * PostgreSQL server that every test file shares (each test uses its own
 * schemas). Test files read both through `inject()`.
 */
import type { TestProject } from 'vitest/node';
import { ensureVenv } from '../../src/toolchain/venv.js';
import { type PostgresConnection, startPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dbtPath: string;
    pythonPath: string;
    postgres: PostgresConnection;
  }
}

export default async function setup(project: TestProject) {
  const venv = await ensureVenv({ onProgress: (line) => console.log(`[setup] ${line}`) });
  const postgres = await startPostgres();
  project.provide('dbtPath', venv.bin('dbt'));
  project.provide('pythonPath', venv.bin('python'));
  project.provide('postgres', postgres.connection);
  return async () => {
    await postgres.stop();
  };
}
