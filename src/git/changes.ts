/**
 * What changed in a working copy since a revision: committed since the merge
 * base with HEAD, plus staged, unstaged and untracked files.
 */
import path from 'node:path';
import { GitRepositoryError } from './errors.js';
import { gitClient, gitFailure } from './run.js';

/**
 * Files changed since `revision`, relative to `dir` (`/`-separated). Files
 * outside `dir` are dropped, and deleted files too (nothing is left of
 * them). A GitRepositoryError says why the repository cannot answer.
 */
export async function filesChangedSince(dir: string, revision: string): Promise<string[]> {
  if (revision.startsWith('-')) {
    throw new GitRepositoryError(`"${revision}" is not a revision`, 'unknown-revision', { dir });
  }
  const git = await gitClient(dir);
  // simple-git waits 50 ms more after a git process that printed nothing, so each call
  // here prints something: the top level and HEAD, the merge base, and the status (whose
  // branch line is always there). The three run at once; their errors are read in order.
  const [where, base, status] = await Promise.allSettled([
    git.revparse(['--show-toplevel', 'HEAD']),
    git.raw(['merge-base', revision, 'HEAD']),
    git.status(['--untracked-files=all']),
  ]);
  if (where.status === 'rejected') {
    const inRepository = await git.checkIsRepo().catch(() => false);
    throw inRepository
      ? new GitRepositoryError(`the repository at ${dir} has no commit yet`, 'no-commit', {
          cause: where.reason,
          dir,
        })
      : new GitRepositoryError(`${dir} is not in a git repository`, 'not-a-repository', { cause: where.reason, dir });
  }
  const [top = '', head = ''] = where.value.split('\n');
  if (base.status === 'rejected') {
    throw new GitRepositoryError(`unknown revision "${revision}"`, 'unknown-revision', {
      cause: base.reason,
      args: ['merge-base', revision, 'HEAD'],
      dir,
    });
  }
  // merge-base exits 1 and prints nothing when the two share no commit.
  if (!base.value.trim()) {
    throw new GitRepositoryError(`"${revision}" shares no history with HEAD`, 'unrelated-history', { dir });
  }
  if (status.status === 'rejected') throw gitFailure(['status'], dir, status.reason);
  // The merge base to HEAD is REV...HEAD; nothing was committed since when the base is HEAD.
  const mergeBase = base.value.trim();
  const diffArgs = ['diff', '--name-only', '--no-renames', '--diff-filter=d', mergeBase, 'HEAD'];
  const committed =
    mergeBase === head.trim()
      ? []
      : (await git.raw(diffArgs).catch((cause: unknown) => Promise.reject(gitFailure(diffArgs, dir, cause))))
          .split('\n')
          .filter(Boolean);
  const { not_added, created, modified, renamed, staged, deleted } = status.value;
  const local = [...not_added, ...created, ...modified, ...renamed.map((entry) => entry.to), ...staged];
  const gone = new Set(deleted);
  const relativeTo = path.relative(top.trim(), path.resolve(dir));
  return [...new Set([...committed, ...local])]
    .filter((file) => !gone.has(file))
    .map((file) => path.posix.relative(relativeTo.split(path.sep).join('/'), file))
    .filter((file) => !file.startsWith('..'))
    .sort();
}
