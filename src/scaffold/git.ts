/** Git for a new product: a repository and a first commit, unless it already lives in one. */
import { simpleGit } from 'simple-git';

export async function isInsideWorkTree(dir: string): Promise<boolean> {
  try {
    return (await simpleGit(dir).revparse(['--is-inside-work-tree'])).trim() === 'true';
  } catch {
    return false;
  }
}

/**
 * `git init` (when needed), add everything, commit. Falls back to a neutral
 * author when the machine has no git identity (fresh CI runners), rather than
 * failing the scaffold.
 */
export async function initialCommit(dir: string, message: string): Promise<string> {
  const git = simpleGit(dir);
  if (!(await git.checkIsRepo())) await git.init();
  const email = await git.getConfig('user.email');
  const name = await git.getConfig('user.name');
  const identity = [
    ...(email.value ? [] : ['user.email=create-dbt-product@localhost']),
    ...(name.value ? [] : ['user.name=create-dbt-product']),
  ];
  await git.add('.');
  const committer = identity.length > 0 ? simpleGit(dir, { config: identity }) : git;
  const result = await committer.commit(message);
  return result.commit;
}
