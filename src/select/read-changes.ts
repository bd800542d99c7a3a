/**
 * The I/O half of --changed-since: the files git says changed since the ref,
 * the project's folders (dbt_project.yml), and the texts the mapping
 * compares: properties YAML, macro files and the project files, as they were
 * at the merge base and as they are now. Only those files are read.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { changesSince, filesAtCommit } from '../git/changes.js';
import { packageEntries, packageSource } from './project-files.js';
import { parseDbtYaml } from './yaml-text.js';

/** Where dbt_project.yml says each kind of file lives (paths relative to the project, no trailing slash). */
export interface ProjectLayout {
  modelPaths: string[];
  seedPaths: string[];
  snapshotPaths: string[];
  testPaths: string[];
  analysisPaths: string[];
  macroPaths: string[];
  /** Folders dbt writes (target, installed packages, logs): never a change of the project. */
  generatedPaths: string[];
}

export interface ChangedFile {
  /** Relative to the project, `/`-separated. */
  file: string;
  deleted: boolean;
  /** The text at the merge base and now, for the files compared by content (undefined: no such file). */
  before?: string | undefined;
  after?: string | undefined;
}

export interface ProjectChanges {
  files: ChangedFile[];
  layout: ProjectLayout;
  /** selectors.yml and package-lock.yml as they are now (a plain build's default selector; package names). */
  selectorsText?: string | undefined;
  lockText?: string | undefined;
  /** Package names the project knows by source (`git:URL`, `local:PATH`), read only when a packages file changed. */
  packageNames?: ReadonlyMap<string, string> | undefined;
}

const paths = (value: unknown, fallback: string[]) =>
  (Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : fallback).map((item: string) =>
    item.replace(/^\.\//, '').replace(/\/+$/, ''),
  );

/** Pure: the layout dbt_project.yml's text declares (dbt's defaults for what it leaves out). */
export function projectLayout(text: string | undefined): ProjectLayout {
  let project: Record<string, unknown> = {};
  try {
    project = parseDbtYaml(text);
  } catch {
    // An unreadable dbt_project.yml fails dbt itself; the defaults still classify the files.
  }
  return {
    modelPaths: paths(project['model-paths'], ['models']),
    seedPaths: paths(project['seed-paths'], ['seeds']),
    snapshotPaths: paths(project['snapshot-paths'], ['snapshots']),
    testPaths: paths(project['test-paths'], ['tests']),
    analysisPaths: paths(project['analysis-paths'], ['analyses']),
    macroPaths: paths(project['macro-paths'], ['macros']),
    generatedPaths: [
      ...paths([project['target-path'] ?? 'target'], ['target']),
      ...paths([project['packages-install-path'] ?? 'dbt_packages'], ['dbt_packages']),
      ...paths([project['log-path'] ?? 'logs'], ['logs']),
    ],
  };
}

export function isUnder(file: string, folders: readonly string[]): boolean {
  return folders.some((folder) => folder === '' || folder === '.' || file === folder || file.startsWith(`${folder}/`));
}

/** The project files compared entry by entry (at the project's top). */
export const COMPARED_PROJECT_FILES = new Set([
  'selectors.yml',
  'packages.yml',
  'dependencies.yml',
  'package-lock.yml',
]);

/** Pure: the folders whose YAML files are dbt properties files. */
export function propertiesFolders(layout: ProjectLayout): string[] {
  return [
    ...layout.modelPaths,
    ...layout.seedPaths,
    ...layout.snapshotPaths,
    ...layout.testPaths,
    ...layout.macroPaths,
    ...layout.analysisPaths,
  ];
}

/** Pure: whether the mapping compares this file's text (before and now) rather than its name. */
export function comparedByContent(file: string, layout: ProjectLayout): boolean {
  if (COMPARED_PROJECT_FILES.has(file) || isMacroFile(file, layout)) return true;
  return /\.ya?ml$/.test(file) && isUnder(file, propertiesFolders(layout)) && !isUnder(file, layout.generatedPaths);
}

/** Macro files: .sql under macro-paths, and generic tests under a test path's generic/ folder. */
export function isMacroFile(file: string, layout: ProjectLayout): boolean {
  return (
    file.endsWith('.sql') &&
    (isUnder(file, layout.macroPaths) ||
      isUnder(
        file,
        layout.testPaths.map((folder) => `${folder}/generic`),
      ))
  );
}

const readIfThere = (file: string) => readFile(file, 'utf8').catch(() => undefined);

/**
 * The names of the packages a packages file's entries install, where the
 * project knows them without dbt deps: its parents in dbt-product.yml (by git
 * URL), and local packages' own dbt_project.yml.
 */
async function knownPackageNames(projectDir: string, texts: (string | undefined)[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const { readProductManifest } = await import('../product/read.js');
  const product = await readProductManifest(projectDir).catch(() => undefined);
  for (const parent of product?.upstream ?? []) names.set(packageSource({ git: parent.git }), parent.name);
  const locals = new Set<string>();
  for (const text of texts) {
    try {
      for (const entry of packageEntries(text).values()) if (typeof entry.local === 'string') locals.add(entry.local);
    } catch {
      // Not YAML: packagesImpact says so.
    }
  }
  await Promise.all(
    [...locals].map(async (local) => {
      try {
        const name = parseDbtYaml(await readIfThere(path.join(projectDir, local, 'dbt_project.yml'))).name;
        if (typeof name === 'string') names.set(packageSource({ local }), name);
      } catch {
        // An unreadable local package: its name stays unknown.
      }
    }),
  );
  return names;
}

/** The project's changes since `ref`; git errors are thrown as changesSince throws them. */
export async function readProjectChanges(projectDir: string, ref: string): Promise<ProjectChanges> {
  const [changes, projectText, selectorsText, lockText] = await Promise.all([
    changesSince(projectDir, ref),
    readIfThere(path.join(projectDir, 'dbt_project.yml')),
    readIfThere(path.join(projectDir, 'selectors.yml')),
    readIfThere(path.join(projectDir, 'package-lock.yml')),
  ]);
  const layout = projectLayout(projectText);
  const all = [
    ...changes.changed.map((file) => ({ file, deleted: false })),
    ...changes.deleted.map((file) => ({ file, deleted: true })),
  ].filter(({ file }) => !isUnder(file, layout.generatedPaths));
  const compared = all.filter(({ file }) => comparedByContent(file, layout));
  const [before, after] = await Promise.all([
    filesAtCommit(
      projectDir,
      changes.mergeBase,
      compared.map(({ file }) => file),
    ),
    Promise.all(compared.map(({ file, deleted }) => (deleted ? undefined : readIfThere(path.join(projectDir, file))))),
  ]);
  const texts = new Map(compared.map(({ file }, index) => [file, { before: before.get(file), after: after[index] }]));
  const packageTexts = [...texts]
    .filter(([file]) => COMPARED_PROJECT_FILES.has(file) && file !== 'selectors.yml')
    .flatMap(([, text]) => [text.before, text.after]);
  return {
    packageNames: packageTexts.length ? await knownPackageNames(projectDir, packageTexts) : undefined,
    files: all.map((entry) => ({ ...entry, ...texts.get(entry.file) })).sort((a, b) => a.file.localeCompare(b.file)),
    layout,
    selectorsText,
    lockText,
  };
}
