/**
 * Selection by change (`--changed-since REF`): the files that differ from REF
 * (committed since the merge base, staged, unstaged, untracked or deleted)
 * mapped to the nodes they affect, from the last manifest and the files' own
 * texts (base against now), so no `dbt ls` and no full parse is needed. The
 * planner is pure; read-changes.ts reads what it needs, and the shell below
 * words git's errors for the flag.
 */
import type { SelectionManifest } from '../dbt/artifacts.js';
import { KitError } from '../errors.js';
import { filesChangedSince } from '../git/changes.js';
import { GitRepositoryError } from '../git/errors.js';
import { macroImpact, macroNamesIn, nodeSelector, type Reason } from './macro-impact.js';
import { defaultSelector, packagesImpact, selectorsImpact } from './project-files.js';
import { propertiesImpact } from './properties-impact.js';
import {
  type ChangedFile,
  COMPARED_PROJECT_FILES,
  isMacroFile,
  isUnder,
  type ProjectChanges,
  type ProjectLayout,
  propertiesFolders,
  readProjectChanges,
} from './read-changes.js';

/** Files whose change can touch every node, and why. */
export const PROJECT_WIDE_FILES: Record<string, string> = {
  'dbt_project.yml': 'dbt_project.yml configures every node',
  'profiles.yml': 'profiles.yml sets the connection every node is built with',
};
const PACKAGE_FILES = new Set([...COMPARED_PROJECT_FILES].filter((file) => file !== 'selectors.yml'));

/** One line of the explanation: a file, what it selects, and why. */
export interface FileSelection {
  file: string;
  deleted: boolean;
  /** dbt --select arguments, or everything (no --select: dbt's default selection). */
  selects: string[] | 'everything';
  why: string;
}

export interface ChangedSelection {
  /** Some change can touch every node: run the whole default selection (no --select). */
  everything: boolean;
  /** dbt --select arguments (each within this package). */
  select: string[];
  files: FileSelection[];
  /** The selector a plain dbt build applies, for the explanation of "everything". */
  defaultSelector?: string | undefined;
}

type ManifestNode = SelectionManifest['nodes'][string];

/** The project's nodes by the file that defines them, made once per selection (not once per file). */
function nodesByFile(manifest: SelectionManifest, projectName: string): Map<string, ManifestNode[]> {
  const byFile = new Map<string, ManifestNode[]>();
  for (const node of Object.values(manifest.nodes)) {
    if (node.package_name !== projectName || !node.original_file_path) continue;
    byFile.set(node.original_file_path, [...(byFile.get(node.original_file_path) ?? []), node]);
  }
  return byFile;
}

function nodeFileReasons(change: ChangedFile, nodes: ManifestNode[], projectName: string): Reason[] {
  if (change.deleted) return [{ selects: [], why: 'deleted: its node is gone, nothing to build' }];
  if (nodes.length === 0) {
    return [
      {
        selects: [`path:${change.file}+,package:${projectName}`],
        why: 'not in the last manifest: the node dbt finds at this path, and its downstream',
      },
    ];
  }
  const names = nodes.map((node) => `${node.resource_type} ${node.unique_id.split('.').slice(2).join('.')}`);
  return [
    {
      selects: [...new Set(nodes.flatMap((node) => nodeSelector(node, projectName) ?? []))],
      // Tests have no downstream, and their selector has no `+`.
      why: `${names.join(', ')}: its file changed; ${nodes.every((node) => node.resource_type === 'test') ? 'that test' : 'it and its downstream'}`,
    },
  ];
}

function macroFileReasons(change: ChangedFile, manifest: SelectionManifest, projectName: string): Reason[] {
  const ids = Object.values(manifest.macros)
    .filter((macro) => macro.package_name === projectName && macro.original_file_path === change.file)
    .map((macro) => macro.unique_id);
  const names = [...new Set([...macroNamesIn(change.before ?? ''), ...macroNamesIn(change.after ?? '')])];
  const where = change.deleted ? 'in this deleted file' : 'in this file';
  const reasons = macroImpact({ ids, names }, manifest, projectName, where);
  if (reasons.length > 0) return reasons;
  const listed = names.length ? ` (${names.join(', ')})` : '';
  return [
    {
      selects: [],
      why: `no node, hook, materialization or implicit dbt call uses the macros defined ${where}${listed}, in the last manifest`,
    },
  ];
}

