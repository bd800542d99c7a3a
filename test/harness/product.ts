/**
 * Helpers for tests that scaffold a product and run the real dbt on it.
 * Every product gets its own temp directory, DuckDB file and Postgres
 * schemas, so test files can run in parallel.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { inject } from 'vitest';
import { createProduct } from '../../src/scaffold/create.js';
import { normaliseOptions, type ScaffoldInput } from '../../src/scaffold/options.js';

export interface TestProduct {
  dir: string;
  name: string;
  /** Schema prefix unique to this product, for Postgres and DuckDB. */
  schema: string;
  duckdbPath: string;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function tempDir(prefix = 'dbt-product-kit-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Scaffolds a product (no git) into a fresh temp directory. */
export async function scaffoldTestProduct(input: Partial<ScaffoldInput> = {}): Promise<TestProduct> {
  const root = await tempDir();
  const name = input.name ?? 'shop';
  const options = normaliseOptions({ git: false, ...input, name, dir: path.join(root, name) });
  await createProduct(options);
  const schema = `t_${randomBytes(4).toString('hex')}`;
  const postgres = inject('postgres');
  const duckdbPath = path.join(root, 'warehouse.duckdb');
  return {
    dir: options.dir,
    name,
    schema,
    duckdbPath,
    env: {
      DBT_SCHEMA: schema,
      DBT_PRODUCT_DUCKDB_PATH: duckdbPath,
      DBT_POSTGRES_HOST: postgres.host,
      DBT_POSTGRES_PORT: String(postgres.port),
      DBT_POSTGRES_USER: postgres.user,
      DBT_ENV_SECRET_POSTGRES_PASSWORD: postgres.password,
      DBT_POSTGRES_DATABASE: postgres.database,
      // Keep dbt from writing anonymous usage events or checking versions online.
      DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
      DBT_VERSION_CHECK: 'false',
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export interface DbtRun {
  exitCode: number;
  output: string;
}

/** Runs the real dbt CLI (from the kit's venv) in the product directory. */
export async function runDbt(product: TestProduct, args: string[], env: Record<string, string> = {}): Promise<DbtRun> {
  const result = await execa(
    inject('dbtPath'),
    [...args, '--profiles-dir', product.dir, '--project-dir', product.dir],
    {
      cwd: product.dir,
      env: { ...product.env, ...env },
      reject: false,
      all: true,
    },
  );
  return { exitCode: result.exitCode ?? -1, output: result.all ?? '' };
}

const DBT_RUN_BIN = new URL('../../packages/dbt-run/bin/dbt-run.js', import.meta.url).pathname;

/** Runs the dbt-run CLI (the real bin, a child process; on `node`, else this Node) in the product directory, without a TTY. */
export async function runDbtRun(
  product: TestProduct,
  args: string[],
  env: Record<string, string> = {},
  options: { node?: string } = {},
): Promise<DbtRun & { stdout: string; stderr: string }> {
  const result = await execa(options.node ?? process.execPath, [DBT_RUN_BIN, ...args], {
    cwd: product.dir,
    env: { ...product.env, DBT_PATH: inject('dbtPath'), CI: 'true', GITHUB_ACTIONS: '', ...env },
    reject: false,
    all: true,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode ?? -1, output: result.all ?? '', stdout: result.stdout, stderr: result.stderr };
}

export { DBT_RUN_BIN };

export interface RunResultEntry {
  unique_id: string;
  status: string;
  execution_time: number;
  message: string | null;
  failures: number | null;
  adapter_response: { rows_affected?: number };
}

export async function readRunResults(product: TestProduct): Promise<{
  metadata: { invocation_id: string; dbt_schema_version: string };
  results: RunResultEntry[];
}> {
  return JSON.parse(await readFile(path.join(product.dir, 'target', 'run_results.json'), 'utf8'));
}

/** Runs one query on the test Postgres server. */
export async function queryPostgres<T extends object = Record<string, unknown>>(sql: string, params: unknown[] = []) {
  const client = new pg.Client(inject('postgres'));
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
