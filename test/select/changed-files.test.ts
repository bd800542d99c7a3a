/**
 * changedFilesSince on real git repositories made by the test: which files
 * count as changed, relative to a project in a subfolder, and the one-line
 * errors for a bad ref, no repository, no commit and unrelated histories.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesAtCommit } from '../../src/git/changes.js';
import { changedFilesSince, GitRefError, projectChangesSince } from '../../src/select/changed.js';
import { tempDir } from '../harness/product.js';

let root: string;
let project: string;
let git: SimpleGit;

async function write(file: string, text = `${file}\n`) {
  await mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await writeFile(path.join(root, file), text);
}

async function commitAll(message: string) {
  await git.add('.');
  await git.commit(message);
}

beforeEach(async () => {
  root = await tempDir('dbt-product-kit-git-');
  project = path.join(root, 'products', 'orders');
  git = simpleGit(root, { config: ['user.email=test@localhost', 'user.name=test'] });
  await git.init(['--initial-branch=main']);
});

afterEach(() => rm(root, { recursive: true, force: true }));

describe('changedFilesSince', () => {
  it('committed since the merge base, staged, unstaged and untracked files, relative to the project', async () => {
    await write('products/orders/models/a.sql');
    await write('products/orders/models/b.sql');
    await write('products/orders/models/gone.sql');
    await write('products/other/models/x.sql');
    await commitAll('base');
    await git.checkoutLocalBranch('feature');
    await write('products/orders/models/a.sql', 'select 2\n');
    await write('products/other/models/x.sql', 'select 2\n');
    await commitAll('feature work');
    // main moves on too: its changes are not this branch's.
    await git.checkout('main');
    await write('products/orders/models/main-only.sql');
    await commitAll('main work');
    await git.checkout('feature');
    await write('products/orders/models/b.sql', 'select 3\n'); // unstaged
    await write('products/orders/models/staged.sql');
    await git.add('products/orders/models/staged.sql');
    await write('products/orders/models/new/untracked.sql');
    await rm(path.join(project, 'models', 'gone.sql'));

    expect(await changedFilesSince(project, 'main')).toEqual([
      'models/a.sql',
      'models/b.sql',
      'models/new/untracked.sql',
      'models/staged.sql',
    ]);
  });

  it('deleted files (committed or not) apart, and the texts compared as they were at the merge base', async () => {
    await write('products/orders/models/_models.yml', 'models: []\n');
    await write('products/orders/models/a.sql');
    await write('products/orders/models/b.sql');
    await write('products/orders/macros/m.sql', '{% macro m() %}1{% endmacro %}\n');
    await commitAll('base');
    await git.checkoutLocalBranch('feature');
    await rm(path.join(project, 'models', 'a.sql'));
    await write('products/orders/models/_models.yml', 'models: [{name: a}]\n');
    await commitAll('drop a');
    await rm(path.join(project, 'models', 'b.sql')); // not committed
    await write('products/orders/models/new.sql'); // added then removed: never at the base
    await git.add('.');
    await rm(path.join(project, 'models', 'new.sql'));
    await write('products/orders/macros/n.sql', '{% macro n() %}2{% endmacro %}\n');

    const changes = await projectChangesSince(project, 'main');
    expect(changes.files.map(({ file, deleted, before, after }) => ({ file, deleted, before, after }))).toEqual([
      { file: 'macros/n.sql', deleted: false, before: undefined, after: '{% macro n() %}2{% endmacro %}\n' },
      { file: 'models/_models.yml', deleted: false, before: 'models: []\n', after: 'models: [{name: a}]\n' },
      { file: 'models/a.sql', deleted: true, before: undefined, after: undefined },
      { file: 'models/b.sql', deleted: true, before: undefined, after: undefined },
    ]);
    expect(changes.layout.macroPaths).toEqual(['macros']);
    const base = (await git.raw(['merge-base', 'main', 'HEAD'])).trim();
    expect(await filesAtCommit(project, base, ['macros/m.sql', 'models/none.sql'])).toEqual(
      new Map([
        ['macros/m.sql', '{% macro m() %}1{% endmacro %}\n'],
        ['models/none.sql', undefined],
      ]),
    );
  });

  it('a changed packages file: the names of local packages read from their dbt_project.yml', async () => {
    await write('products/parent/dbt_project.yml', 'name: parent\n');
    await write('products/orders/dbt_project.yml', 'name: orders\n');
    await commitAll('base');
    const untouched = await projectChangesSince(project, 'HEAD');
    expect(untouched.packageNames).toBeUndefined();
    await write('products/orders/packages.yml', 'packages:\n  - local: ../parent\n  - local: ../missing\n');
    const changes = await projectChangesSince(project, 'HEAD');
    expect(changes.packageNames).toEqual(new Map([['local:../parent', 'parent']]));
  });

  it('nothing changed: no files', async () => {
    await write('products/orders/models/a.sql');
    await commitAll('base');
    expect(await changedFilesSince(project, 'HEAD')).toEqual([]);
    expect(await changedFilesSince(project, 'main')).toEqual([]);
  });

  it('a commit that changes nothing in the project: no files', async () => {
    await write('products/orders/models/a.sql');
    await commitAll('base');
    await write('README.md');
    await commitAll('docs outside the project');
    expect(await changedFilesSince(project, 'HEAD~1')).toEqual([]);
  });

  it('errors name what to fix', async () => {
    await mkdir(project, { recursive: true });
    await expect(changedFilesSince(project, 'main')).rejects.toThrow(
      /^--changed-since needs a commit to compare with, and the repository at .* has none yet$/,
    );
    await write('products/orders/models/a.sql');
    await commitAll('base');
    await expect(changedFilesSince(project, 'no-such-branch')).rejects.toThrow(
      /^unknown git ref "no-such-branch" for --changed-since: fetch it first/,
    );
    await expect(changedFilesSince(project, '--output=/tmp/x')).rejects.toThrow(
      /^"--output=\/tmp\/x" is not a git ref: give --changed-since a branch, tag or commit$/,
    );
    await git.raw(['checkout', '--orphan', 'unrelated']);
    await commitAll('another history');
    await expect(changedFilesSince(project, 'main')).rejects.toThrow(/^"main" shares no history with HEAD/);
    const error = await changedFilesSince(project, 'main').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GitRefError);
    expect((error as GitRefError).exitCode).toBe(2);

    const outside = await tempDir('dbt-product-kit-nogit-');
    try {
      await expect(changedFilesSince(outside, 'main')).rejects.toThrow(
        /^--changed-since needs a git repository, and .* is not in one$/,
      );
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
