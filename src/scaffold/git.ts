/**
 * Git for a new product: a repository and a first commit, unless it already
 * lives in one. simple-git is loaded on first use: `--no-git` runs skip it.
 */
async function simpleGit(dir: string, options: { config?: string[] } = {}) {
  const { simpleGit: create } = await import('simple-git');
  return create(dir, options);
}

export async function isInsideWorkTree(dir: string): Promise<boolean> {
  try {
    return (await (await simpleGit(dir)).revparse(['--is-inside-work-tree'])).trim() === 'true';
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
  const git = await simpleGit(dir);
  if (!(await git.checkIsRepo())) await git.init();
  const email = await git.getConfig('user.email');
  const name = await git.getConfig('user.name');
  const identity = [
    ...(email.value ? [] : ['user.email=create-dbt-product@localhost']),
    ...(name.value ? [] : ['user.name=create-dbt-product']),
  ];
  await git.add('.');
  const committer = identity.length > 0 ? await simpleGit(dir, { config: identity }) : git;
  const result = await committer.commit(message);
  return result.commit;
}
