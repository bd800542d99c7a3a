/**
 * The test run's own temp folder and the servers started in it.
 *
 * `scripts/test.mjs` (the README's `npm test`) makes the folder and names it in
 * DBT_PRODUCT_KIT_TEST_RUN_DIR; run without it (`npx vitest`), the set-up makes
 * one itself. Everything the run writes outside the kit cache goes there:
 * TMPDIR points at it for the workers and every tool they start (dbt, Airflow,
 * Python's tempfile), and Cosmos's cache lives in it. Each server started is
 * recorded in `servers/<name>.json` (PID and paths) until stopped, so that
 * scripts/test.mjs can stop what an interrupted or crashed run left running.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const RUN_DIR_VARIABLE = 'DBT_PRODUCT_KIT_TEST_RUN_DIR';
/** Where the set-up writes its error for scripts/test.mjs, inside the run folder. */
export const SETUP_ERROR_FILE = 'setup-error.txt';
/** Set in Vitest's process when the set-up failed, for the summary reporter (no test ran). */
export const SETUP_FAILED_VARIABLE = 'DBT_PRODUCT_KIT_TEST_SETUP_FAILED';

export interface RunningServer {
  /** A short name: `postgres`, `moto`. */
  name: string;
  pid: number;
  /** The signal that stops it quickly and cleanly (PostgreSQL: SIGINT, its fast shutdown). */
  signal: NodeJS.Signals;
  /** Folders it writes, removed when it stops. */
  paths: string[];
  stop(): Promise<void>;
}

export interface TestRun {
  dir: string;
  /** Waits for a server to start, then records it (stopped by `close`, or by scripts/test.mjs). */
  started<T extends RunningServer>(starting: Promise<T>): Promise<T>;
  /** Stops the servers started so far and removes their records, and the folder when this run made it. */
  close(): Promise<void>;
  recordSetupError(error: unknown): Promise<void>;
}

export async function openTestRun(onProgress: (line: string) => void): Promise<TestRun> {
  const given = process.env[RUN_DIR_VARIABLE];
  const dir = given ?? (await mkdtemp(path.join(os.tmpdir(), 'dbt-product-kit-test-')));
  // PostgreSQL runs as an unprivileged user when we are root: it must reach its data dir in here.
  await chmod(dir, 0o755);
  await mkdir(path.join(dir, 'servers'), { recursive: true });
  // Set before any worker or tool starts, so all of them inherit it.
  process.env.TMPDIR = dir;
  process.env.AIRFLOW__COSMOS__CACHE_DIR = path.join(dir, 'cosmos');
  onProgress(`temp folder of this run: ${dir}`);
  const record = (server: RunningServer) => path.join(dir, 'servers', `${server.name}.json`);
  const servers: RunningServer[] = [];
  return {
    dir,
    async started(starting) {
      const server = await starting;
      servers.push(server);
      const { name, pid, signal, paths } = server;
      await writeFile(record(server), `${JSON.stringify({ name, pid, signal, paths })}\n`);
      onProgress(`${name} running (pid ${pid}${paths.map((folder) => `, ${folder}`).join('')})`);
      return server;
    },
    async close() {
      await Promise.all(
        servers.map(async (server) => {
          await server.stop();
          await rm(record(server), { force: true });
        }),
      );
      if (!given) await rm(dir, { recursive: true, force: true });
    },
    async recordSetupError(error) {
      const message = error instanceof Error ? error.message : String(error);
      process.env[SETUP_FAILED_VARIABLE] = message;
      if (!given) return; // nobody to read it: Vitest prints the error itself
      await writeFile(path.join(dir, SETUP_ERROR_FILE), `${message}\n`);
    },
  };
}
