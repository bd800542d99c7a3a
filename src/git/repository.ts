/** A working copy's own state: whether there is one, its HEAD, and a first commit for a new product. */
import { gitClient, gitFailure, runGit } from './run.js';

export async function isInsideWorkTree(dir: string): Promise<boolean> {
  try {
    return (await runGit(dir, ['rev-parse', '--is-inside-work-tree'])).stdout.trim() === 'true';
  } catch {
    return false; // not a repository, or no such folder: either way, not inside one
  }
}

export interface HeadInfo {
  /** HEAD's full commit sha. */
  sha: string | null;
  /** The current branch, or `HEAD` when detached. */
  ref: string | null;
}

/** HEAD's commit and branch, or nulls when `dir` is not in a repository with a commit (what an audit row records). */
export async function headInfo(dir: string): Promise<HeadInfo> {
  try {
    // One git process: --abbrev-ref applies to the second HEAD only.
    const { stdout } = await runGit(dir, ['rev-parse', 'HEAD', '--abbrev-ref', 'HEAD']);
    const [sha = '', ref = ''] = stdout.split('\n').map((line) => line.trim());
    return { sha: sha || null, ref: ref || null };
  } catch {
    return { sha: null, ref: null };
  }
}

/**
 * Whether `dir`'s part of the working tree differs from HEAD: a change to a tracked file, staged
 * or not, or an untracked file git does not ignore (a new model runs as much as a changed one).
 * Null when git cannot tell (not a repository, no git). Only `dir` is looked at: a product in a
 * monorepo is not made dirty by another folder.
 */
export async function workTreeDirty(dir: string): Promise<boolean | null> {
  try {
    const { stdout } = await runGit(dir, ['status', '--porcelain', '--untracked-files=normal', '--', '.']);
    return stdout.trim() !== '';
  } catch {
    return null;
  }
}

/**
 * `git init` (when needed), add everything, commit; returns the commit's
 * abbreviated sha, as git prints it. Falls back to a neutral author when the machine has no git identity
 * (fresh CI runners), rather than failing the scaffold.
 */
export async function initialCommit(dir: string, message: string): Promise<string> {
  const git = await gitClient(dir);
  const step = async <T>(args: string[], work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (cause) {
      throw gitFailure(args, dir, cause);
    }
  };
  if (!(await step(['rev-parse'], () => git.checkIsRepo()))) await step(['init'], () => git.init());
  const [email, name] = await Promise.all([
    step(['config', 'user.email'], () => git.getConfig('user.email')),
    step(['config', 'user.name'], () => git.getConfig('user.name')),
  ]);
  const identity = [
    ...(email.value ? [] : ['user.email=create-dbt-product@localhost']),
    ...(name.value ? [] : ['user.name=create-dbt-product']),
  ];
  await step(['add', '.'], () => git.add('.'));
  const committer = identity.length > 0 ? await gitClient(dir, { config: identity }) : git;
  return (await step(['commit'], () => committer.commit(message))).commit;
}
