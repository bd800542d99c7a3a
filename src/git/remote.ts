/**
 * Reading another repository without a working copy: its refs (ls-remote), a
 * bare clone (shallow at a branch or tag), the commit a revision names, and
 * its files at that commit. What parent products are read with.
 */
import os from 'node:os';
import { runGit } from './run.js';

/** A remote's refs (`HEAD`, `refs/heads/main`, `refs/tags/v1`, peeled `refs/tags/v1^{}`) → commit sha. */
export async function remoteRefs(url: string): Promise<Map<string, string>> {
  // ls-remote needs no repository; the temp folder is merely somewhere to stand.
  const { stdout } = await runGit(os.tmpdir(), ['ls-remote', '--', url]);
  const refs = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [sha, name] = line.split('\t');
    if (sha && name) refs.set(name, sha);
  }
  return refs;
}

/** Whether `revision` is a ref the remote advertises (so a shallow clone can fetch it by name). */
export function isRemoteRef(refs: ReadonlyMap<string, string>, revision: string): boolean {
  return revision === 'HEAD' || refs.has(`refs/heads/${revision}`) || refs.has(`refs/tags/${revision}`);
}

/**
 * Clones `url` bare into `dir` (an empty folder). With `ref` (a branch, a
 * tag, or HEAD for the default branch) only that commit is fetched;
 * without, the whole history, which any commit can be read from.
 */
export async function cloneBare(url: string, dir: string, options: { ref?: string } = {}): Promise<void> {
  const shallow =
    options.ref === undefined ? [] : ['--depth', '1', ...(options.ref === 'HEAD' ? [] : ['--branch', options.ref])];
  await runGit(dir, ['clone', '--bare', '--quiet', ...shallow, '--', url, dir]);
}

/** The full sha of the commit `revision` names in the repository at `dir`, or undefined when it names none. */
export async function resolveCommit(dir: string, revision: string): Promise<string | undefined> {
  if (revision.startsWith('-')) return undefined;
  // --verify --quiet: exit 1 and no output for a revision that names nothing.
  const { stdout } = await runGit(dir, ['rev-parse', '--verify', '--quiet', `${revision}^{commit}`], {
    accept: (exitCode) => exitCode <= 1,
  });
  const sha = stdout.trim();
  return /^[0-9a-f]{40}$/.test(sha) ? sha : undefined;
}

/** Every file path at `commit` (repository-relative, `/`-separated). */
export async function listFiles(dir: string, commit: string): Promise<string[]> {
  const { stdout } = await runGit(dir, ['ls-tree', '-r', '--name-only', '--full-tree', commit]);
  return stdout.split('\n').filter(Boolean);
}

/** A file's text at `commit`; a path the commit lacks is a GitError (check listFiles first). */
export async function showFile(dir: string, commit: string, file: string): Promise<string> {
  return (await runGit(dir, ['show', `${commit}:${file}`])).stdout;
}
