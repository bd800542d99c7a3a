/** Real git repositories for tests: a commit of everything in a folder, with a test identity. */
import { simpleGit } from 'simple-git';

/** `git init` when needed, add everything, commit; returns the commit's full sha. */
export async function commitAll(dir: string, message: string): Promise<string> {
  const git = simpleGit(dir, { config: ['user.email=test@localhost', 'user.name=test'] });
  if (!(await git.checkIsRepo())) await git.init();
  await git.add('.');
  await git.commit(message);
  return (await git.revparse(['HEAD'])).trim();
}
