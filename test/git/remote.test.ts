/**
 * The git adapter's remote reading against a real local repository (file://
 * URLs, so shallow clones are real): refs, bare clones shallow and full, the
 * commit a revision names, files at a commit, and the typed, one-line errors.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KitError } from '../../src/errors.js';
import {
  cloneBare,
  GitError,
  isRemoteRef,
  listFiles,
  remoteRefs,
  resolveCommit,
  showFile,
} from '../../src/git/index.js';
import { commitAll } from '../harness/git.js';
import { tempDir } from '../harness/product.js';

let root: string;
let url: string;
let first: string;
let second: string;
let branch: string;

beforeAll(async () => {
  root = await tempDir('dbt-product-kit-git-remote-');
  const repo = path.join(root, 'repo');
  await mkdir(path.join(repo, 'dir'), { recursive: true });
  await writeFile(path.join(repo, 'a.txt'), 'one\n');
  await writeFile(path.join(repo, 'dir', 'b.yml'), 'b: 1\n');
  first = await commitAll(repo, 'first');
  await simpleGit(repo).addTag('v1');
  await writeFile(path.join(repo, 'a.txt'), 'two\n');
  second = await commitAll(repo, 'second');
  branch = (await simpleGit(repo).raw(['branch', '--show-current'])).trim();
  url = `file://${repo}`;
});

afterAll(() => rm(root, { recursive: true, force: true }));

const cloneDir = (name: string) => tempDir(`dbt-product-kit-git-clone-${name}-`);

describe('remoteRefs', () => {
  it("lists the remote's HEAD, branches and tags with their commits", async () => {
    const refs = await remoteRefs(url);
    expect(refs.get('HEAD')).toBe(second);
    expect(refs.get(`refs/heads/${branch}`)).toBe(second);
    expect(refs.get('refs/tags/v1')).toBe(first);
    expect(isRemoteRef(refs, 'v1')).toBe(true);
    expect(isRemoteRef(refs, branch)).toBe(true);
    expect(isRemoteRef(refs, 'HEAD')).toBe(true);
    // A commit is no ref: it takes a full clone.
    expect(isRemoteRef(refs, first)).toBe(false);
  });

  it('an unreadable URL is a one-line GitError with what git said, the command and the cause', async () => {
    const error = await remoteRefs(`file://${root}/missing`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GitError);
    expect(error).toBeInstanceOf(KitError);
    const gitError = error as GitError;
    expect(gitError.args).toEqual(['ls-remote', '--', `file://${root}/missing`]);
    expect(gitError.gitExitCode).toBe(128);
    expect(gitError.cause).toBeDefined();
    // git's first fatal line, not its closing advice.
    expect(gitError.detail).toBe(`fatal: '${root}/missing' does not appear to be a git repository`);
    expect(gitError.message).toMatch(/^git ls-remote failed \(exit 128\) in .*: fatal: '.*missing' does not appear/);
    expect(gitError.message).not.toContain('\n');
  });

  it("never keeps a URL's credential, though git quotes it back without the scheme", async () => {
    for (const secretUrl of ['git://TOKEN@127.0.0.1:1/x.git', 'https://user:TOKEN@127.0.0.1:1/x.git']) {
      const error = (await remoteRefs(secretUrl).catch((caught: unknown) => caught)) as GitError;
      expect(error, secretUrl).toBeInstanceOf(GitError);
      expect(error.message).toMatch(/^git ls-remote failed \(exit 128\)/);
      expect(JSON.stringify([error.message, error.detail, error.args])).not.toContain('TOKEN');
      expect(error.args[2]).toMatch(/:\/\/\*\*\*@127\.0\.0\.1:1\/x\.git$/);
    }
  });
});

describe('cloneBare and reading a commit', () => {
  it('a shallow clone at a tag has that commit only; its files and texts are read exactly', async () => {
    const dir = await cloneDir('tag');
    try {
      await cloneBare(url, dir, { ref: 'v1' });
      expect(await resolveCommit(dir, 'v1')).toBe(first);
      expect(await resolveCommit(dir, second)).toBeUndefined();
      expect(await listFiles(dir, first)).toEqual(['a.txt', 'dir/b.yml']);
      expect(await showFile(dir, first, 'a.txt')).toBe('one\n');
      expect(await showFile(dir, first, 'dir/b.yml')).toBe('b: 1\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a shallow clone at HEAD is the default branch's tip", async () => {
    const dir = await cloneDir('head');
    try {
      await cloneBare(url, dir, { ref: 'HEAD' });
      expect(await resolveCommit(dir, 'HEAD')).toBe(second);
      expect(await showFile(dir, second, 'a.txt')).toBe('two\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a full clone reads any commit, by full or short sha; unknown revisions name nothing', async () => {
    const dir = await cloneDir('full');
    try {
      await cloneBare(url, dir);
      expect(await resolveCommit(dir, first.slice(0, 10))).toBe(first);
      expect(await resolveCommit(dir, second)).toBe(second);
      expect(await showFile(dir, first, 'a.txt')).toBe('one\n');
      expect(await resolveCommit(dir, 'v9')).toBeUndefined();
      expect(await resolveCommit(dir, '--all')).toBeUndefined();
      const missing = await showFile(dir, first, 'nope.txt').catch((caught: unknown) => caught);
      expect(missing).toBeInstanceOf(GitError);
      expect((missing as GitError).message).toMatch(/^git show failed \(exit 128\) in .*: fatal: .*nope\.txt/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a branch or tag the remote lacks fails the shallow clone with a GitError', async () => {
    const dir = await cloneDir('missing');
    try {
      await expect(cloneBare(url, dir, { ref: 'v9' })).rejects.toThrow(GitError);
      await expect(cloneBare(url, dir, { ref: 'v9' })).rejects.toThrow(/^git clone failed \(exit 128\) in /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
