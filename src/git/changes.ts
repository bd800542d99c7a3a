/**
 * What changed in a working copy since a revision: committed since the merge
 * base with HEAD, plus staged, unstaged and untracked files; and the files as
 * they were at that merge base, to compare with what is on disk now.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { GitRepositoryError } from './errors.js';
import { gitClient, gitFailure } from './run.js';

export interface WorkingCopyChanges {
  /** The commit the changes are counted from (merge base of the revision and HEAD). */
  mergeBase: string;
  /** Files that differ and exist now, relative to the folder asked about (`/`-separated). */
  changed: string[];
  /** Files that existed at the merge base and are gone now. */
  deleted: string[];
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/**
 * Files changed since `revision`, relative to `dir` (`/`-separated). Files
 * outside `dir` are dropped. A GitRepositoryError says why the repository
 * cannot answer.
 */
export async function changesSince(dir: string, revision: string): Promise<WorkingCopyChanges> {
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
  const [top = '', head = ''] = where.value.split('\n').map((line) => line.trim());
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
  const diffArgs = ['diff', '--name-only', '--no-renames', mergeBase, 'HEAD'];
  const committed =
    mergeBase === head
      ? []
      : (await git.raw(diffArgs).catch((cause: unknown) => Promise.reject(gitFailure(diffArgs, dir, cause))))
          .split('\n')
          .filter(Boolean);
  const { not_added, created, modified, renamed, staged, deleted } = status.value;
  const local = [...not_added, ...created, ...modified, ...renamed.map((entry) => entry.to), ...staged, ...deleted];
  const prefix = path.relative(top, path.resolve(dir)).split(path.sep).join('/');
  // Paths from the top of the repository, inside `dir` only.
  const inside = [...new Set([...committed, ...local])].filter(
    (file) => !path.posix.relative(prefix, file).startsWith('..'),
  );
  const present = await Promise.all(inside.map((file) => exists(path.join(top, file))));
  const gone = inside.filter((_, index) => !present[index]);
  // A file gone now counts as deleted only if the merge base had it (not one added and removed since).
  const atBase = gone.length
    ? await filesAt(git, mergeBase, ['--full-name', '--', ...gone.map((file) => `:(top)${file}`)], dir)
    : new Set();
  const relative = (file: string) => path.posix.relative(prefix, file);
  return {
    mergeBase,
    changed: inside
      .filter((_, index) => present[index])
      .map(relative)
      .sort(),
    deleted: gone
      .filter((file) => atBase.has(file))
      .map(relative)
      .sort(),
  };
}

/** Files changed since `revision` that exist now (see changesSince). */
export async function filesChangedSince(dir: string, revision: string): Promise<string[]> {
  return (await changesSince(dir, revision)).changed;
}

/** Which files of a pathspec list (`[options, '--', ...pathspecs]`) the commit has, as ls-tree names them. */
async function filesAt(
  git: Awaited<ReturnType<typeof gitClient>>,
  commit: string,
  pathspecs: string[],
  dir: string,
): Promise<Set<string>> {
  const args = ['ls-tree', '-r', '--name-only', commit, ...pathspecs];
  const listed = await git.raw(args).catch((cause: unknown) => Promise.reject(gitFailure(args, dir, cause)));
  return new Set(listed.split('\n').filter(Boolean));
}

/**
 * The text of `files` (relative to `dir`, `/`-separated) at `commit`; a file
 * the commit does not have maps to undefined.
 */
export async function filesAtCommit(
  dir: string,
  commit: string,
  files: readonly string[],
): Promise<Map<string, string | undefined>> {
  const texts = new Map<string, string | undefined>(files.map((file) => [file, undefined]));
  if (files.length === 0) return texts;
  const git = await gitClient(dir);
  // Relative to `dir`: ls-tree names them so, and `./` makes show read them so.
  const there = await filesAt(git, commit, ['--', ...files], dir);
  await Promise.all(
    files
      .filter((file) => there.has(file))
      .map(async (file) => {
        const args = ['show', `${commit}:./${file}`];
        texts.set(file, await git.raw(args).catch((cause: unknown) => Promise.reject(gitFailure(args, dir, cause))));
      }),
  );
  return texts;
}
