/**
 * Errors a person can act on before dbt starts: a --vars that is not YAML
 * quotes what was typed (not a dangling colon), and a missing or stale
 * package-lock.yml names the command that fixes it with the kit's own dbt:
 * `dbt-run deps`, which passes through to the run's dbt (real dbt, a local
 * package).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseVars } from '../../src/run/options.js';
import { revisionMismatches } from '../../src/upstream/guard.js';
import { runDbtRun, scaffoldTestProduct } from '../harness/product.js';

describe('--vars that is not YAML', () => {
  it('says what is wrong and where, quoting the text, in one line that does not end on a colon', () => {
    let error: unknown;
    try {
      parseVars('{a: [1,');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      '--vars is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 1, column 8 of "{a: [1,"',
    );
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('parents not installed as pinned', () => {
  const pinned = [{ name: 'shop', git: 'https://example.com/shop.git', revision: 'a'.repeat(40) }];

  it('names dbt-run deps, which runs the dbt a run uses', () => {
    expect(revisionMismatches(pinned, undefined)).toEqual(['no package-lock.yml: run dbt-run deps to install shop']);
    expect(revisionMismatches(pinned, 'packages: []\n')).toEqual(['shop is not installed: run dbt-run deps']);
  });
});

describe('dbt-run deps (real dbt)', () => {
  it("installs packages.yml's packages with the run's dbt and writes package-lock.yml", async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const local = path.join(product.dir, '..', 'helpers');
      await mkdir(local, { recursive: true });
      await writeFile(
        path.join(local, 'dbt_project.yml'),
        "name: helpers\nversion: '1.0.0'\nconfig-version: 2\nmacro-paths: ['macros']\n",
      );
      await writeFile(path.join(product.dir, 'packages.yml'), 'packages:\n  - local: ../helpers\n');
      const run = await runDbtRun(product, ['deps']);
      expect(run.exitCode, run.output).toBe(0);
      expect(run.stdout).toContain('Installing ../helpers');
      expect(await readFile(path.join(product.dir, 'package-lock.yml'), 'utf8')).toContain('local: ../helpers');

      // dbt's failure is dbt-run's exit 2, with dbt's own words.
      await writeFile(path.join(product.dir, 'packages.yml'), 'packages:\n  - local: ../nowhere\n');
      const failed = await runDbtRun(product, ['deps']);
      expect(failed.exitCode, failed.output).toBe(2);
      expect(failed.output).toMatch(/nowhere/);
    } finally {
      await product.cleanup();
    }
  });
});
