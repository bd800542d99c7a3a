/**
 * The README's test command itself (scripts/test.mjs, Vitest alone): a run whose set-up fails, and a
 * run interrupted by Ctrl-C, each end non-zero and leave no server process and no temp folder behind.
 * Each starts a real inner run (PostgreSQL, moto_server) with the venvs this run already built.
 */
import { existsSync, readdirSync } from 'node:fs';
import { chmod, cp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { lastLine } from '../../src/errors.js';
import { tempDir } from '../harness/product.js';

const TEST_COMMAND = path.resolve('scripts/test.mjs');
let tmp: string;

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The servers an inner run said it started: name, PID and the folders they write. */
function serversIn(output: string) {
  return [...output.matchAll(/\[setup\] (\w+) running \(pid (\d+)((?:, [^,)]+)*)\)/g)].map((match) => ({
    name: match[1],
    pid: Number(match[2]),
    paths: (match[3] ?? '').split(', ').filter(Boolean),
  }));
}

/** Whether a worker of the inner run made its test folder: TMPDIR/<run folder>/venv-test-*. */
function testFolderExists(): boolean {
  return readdirSync(tmp).some((run) =>
    readdirSync(path.join(tmp, run)).some((entry) => entry.startsWith('venv-test-')),
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The inner run's TMPDIR: a new folder, which the run must leave empty. */
async function newTmp(): Promise<void> {
  tmp = await tempDir('test-command-');
  // PostgreSQL runs as an unprivileged user: it must reach its data dir in here.
  await chmod(tmp, 0o755);
}

function innerRun(env: Record<string, string>, testFile: string) {
  return execa(process.execPath, [TEST_COMMAND, '--vitest-only', testFile], {
    env: { ...env, TMPDIR: tmp, FORCE_COLOR: '0', NO_COLOR: '1' },
    all: true,
    reject: false,
    detached: true, // its own process group, as a terminal's foreground job is
  });
}

describe('npm test (scripts/test.mjs)', () => {
  it('a failing set-up exits non-zero with its error last, leaving no server and no temp folder', async () => {
    // The harness's requirements, less one: reading it is the set-up's error.
    const requirements = path.join(await tempDir('test-requirements-'), 'requirements');
    await cp(path.resolve('test/requirements'), requirements, { recursive: true });
    await rm(path.join(requirements, 'airflow2.txt'));
    await newTmp();
    const run = await innerRun({ DBT_PRODUCT_KIT_TEST_REQUIREMENTS: requirements }, 'test/toolchain/venv.test.ts');

    expect(run.exitCode).not.toBe(0);
    expect(lastLine(run.all)).toBe(
      `npm test: the test set-up failed: cannot read requirements file ${path.join(requirements, 'airflow2.txt')}`,
    );
    expect(run.all).not.toContain('No test files found');
    expect(run.all).not.toMatch(/^tests: /m);
    const servers = serversIn(run.all);
    expect(servers.map((server) => server.name).sort()).toEqual(['moto', 'postgres']);
    for (const server of servers) {
      expect(alive(server.pid), `${server.name} (pid ${server.pid}) still running`).toBe(false);
      for (const folder of server.paths) expect(existsSync(folder), folder).toBe(false);
    }
    expect(await readdir(tmp)).toEqual([]);
    await rm(path.dirname(requirements), { recursive: true, force: true });
  });

  it('Ctrl-C mid-run exits 130, leaving no server and no temp folder', async () => {
    await newTmp();
    const run = innerRun({}, 'test/toolchain/venv.test.ts');
    let output = '';
    run.all?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    // Both servers up and a test running: it builds venvs in a folder under the run's temp folder.
    await waitFor(() => serversIn(output).length === 2 && testFolderExists());
    // As a terminal does: the signal reaches every process of the foreground group.
    process.kill(-(run.pid ?? 0), 'SIGINT');
    const result = await run;

    expect(result.exitCode, result.all).toBe(130);
    const servers = serversIn(output);
    for (const server of servers) {
      expect(alive(server.pid), `${server.name} (pid ${server.pid}) still running`).toBe(false);
      for (const folder of server.paths) expect(existsSync(folder), folder).toBe(false);
    }
    expect(await readdir(tmp)).toEqual([]);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
