/** The venv builder with a real Python: tiny requirements so each build takes seconds. */
import { existsSync } from 'node:fs';
import { chmod, lstat, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastLine, ToolchainError } from '../../src/errors.js';
import { DBT_REQUIREMENTS } from '../../src/toolchain/requirements.js';
import { ensureVenv, planVenv } from '../../src/toolchain/venv.js';
import { tempDir } from '../harness/product.js';

let root: string;
beforeAll(async () => {
  root = await tempDir('venv-test-');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('planVenv', () => {
  it('names the venv by the hash of the requirements', () => {
    const a = planVenv('dbt-core==1.11.16\n', '/cache');
    expect(a.dir).toBe(`/cache/venvs/dbt-${a.hash}`);
    expect(planVenv('dbt-core==1.11.16\n', '/cache')).toEqual(a);
    expect(planVenv('dbt-core==1.11.15\n', '/cache').hash).not.toBe(a.hash);
  });

  it('pins exact versions of dbt-core and the three adapters', async () => {
    const requirements = await readFile(DBT_REQUIREMENTS, 'utf8');
    for (const name of ['dbt-core', 'dbt-duckdb', 'dbt-postgres', 'dbt-redshift']) {
      expect(requirements).toMatch(new RegExp(`^${name}==\\d+\\.\\d+\\.\\d+$`, 'm'));
    }
  });
});

describe('ensureVenv (real Python)', () => {
  it('builds once, reuses while the requirements are unchanged, rebuilds when they change', async () => {
    const requirementsFile = path.join(root, 'requirements.txt');
    // No packages: pip has nothing to download, the venv itself is real.
    await writeFile(requirementsFile, '# nothing\n');
    const cacheDir = path.join(root, 'cache');
    const options = { requirementsFile, cacheDir, env: { ...process.env, DBT_PRODUCT_KIT_NO_UV: '1' } };

    // Two callers at once (as two test workers would be): one builds, both get the same venv.
    const [first, second] = await Promise.all([ensureVenv(options), ensureVenv(options)]);
    expect(first.dir).toBe(second.dir);
    expect([first.built, second.built].filter(Boolean)).toHaveLength(1);
    const { stdout } = await execa(first.bin('python'), ['-c', 'import sys; print(sys.prefix)']);
    expect(stdout.trim()).toBe(first.dir);

    const again = await ensureVenv(options);
    expect(again).toMatchObject({ dir: first.dir, built: false });

    await writeFile(requirementsFile, '# nothing, changed\n');
    const changed = await ensureVenv(options);
    expect(changed.built).toBe(true);
    expect(changed.dir).not.toBe(first.dir);
  });

  it('rebuilds a venv whose build was interrupted (no completion stamp)', async () => {
    const requirementsFile = path.join(root, 'requirements-2.txt');
    await writeFile(requirementsFile, '# interrupted\n');
    const cacheDir = path.join(root, 'cache-2');
    const options = { requirementsFile, cacheDir, env: { ...process.env, DBT_PRODUCT_KIT_NO_UV: '1' } };
    const venv = await ensureVenv(options);
    await rm(path.join(venv.dir, '.dbt-product-kit-complete'));
    expect((await ensureVenv(options)).built).toBe(true);
  });

  it('builds three venvs at once in one process: each once, all usable, no lock or build folder left', async () => {
    const cacheDir = path.join(root, 'cache-three');
    const env = { ...process.env, DBT_PRODUCT_KIT_NO_UV: '1' };
    const files = await Promise.all(
      ['a', 'b', 'c'].map(async (name) => {
        const file = path.join(root, `three-${name}.txt`);
        await writeFile(file, `# venv ${name}\n`);
        return { file, name };
      }),
    );
    const venvs = await Promise.all(
      files.map(({ file, name }) => ensureVenv({ requirementsFile: file, name, cacheDir, env })),
    );
    expect(venvs.map((venv) => venv.built)).toEqual([true, true, true]);
    for (const venv of venvs) {
      const { stdout } = await execa(venv.bin('python'), ['-c', 'print(1 + 1)']);
      expect(stdout).toBe('2');
    }
    expect(await venvFolder(cacheDir)).toEqual({
      links: venvs.map((venv) => path.basename(venv.dir)).sort(),
      builds: 3,
      other: [],
    });
  });

  it('two processes building the same venv at once: one builds, the other waits and reuses it', async () => {
    const requirementsFile = path.join(root, 'two-processes.txt');
    await writeFile(requirementsFile, '# two processes\n');
    const cacheDir = path.join(root, 'cache-two');
    const results = await Promise.all([1, 2].map(() => ensureVenvInChild({ requirementsFile, cacheDir })));
    expect(results.map((result) => result.exitCode)).toEqual([0, 0]);
    const reports = results.map((result) => JSON.parse(lastLine(result.stdout)) as { dir: string; built: boolean });
    expect(reports.filter((report) => report.built)).toHaveLength(1);
    expect(reports[0]?.dir).toBe(reports[1]?.dir);
    const { stdout } = await execa(path.join(reports[0]?.dir ?? '', 'bin', 'python'), ['-c', 'print(3)']);
    expect(stdout).toBe('3');
    expect(await venvFolder(cacheDir)).toMatchObject({ builds: 1, other: [] });
  });

  it('a builder killed (SIGKILL) mid-build does not block the next run, which rebuilds from nothing', async () => {
    const requirementsFile = path.join(root, 'killed.txt');
    await writeFile(requirementsFile, '# killed\n');
    const cacheDir = path.join(root, 'cache-killed');
    // A Python that creates the venv, then hangs: the builder holds the lock with a half venv.
    const slowPython = path.join(root, 'slow-python');
    await writeFile(slowPython, '#!/bin/sh\ncase "$1" in -m) python3 "$@"; exec sleep 600;; esac\nexec python3 "$@"\n');
    await chmod(slowPython, 0o755);
    const child = ensureVenvInChild({ requirementsFile, cacheDir, python: slowPython });
    const plan = planVenv(await readFile(requirementsFile, 'utf8'), cacheDir);
    await waitFor(async () => existsSync(`${plan.dir}.lock`) && (await venvFolder(cacheDir)).builds === 1);
    // The whole process group, as a cancelled CI job or the OOM killer would leave nothing to clean up.
    process.kill(-(child.pid ?? 0), 'SIGKILL');
    expect((await child).signal).toBe('SIGKILL');
    expect(existsSync(`${plan.dir}.lock`)).toBe(true);

    const venv = await ensureVenv({ requirementsFile, cacheDir, env: { ...process.env, DBT_PRODUCT_KIT_NO_UV: '1' } });
    expect(venv.built).toBe(true);
    expect(existsSync(`${plan.dir}.lock`)).toBe(false);
    expect(await venvFolder(cacheDir)).toEqual({ links: [path.basename(plan.dir)], builds: 1, other: [] });
  });

  it('fails with a ToolchainError naming the fix when Python is missing', async () => {
    const requirementsFile = path.join(root, 'requirements-3.txt');
    await writeFile(requirementsFile, '# python missing\n');
    const error = await ensureVenv({
      requirementsFile,
      cacheDir: path.join(root, 'cache-3'),
      python: '/nonexistent/python3',
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ToolchainError);
    expect((error as Error).message).toContain('DBT_PRODUCT_KIT_PYTHON');
    expect(existsSync(path.join(root, 'cache-3', 'venvs'))).toBe(true);
  });

  it('fails with a ToolchainError and removes the half-built venv when pip fails', async () => {
    const requirementsFile = path.join(root, 'requirements-4.txt');
    await writeFile(requirementsFile, 'this is not a requirement ===\n');
    const cacheDir = path.join(root, 'cache-4');
    const error = await ensureVenv({
      requirementsFile,
      cacheDir,
      env: { ...process.env, DBT_PRODUCT_KIT_NO_UV: '1' },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ToolchainError);
    expect((error as Error).message).toMatch(/^installing the dbt toolchain failed: /);
    const plan = planVenv(await readFile(requirementsFile, 'utf8'), cacheDir);
    expect(existsSync(plan.dir)).toBe(false);
    expect(await venvFolder(cacheDir)).toEqual({ links: [], builds: 0, other: [] });
  });
});

/** What a cache's venvs folder holds: published venvs (symlinks), build folders, anything else (locks). */
async function venvFolder(cacheDir: string) {
  const folder = path.join(cacheDir, 'venvs');
  const links: string[] = [];
  const other: string[] = [];
  let builds = 0;
  for (const entry of await readdir(folder)) {
    if ((await lstat(path.join(folder, entry))).isSymbolicLink()) links.push(entry);
    else if (entry.startsWith('.')) builds++;
    else other.push(entry);
  }
  return { links: links.sort(), builds, other };
}

/** ensureVenv in a process of its own (the compiled library), in its own process group. */
function ensureVenvInChild(options: { requirementsFile: string; cacheDir: string; python?: string }) {
  const library = pathToFileURL(path.resolve('dist/toolchain/venv.js')).href;
  const script = `const { ensureVenv } = await import(${JSON.stringify(library)});
const venv = await ensureVenv(${JSON.stringify(options)});
console.log(JSON.stringify({ dir: venv.dir, built: venv.built }));`;
  return execa(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, DBT_PRODUCT_KIT_NO_UV: '1' },
    detached: true,
    reject: false,
  });
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
