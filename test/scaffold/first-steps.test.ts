/**
 * A new product on a machine where nothing of the kit exists: the product README's plain-dbt first
 * steps, run exactly as written (a venv from the product's requirements.txt, then a plain `dbt build`
 * on the default target), with an empty HOME. (Its dbt-run steps need the kit from the registry;
 * test/scripts/packages.test.ts installs the packed kit and runs dbt-run.) pip's download cache stays warm, as a user's would.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createProduct, normaliseOptions } from '../../src/scaffold/index.js';
import { queryDuckDb } from '../../src/warehouse/duckdb.js';
import { tempDir } from '../harness/product.js';

let root: string;
beforeAll(async () => {
  root = await tempDir('first-steps-');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The shell lines of the first ```sh block after `heading`, comments dropped. */
function firstSteps(readme: string, heading: string): string[] {
  const section = readme.slice(readme.indexOf(heading));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => line.replace(/\s+#.*$/, ''));
}

it("the product README's first steps build the product with plain dbt on a fresh machine", async () => {
  const home = path.join(root, 'home');
  await mkdir(home);
  const options = normaliseOptions({ dir: path.join(root, 'orders'), git: false });
  await createProduct(options);
  const readme = await readFile(path.join(options.dir, 'README.md'), 'utf8');
  const local = readme.slice(readme.indexOf('## Run it locally'));
  expect(firstSteps(local, '## Run it locally')).toContain('dbt-run build');
  const steps = firstSteps(local, 'Plain dbt does the same');
  expect(steps.at(-1)).toMatch(/dbt build/);

  const pipCache =
    process.env.PIP_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'pip');
  // Only what a new user's shell has: no DBT_* or kit variables.
  const env = { PATH: process.env.PATH ?? '', HOME: home, PIP_CACHE_DIR: pipCache, TMPDIR: os.tmpdir() };
  for (const step of steps) {
    const result = await execa('bash', ['-c', step], {
      cwd: options.dir,
      env,
      extendEnv: false,
      all: true,
      reject: false,
    });
    expect(result.exitCode, `${step}\n${result.all}`).toBe(0);
  }

  const warehouse = path.join(home, '.dbt-product-kit.duckdb');
  expect(existsSync(warehouse)).toBe(true);
  const rows = await queryDuckDb(
    warehouse,
    `select status, count(*) as n from orders_audit.dbt_audit_log group by status`,
  );
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.every((row) => row.status === 'success' || row.status === 'pass')).toBe(true);
}, 600_000);
