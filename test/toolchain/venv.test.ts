/** The venv builder with a real Python: tiny requirements so each build takes seconds. */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolchainError } from '../../src/errors.js';
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
  });
});
