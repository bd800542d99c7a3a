/**
 * The git adapter on a working copy, with real repositories: HEAD's commit
 * and branch (nulls outside a repository or before the first commit), whether
 * a folder is in one, and the scaffold's first commit with and without a git
 * identity in the user's config.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { headInfo, initialCommit, isInsideWorkTree } from '../../src/git/index.js';
import { commitAll } from '../harness/git.js';
import { tempDir } from '../harness/product.js';

let root: string;

beforeEach(async () => {
  root = await tempDir('dbt-product-kit-git-repo-');
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('headInfo', () => {
  it("HEAD's full sha and branch, and HEAD as the ref when detached", async () => {
    const repo = path.join(root, 'repo');
    await mkdir(repo);
    await simpleGit(repo).init(['--initial-branch=trunk']);
    await writeFile(path.join(repo, 'a.txt'), 'a\n');
    const sha = await commitAll(repo, 'first');
    expect(await headInfo(repo)).toEqual({ sha, ref: 'trunk' });
    await mkdir(path.join(repo, 'sub'));
    expect(await headInfo(path.join(repo, 'sub'))).toEqual({ sha, ref: 'trunk' });
    await simpleGit(repo).raw(['checkout', '--quiet', '--detach']);
    expect(await headInfo(repo)).toEqual({ sha, ref: 'HEAD' });
  });

  it('nulls outside a repository, before the first commit, and for a folder that does not exist', async () => {
    expect(await headInfo(root)).toEqual({ sha: null, ref: null });
    expect(await headInfo(path.join(root, 'missing'))).toEqual({ sha: null, ref: null });
    await simpleGit(root).init();
    expect(await headInfo(root)).toEqual({ sha: null, ref: null });
  });
});

describe('isInsideWorkTree', () => {
  it('is true anywhere in a working copy, false elsewhere', async () => {
    expect(await isInsideWorkTree(root)).toBe(false);
    expect(await isInsideWorkTree(path.join(root, 'missing'))).toBe(false);
    await simpleGit(root).init();
    await mkdir(path.join(root, 'sub'));
    expect(await isInsideWorkTree(path.join(root, 'sub'))).toBe(true);
  });
});

describe('initialCommit', () => {
  /**
   * Runs `work` with `globalConfig` as the user's git config: HOME and
   * XDG_CONFIG_HOME point at a temp folder. (simple-git drops GIT_* variables
   * such as GIT_CONFIG_GLOBAL from git's environment, so they cannot.)
   */
  async function withGlobalConfig<T>(globalConfig: string, work: () => Promise<T>): Promise<T> {
    const home = path.join(root, 'home');
    await mkdir(home, { recursive: true });
    await writeFile(path.join(home, '.gitconfig'), globalConfig);
    const names = ['HOME', 'XDG_CONFIG_HOME', 'EMAIL'];
    const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
    process.env.HOME = home;
    process.env.XDG_CONFIG_HOME = path.join(home, '.config');
    delete process.env.EMAIL;
    try {
      return await work();
    } finally {
      for (const name of names) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  }

  async function author(dir: string): Promise<string> {
    return (await simpleGit(dir).raw(['log', '-1', '--format=%an <%ae>'])).trim();
  }

  it('initialises, adds everything and commits as the neutral author when the machine has no identity', async () => {
    const dir = path.join(root, 'product');
    await mkdir(path.join(dir, 'models'), { recursive: true });
    await writeFile(path.join(dir, 'models', 'a.sql'), 'select 1\n');
    const commit = await withGlobalConfig('', () => initialCommit(dir, 'Create product'));
    const head = (await simpleGit(dir).revparse(['HEAD'])).trim();
    expect(head.startsWith(commit)).toBe(true);
    expect(await author(dir)).toBe('create-dbt-product <create-dbt-product@localhost>');
    expect((await simpleGit(dir).raw(['ls-files'])).trim()).toBe('models/a.sql');
  });

  it("commits as the machine's git identity when it has one", async () => {
    const dir = path.join(root, 'product');
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.sql'), 'select 1\n');
    await withGlobalConfig('[user]\n\tname = Ada\n\temail = ada@example.com\n', () => initialCommit(dir, 'Create'));
    expect(await author(dir)).toBe('Ada <ada@example.com>');
  });
});