/** Pure: what one changed file selects, as reasons (one explanation line each). */
export function fileReasons(
  change: ChangedFile,
  project: {
    changes: ProjectChanges;
    manifest: SelectionManifest;
    projectName: string;
    deleted: ReadonlySet<string>;
    byFile: ReadonlyMap<string, ManifestNode[]>;
  },
): Reason[] {
  const { file } = change;
  const { layout, lockText } = project.changes;
  const wide = PROJECT_WIDE_FILES[file];
  if (wide) return [{ selects: 'everything', why: wide }];
  if (file === 'selectors.yml') return selectorsImpact(change.before, change.after, project.projectName);
  if (PACKAGE_FILES.has(file)) {
    const { packageNames } = project.changes;
    return packagesImpact(
      file,
      change.before,
      change.after,
      lockText,
      project.manifest,
      project.projectName,
      packageNames,
    );
  }
  if (isMacroFile(file, layout)) return macroFileReasons(change, project.manifest, project.projectName);
  const inProject = isUnder(file, propertiesFolders(layout));
  if (inProject && /\.ya?ml$/.test(file)) {
    return propertiesImpact(file, change, project.manifest, project.projectName, project.deleted);
  }
  if (isUnder(file, layout.analysisPaths)) return [{ selects: [], why: 'an analysis: dbt build builds no analyses' }];
  if (inProject && file.endsWith('.md')) return [{ selects: [], why: 'documentation only: nothing to build' }];
  if (isNodeFile(file, layout)) return nodeFileReasons(change, project.byFile.get(file) ?? [], project.projectName);
  return [{ selects: [], why: 'dbt does not read it' }];
}

/** Files dbt turns into nodes: models (.sql, .py), seeds (.csv), snapshots, singular tests. */
function isNodeFile(file: string, layout: ProjectLayout): boolean {
  if (isUnder(file, layout.modelPaths)) return /\.(sql|py)$/.test(file);
  if (isUnder(file, layout.seedPaths)) return file.endsWith('.csv');
  return isUnder(file, [...layout.snapshotPaths, ...layout.testPaths]) && /\.(sql|py)$/.test(file);
}

/** Pure: the changed files → what to select, with one explanation per reason. */
export function selectChanged(
  changes: ProjectChanges,
  manifest: SelectionManifest,
  projectName: string,
): ChangedSelection {
  const deleted = new Set(changes.files.filter((change) => change.deleted).map((change) => change.file));
  const byFile = nodesByFile(manifest, projectName);
  const files: FileSelection[] = [];
  for (const change of changes.files) {
    for (const reason of fileReasons(change, { changes, manifest, projectName, deleted, byFile })) {
      files.push({ file: change.file, deleted: change.deleted, ...reason });
    }
  }
  const everything = files.some((entry) => entry.selects === 'everything');
  const select = everything ? [] : [...new Set(files.flatMap((entry) => entry.selects))];
  return { everything, select, files, defaultSelector: defaultSelector(changes.selectorsText) };
}

/** The explanation, one line per reason: `changed FILE → SELECTION (why)`. */
export function explainChanged(selection: ChangedSelection): string[] {
  const everything = selection.defaultSelector
    ? `the default selection (selector ${selection.defaultSelector})`
    : 'everything';
  return selection.files.map((entry) => {
    const selects =
      entry.selects === 'everything' ? everything : entry.selects.length ? entry.selects.join(' ') : 'nothing';
    return `${entry.deleted ? 'deleted' : 'changed'} ${entry.file} → ${selects} (${entry.why})`;
  });
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

async function wordedForTheFlag<T>(projectDir: string, ref: string, read: () => Promise<T>): Promise<T> {
  if (ref.startsWith('-'))
    throw new GitRefError(`"${ref}" is not a git ref: give --changed-since a branch, tag or commit`);
  try {
    return await read();
  } catch (error) {
    if (error instanceof GitRepositoryError) {
      throw new GitRefError(changedSinceMessage(error, projectDir, ref), { cause: error });
    }
    throw error;
  }
}

/**
 * Files changed since `ref` (merge base to HEAD, plus staged, unstaged and
 * untracked ones) that exist now, relative to the project directory.
 */
export function changedFilesSince(projectDir: string, ref: string): Promise<string[]> {
  return wordedForTheFlag(projectDir, ref, () => filesChangedSince(projectDir, ref));
}

/** The project's changes since `ref`, with the texts selectChanged compares. */
export function projectChangesSince(projectDir: string, ref: string): Promise<ProjectChanges> {
  return wordedForTheFlag(projectDir, ref, () => readProjectChanges(projectDir, ref));
}
