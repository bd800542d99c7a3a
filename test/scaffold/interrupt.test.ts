/**
 * create-dbt-product stopped while it writes: the real bin in a child process,
 * stopped by a real signal once its files are in place and git is committing
 * them. A `git` ahead on PATH runs the real git, except that `commit` stalls
 * (and says so in a marker file), which holds the scaffold in its last step.
 * Ctrl-C is the byte 0x03 typed into a real pseudo-terminal (util-linux
 * `script`), which sends SIGINT to the terminal's foreground processes (the
 * bin and its git); SIGTERM goes to the bin's process group, as a service
 * manager or `kill -- -PGID` sends it. Either way: exit 130 / 143 (never
 * listr2's 127), one line saying so, and the directory as it was before.
 * A second signal, while a commit that ignores signals holds the rollback
 * up, ends the bin at once with the same code and a line naming what may
 * be left.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct } from '../../src/scaffold/create.js';
import { normaliseOptions } from '../../src/scaffold/options.js';
import { tempDir } from '../harness/product.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const bin = path.join(repoRoot, 'packages/create-dbt-product/bin/create-dbt-product.js');

/** One word for `sh -c`, quoted. */
const shellWord = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;

let root: string;
let fakeBin: string;
let marker: string;
beforeAll(async () => {
  root = await tempDir('create-dbt-product-interrupt-');
  fakeBin = path.join(root, 'bin');
  marker = path.join(root, 'commit-reached');
  const realGit = (await execa('sh', ['-c', 'command -v git'])).stdout.trim();
  await mkdir(fakeBin);
  const git = path.join(fakeBin, 'git');
  await writeFile(
    git,
    [
      '#!/bin/sh',
      'for arg in "$@"; do',
      // FAKE_GIT_STUBBORN: the commit ignores the signals too, so the rollback waits for it.
      '  if [ "$arg" = commit ]; then',
      `    if [ -n "$FAKE_GIT_STUBBORN" ]; then trap '' INT TERM; fi`,
      `    echo $$ > ${shellWord(marker)}; exec sleep 60`,
      '  fi',
      'done',
      `exec ${shellWord(realGit)} "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(git, 0o755);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const env = (more: Record<string, string> = {}) => ({
  PATH: `${fakeBin}${path.delimiter}${process.env.PATH}`,
  CI: '',
  SHELL: '/bin/sh',
  ...more,
});

/** Resolves once the stalling git commit has started; fails with the bin's output after 60 s. */
async function commitReached(child: ResultPromise): Promise<void> {
  let ended = false;
  void child.finally(() => {
    ended = true;
  });
  for (let wait = 0; wait < 600 && !existsSync(marker); wait++) {
    if (ended) throw new Error(`create-dbt-product ended before git commit:\n${(await child).all}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(existsSync(marker), 'git commit never started').toBe(true);
}

/** Everything in the test's root besides the fake git: the product and any staging folder beside it. */
async function leftInRoot(): Promise<string[]> {
  return (await readdir(root)).filter((entry) => entry !== 'bin' && entry !== 'commit-reached').sort();
}

describe('create-dbt-product interrupted while it writes (real process, real signal)', () => {
  it('Ctrl-C in a terminal: exits 130 with one line, and the new directory is gone', async () => {
    await rm(marker, { force: true });
    const command = [process.execPath, bin, 'shop', '--yes'].map(shellWord).join(' ');
    const child = execa('script', ['-qefc', `stty cols 120 rows 40; exec ${command}`, '/dev/null'], {
      cwd: root,
      env: env(),
      reject: false,
      all: true,
      stdin: 'pipe',
      timeout: 90_000,
    });
    await commitReached(child);
    // The product's files are all in place now: the interruption must take them back.
    expect(existsSync(path.join(root, 'shop', 'dbt_project.yml'))).toBe(true);
    child.stdin?.write('\x03');
    const result = await child;
    expect(result.exitCode, result.all).toBe(130);
    expect(result.all).toContain('create-dbt-product: interrupted by SIGINT: nothing was written');
    expect(result.all).not.toContain('Created shop');
    expect(await leftInRoot()).toEqual([]);
  });

  it('SIGTERM with --force into a directory with a file: exits 143, the file is back as it was and no .git stays', async () => {
    await rm(marker, { force: true });
    const dir = path.join(root, 'mine');
    await mkdir(dir);
    await writeFile(path.join(dir, 'README.md'), 'my own readme\n');
    await writeFile(path.join(dir, 'notes.txt'), 'kept\n');
    const child = execa(process.execPath, [bin, 'mine', '--yes', '--force'], {
      cwd: root,
      env: env(),
      reject: false,
      all: true,
      input: '',
      // Its own process group, so that the signal reaches the bin and its git alike.
      detached: true,
      timeout: 90_000,
    });
    await commitReached(child);
    expect(await readFile(path.join(dir, 'README.md'), 'utf8')).not.toBe('my own readme\n');
    process.kill(-(child.pid as number), 'SIGTERM');
    const result = await child;
    expect(result.exitCode, result.all).toBe(143);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(
      'create-dbt-product: interrupted by SIGTERM: nothing was written',
    );
    expect((await readdir(dir)).sort()).toEqual(['README.md', 'notes.txt']);
    expect(await readFile(path.join(dir, 'README.md'), 'utf8')).toBe('my own readme\n');
    expect(await leftInRoot()).toEqual(['mine']);
  });
});

describe('create-dbt-product stopped twice, before it took back what it wrote (real process, real signals)', () => {
  /** Starts the bin as `start` does, holds it in a commit that ignores signals; the stalled git's pid. */
  async function heldInCommit(child: ResultPromise): Promise<number> {
    await commitReached(child);
    let pid = 0;
    for (let wait = 0; wait < 50 && !pid; wait++) {
      pid = Number((await readFile(marker, 'utf8')).trim());
      if (!pid) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return pid;
  }

  it('Ctrl-C twice in a terminal: exits 130 at once, saying the rollback was cut short and where', async () => {
    await rm(marker, { force: true });
    const command = [process.execPath, bin, 'twice', '--yes'].map(shellWord).join(' ');
    const child = execa('script', ['-qefc', `stty cols 400 rows 40; exec ${command}`, '/dev/null'], {
      cwd: root,
      env: env({ FAKE_GIT_STUBBORN: '1' }),
      reject: false,
      all: true,
      stdin: 'pipe',
      timeout: 90_000,
    });
    const git = await heldInCommit(child);
    try {
      child.stdin?.write('\x03');
      // The first is taken: the rollback now waits for the commit, which ignores it.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(child.exitCode).toBeNull();
      const second = Date.now();
      child.stdin?.write('\x03');
      const result = await child;
      expect(Date.now() - second).toBeLessThan(5_000);
      expect(result.exitCode, result.all).toBe(130);
      const dir = path.join(root, 'twice');
      expect(result.all).toContain(
        `create-dbt-product: SIGINT again: stopped before taking back what it wrote; ${dir} may hold partial files (and ${path.join(root, '.twice.create-dbt-product-*')} beside it)`,
      );
      expect(result.all).not.toContain('nothing was written');
      // Cut short: the files are still there, as the line says.
      expect(existsSync(path.join(dir, 'dbt_project.yml'))).toBe(true);
    } finally {
      process.kill(git, 'SIGKILL');
      await rm(path.join(root, 'twice'), { recursive: true, force: true });
      for (const left of await leftInRoot()) await rm(path.join(root, left), { recursive: true, force: true });
    }
  });

  it('SIGTERM twice with --force: exits 143 at once, naming where the replaced files wait', async () => {
    await rm(marker, { force: true });
    const dir = path.join(root, 'mine-twice');
    await mkdir(dir);
    await writeFile(path.join(dir, 'README.md'), 'my own readme\n');
    const child = execa(process.execPath, [bin, 'mine-twice', '--yes', '--force'], {
      cwd: root,
      env: env({ FAKE_GIT_STUBBORN: '1' }),
      reject: false,
      all: true,
      input: '',
      detached: true,
      timeout: 90_000,
    });
    const git = await heldInCommit(child);
    try {
      process.kill(-(child.pid as number), 'SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(child.exitCode).toBeNull();
      const second = Date.now();
      process.kill(child.pid as number, 'SIGTERM');
      const result = await child;
      expect(Date.now() - second).toBeLessThan(5_000);
      expect(result.exitCode, result.all).toBe(143);
      expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(
        `create-dbt-product: SIGTERM again: stopped before taking back what it wrote; ${dir} may hold partial files (files it replaced wait in ${path.join(root, '.mine-twice.create-dbt-product-*')})`,
      );
    } finally {
      process.kill(git, 'SIGKILL');
      for (const left of await leftInRoot()) await rm(path.join(root, left), { recursive: true, force: true });
    }
  });
});

describe('createProduct takes back what it wrote (in-process)', () => {
  it('when the step after the write fails: the new directory goes, a replaced file comes back', async () => {
    const dir = path.join(root, 'failing');
    await mkdir(dir);
    await writeFile(path.join(dir, 'dbt_project.yml'), 'name: mine\n');
    const failingCommit = {
      run: async <T>(title: string, work: () => Promise<T>): Promise<T> => {
        if (title.startsWith('Initialise git')) throw new Error('git commit failed: no space left on device');
        return work();
      },
    };
    const options = normaliseOptions({ dir, name: 'failing', force: true, git: true });
    await expect(createProduct(options, failingCommit)).rejects.toThrow('no space left on device');
    expect(await readdir(dir)).toEqual(['dbt_project.yml']);
    expect(await readFile(path.join(dir, 'dbt_project.yml'), 'utf8')).toBe('name: mine\n');
    expect((await leftInRoot()).filter((entry) => entry.includes('failing'))).toEqual(['failing']);

    const fresh = path.join(root, 'nested', 'fresh');
    const freshOptions = normaliseOptions({ dir: fresh, name: 'fresh', git: true });
    await expect(createProduct(freshOptions, failingCommit)).rejects.toThrow('no space left on device');
    // The parent folder it had to create goes too.
    expect(existsSync(path.join(root, 'nested'))).toBe(false);
  });

  it('an abort before the write leaves nothing, and says why', async () => {
    const dir = path.join(root, 'aborted');
    const controller = new AbortController();
    controller.abort(new Error('interrupted by SIGINT'));
    const options = normaliseOptions({ dir, name: 'aborted', git: false });
    await expect(createProduct(options, undefined, controller.signal)).rejects.toThrow('interrupted by SIGINT');
    expect(existsSync(dir)).toBe(false);
  });
});
