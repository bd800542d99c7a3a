/**
 * How dbt-run starts dbt: a pip console script runs through its Python with
 * the quiet-console lines; dbt prints the same events and exits the same way.
 * Anything else runs as it is, under the orphan guard (test/dbt/guard.test.ts).
 */
import { chmod, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { planDbtLaunch, pythonOfShebang, QUIET_CONSOLE_PYTHON } from '../../src/dbt/launch.js';
import { runDbt, scaffoldTestProduct, tempDir } from '../harness/product.js';

describe('pythonOfShebang', () => {
  it.each([
    ['#!/venv/bin/python', '/venv/bin/python'],
    ['#!/venv/bin/python3.11', '/venv/bin/python3.11'],
    ['#! /usr/bin/python3  ', '/usr/bin/python3'],
    ['#!/bin/sh', undefined],
    ['#!/usr/bin/env python3', undefined],
    ['#!/usr/bin/python3 -s', undefined],
    ['\x7fELF', undefined],
  ])('%j → %s', (line, expected) => {
    expect(pythonOfShebang(line)).toBe(expected);
  });
});

describe('planDbtLaunch', () => {
  async function script(dir: string, name: string, firstLine: string): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, `${firstLine}\nprint("dbt")\n`);
    await chmod(file, 0o755);
    return file;
  }

  it('runs a pip console script through its Python, else the executable as it is', async () => {
    const dir = await tempDir();
    const python = path.join(dir, 'python3');
    await symlink(inject('pythonPath'), python);
    const viaPython = await script(dir, 'dbt', `#!${python}`);
    expect(await planDbtLaunch(viaPython, {})).toEqual({
      file: python,
      prefix: ['-c', QUIET_CONSOLE_PYTHON],
      quietConsole: true,
      guarded: false,
    });
    for (const direct of [
      await script(dir, 'wrapper', '#!/bin/sh'),
      await script(dir, 'gone', `#!${path.join(dir, 'missing', 'python3')}`),
      path.join(dir, 'no-such-dbt'),
    ]) {
      // Nothing in it stops dbt when dbt-run dies: the orphan guard does (guard.ts).
      expect(await planDbtLaunch(direct, {})).toEqual({ file: direct, prefix: [], quietConsole: false, guarded: true });
    }
    expect(await planDbtLaunch(viaPython, { DBT_PRODUCT_KIT_DIRECT_DBT: '1' })).toEqual({
      file: viaPython,
      prefix: [],
      quietConsole: false,
      guarded: true,
    });
  });
});

describe('dbt through the quiet console (real dbt)', () => {
  it('prints the same events at info level and above, and exits with the same codes', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      // A project file named like a module dbt imports must not shadow it (python -c puts the
      // working directory on the import path).
      await writeFile(path.join(product.dir, 'json.py'), 'raise ImportError("json.py of the project was imported")\n');
      // The first parse is a full one: done here, so both sides below parse partially.
      expect((await runDbt(product, ['parse'])).exitCode).toBe(0);
      const launch = await planDbtLaunch(inject('dbtPath'), {});
      expect(launch.quietConsole).toBe(true);
      const events = (stdout: string) =>
        stdout
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line).info)
          .map((info: { name: string; level: string }) => `${info.level} ${info.name}`)
          .sort(); // dbt's threads interleave differently from run to run
      const quiet = (args: string[]) =>
        execa(
          launch.file,
          [
            ...launch.prefix,
            ...args,
            '--log-format',
            'json',
            '--project-dir',
            product.dir,
            '--profiles-dir',
            product.dir,
          ],
          {
            cwd: product.dir,
            env: product.env,
            reject: false,
          },
        );
      for (const args of [
        ['seed'],
        ['run', '--select', 'no_such_model'],
        ['test', '--select', 'stg_orders'],
        ['bogus'],
      ]) {
        const direct = await runDbt(product, [...args, '--log-format', 'json']);
        const running = quiet(args);
        // The lines come gathered (a write every GATHER_SECONDS, and at exit), not one write each.
        let reads = 0;
        running.stdout?.on('data', () => reads++);
        const viaPython = await running;
        expect(viaPython.exitCode, `${args.join(' ')}: ${viaPython.stderr}`).toBe(direct.exitCode);
        expect(events(viaPython.stdout)).toEqual(events(direct.output));
        const lines = viaPython.stdout.split('\n').filter(Boolean).length;
        if (args[0] === 'seed') expect(reads, `${lines} lines`).toBeLessThan(lines / 2);
      }
    } finally {
      await product.cleanup();
    }
  });
});
