/**
 * filesChangedSince on real repositories: relative to a folder below the
 * top level, and the typed problems that callers word for their own flag
 * (test/select/changed-files.test.ts covers the --changed-since wording and
 * every kind of change).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesChangedSince, GitRepositoryError, type RepositoryProblem } from '../../src/git/index.js';
import { commitAll } from '../harness/git.js';
import { tempDir } from '../harness/product.js';

let root: string;

beforeEach(async () => {
  root = await tempDir('dbt-product-kit-git-changes-');
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function problem(dir: string, revision: string): Promise<RepositoryProblem | undefined> {
  const error = await filesChangedSince(dir, revision).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GitRepositoryError);
  expect((error as Error).message).not.toContain('\n');
  return (error as GitRepositoryError).problem;
}

describe('filesChangedSince', () => {
  it('lists committed and local changes relative to the folder, and nothing outside it', async () => {
    const project = path.join(root, 'products', 'orders');
    await mkdir(project, { recursive: true });
    await writeFile(path.join(project, 'a.sql'), 'select 1\n');
    const base = await commitAll(root, 'base');
    await writeFile(path.join(project, 'a.sql'), 'select 2\n');
    await writeFile(path.join(root, 'outside.txt'), 'x\n');
    await commitAll(root, 'change');
    await writeFile(path.join(project, 'new.sql'), 'select 3\n');
    expect(await filesChangedSince(project, base)).toEqual(['a.sql', 'new.sql']);
  });

  it('names why the repository cannot answer', async () => {
    expect(await problem(root, 'HEAD')).toBe('not-a-repository');
    await simpleGit(root).init();
    expect(await problem(root, 'HEAD')).toBe('no-commit');
    await writeFile(path.join(root, 'a.txt'), 'a\n');
    const first = await commitAll(root, 'first');
    expect(await problem(root, 'no-such-branch')).toBe('unknown-revision');
    expect(await problem(root, '--output=/tmp/x')).toBe('unknown-revision');
    await simpleGit(root).raw(['checkout', '--quiet', '--orphan', 'other']);
    await commitAll(root, 'another history');
    expect(await problem(root, first)).toBe('unrelated-history');
  });
});
