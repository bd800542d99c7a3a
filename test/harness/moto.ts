/**
 * moto_server (SNS, SQS, STS... from PyPI, pinned in test/requirements/moto.txt)
 * for the suite: its own venv (cached by the requirements' hash, like dbt's),
 * started on a free loopback port, stopped at the end. The real AWS SDK talks
 * to it through `endpoint`.
 */
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { ensureVenv } from '../../src/toolchain/venv.js';
import { freePort } from './postgres.js';
import type { RunningServer } from './test-run.js';

export interface RunningMoto extends RunningServer {
  endpoint: string;
}

export interface MotoOptions {
  /** Default: test/requirements/moto.txt. */
  requirementsFile?: string;
  onProgress?: (line: string) => void;
  /** The environment its venv is built with (the global setup's puts uv on PATH). */
  env?: NodeJS.ProcessEnv;
}

const REQUIREMENTS = fileURLToPath(new URL('../requirements/moto.txt', import.meta.url));

export async function startMoto(options: MotoOptions = {}): Promise<RunningMoto> {
  const { requirementsFile = REQUIREMENTS, onProgress, env } = options;
  const venv = await ensureVenv({ requirementsFile, name: 'moto', onProgress, env });
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const server: ResultPromise = execa(venv.bin('moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
    reject: false,
    stdin: 'ignore',
    all: true,
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null && server.exitCode !== undefined) {
      throw new Error(`moto_server exited: ${(await server).all}`);
    }
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      server.kill('SIGKILL');
      throw new Error('moto_server did not answer within 60 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    name: 'moto',
    pid: server.pid ?? 0,
    signal: 'SIGTERM',
    paths: [],
    endpoint,
    stop: async () => {
      server.kill('SIGTERM');
      await server;
    },
  };
}
