/**
 * Selection by change (`--changed-since REF`): the files that differ from REF
 * (committed since the merge base, staged, unstaged or untracked) mapped to
 * the nodes of the last manifest, so no `dbt ls` and no full parse is needed.
 * The planner is pure; the git adapter reads the changes, and the shell below
 * words its errors for the flag.
 */
import type { SelectionManifest } from '../dbt/artifacts.js';
import { KitError } from '../errors.js';
import { filesChangedSince, GitRepositoryError } from '../git/index.js';

/** Files whose change can touch every node: run the whole product. */
export const PROJECT_WIDE_FILES = new Set([
  'dbt_project.yml',
  'packages.yml',
  'dependencies.yml',
  'package-lock.yml',
  'profiles.yml',
]);

/** Files dbt itself turns into nodes, even new ones the last manifest lacks. */
const NODE_FILE = /\.(sql|py|csv)$/;

export interface FileSelection {
  file: string;
  /** What the file selects: dbt selectors, or "everything", or nothing (with why). */
  selects: string[];
  note?: string;
}

export interface ChangedSelection {
  /** A project-wide file changed: run the whole product (no --select). */
  everything: boolean;
  /** dbt --select arguments (each with its downstream, within this package). */
  select: string[];
  files: FileSelection[];
}

function stripProjectPrefix(patchPath: string): string {
  return patchPath.replace(/^[^:]+:\/\//, '');
}

/** Pure: changed files (relative to the project, `/`-separated) → what to select. */
export function selectChanged(
  changedFiles: readonly string[],
  manifest: SelectionManifest,
  projectName: string,
): ChangedSelection {
  // Hooks (operations) run with every invocation anyway; they are not selectable nodes.
  const own = Object.values(manifest.nodes).filter(
    (node) => node.package_name === projectName && node.resource_type !== 'operation',
  );
  const byFile = new Map<string, string[]>();
  const add = (file: string | null | undefined, selector: string) => {
    if (!file) return;
    const list = byFile.get(file) ?? [];
    if (!list.includes(selector)) list.push(selector);
    byFile.set(file, list);
  };
  const nodeSelector = (file: string) => `path:${file}+,package:${projectName}`;

  // A node's own file selects it; a YAML file selects the nodes it patches and the tests it defines.
  for (const node of own) {
    if (!node.original_file_path) continue;
    add(node.original_file_path, nodeSelector(node.original_file_path));
    if (node.patch_path) add(stripProjectPrefix(node.patch_path), nodeSelector(node.original_file_path));
  }
  // A YAML file that declares sources selects what reads them (source:<source>.<table>).
  for (const source of Object.values(manifest.sources)) {
    if (source.package_name !== projectName || !source.original_file_path) continue;
    const name = source.unique_id.split('.').slice(2).join('.');
    add(source.original_file_path, `source:${name}+,package:${projectName}`);
  }
  // A macro file selects every node that uses one of its macros, directly or through other macros.
  const macrosByFile = new Map<string, string[]>();
  for (const macro of Object.values(manifest.macros)) {
    if (macro.package_name !== projectName || !macro.original_file_path) continue;
    macrosByFile.set(macro.original_file_path, [
      ...(macrosByFile.get(macro.original_file_path) ?? []),
      macro.unique_id,
    ]);
  }
  const callers = new Map<string, string[]>();
  for (const macro of Object.values(manifest.macros)) {
    for (const used of macro.depends_on.macros) callers.set(used, [...(callers.get(used) ?? []), macro.unique_id]);
  }
  for (const [file, macroIds] of macrosByFile) {
    const reached = new Set(macroIds);
    const queue = [...macroIds];
    while (queue.length > 0) {
      for (const caller of callers.get(queue.pop() as string) ?? []) {
        if (!reached.has(caller)) {
          reached.add(caller);
          queue.push(caller);
        }
      }
    }
    for (const node of own) {
      if (node.original_file_path && node.depends_on.macros.some((id) => reached.has(id))) {
        add(file, nodeSelector(node.original_file_path));
      }
    }
  }

  const files: FileSelection[] = [];
  let everything = false;
  for (const file of [...new Set(changedFiles)].sort()) {
    if (PROJECT_WIDE_FILES.has(file)) {
      everything = true;
      files.push({ file, selects: ['everything'], note: 'project-wide file' });
    } else if (byFile.has(file)) {
      files.push({ file, selects: byFile.get(file) ?? [] });
    } else if (NODE_FILE.test(file) && !file.startsWith('target/') && !file.startsWith('dbt_packages/')) {
      // New since the last parse: dbt finds it by path.
      files.push({ file, selects: [nodeSelector(file)], note: 'not in the last manifest (new file)' });
    } else {
      files.push({ file, selects: [], note: 'no dbt node uses it' });
    }
  }
  const select = everything ? [] : [...new Set(files.flatMap((entry) => entry.selects))];
  return { everything, select, files };
}

export class GitRefError extends KitError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 2 });
  }
}

/** What each reason the repository cannot answer means for --changed-since. */
function changedSinceMessage(error: GitRepositoryError, projectDir: string, ref: string): string {
  switch (error.problem) {
    case 'not-a-repository':
      return `--changed-since needs a git repository, and ${projectDir} is not in one`;
    case 'no-commit':
      return `--changed-since needs a commit to compare with, and the repository at ${projectDir} has none yet`;
    case 'unknown-revision':
      return `unknown git ref "${ref}" for --changed-since: fetch it first (e.g. actions/checkout with fetch-depth: 0)`;
    case 'unrelated-history':
      return `"${ref}" shares no history with HEAD: --changed-since needs a ref on the same line of work`;
  }
}

/**
 * Files changed since `ref` (merge base to HEAD, plus staged, unstaged and
 * untracked ones), relative to the project directory. Files outside the
 * project are dropped, and deleted files too (they have no node to run).
 */
export async function changedFilesSince(projectDir: string, ref: string): Promise<string[]> {
  if (ref.startsWith('-'))
    throw new GitRefError(`"${ref}" is not a git ref: give --changed-since a branch, tag or commit`);
  try {
    return await filesChangedSince(projectDir, ref);
  } catch (error) {
    if (error instanceof GitRepositoryError) {
      throw new GitRefError(changedSinceMessage(error, projectDir, ref), { cause: error });
    }
    throw error;
  }
}
