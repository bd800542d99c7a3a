/**
 * `create-dbt-product upgrade`, run inside a product: re-renders the kit's
 * current templates with the options dbt-product.yml recorded, and brings
 * each generated file to them by a three-way merge (git merge-file) of the
 * product's file, the file as the kit generated it (.dbt-product-kit/base.json)
 * and the new rendering. The user's edits stay; a change that collides with
 * one is written with conflict markers and reported. Deciding what to do with
 * each file is pure; git, reading and writing are the shell.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../atomic-file.js';
import { UsageError } from '../errors.js';
import { mergeTexts } from '../git/index.js';
import { rewriteProductManifest } from '../product/edit.js';
import { PRODUCT_MANIFEST_FILE } from '../product/manifest.js';
import { readProductManifest } from '../product/read.js';
import type { ParentProduct } from '../upstream/parent.js';
import { BASE_FILE, baseDocument, isManaged, kitRecord, parseBaseDocument } from './baseline.js';
import { normaliseOptions } from './options.js';
import { planProduct, type TemplateFile } from './plan.js';

export type UpgradeAction =
  | 'unchanged' // the template did not change
  | 'added' // a new template file
  | 'updated' // the product had not edited it: the new rendering replaces it
  | 'merged' // both changed, merged cleanly
  | 'conflict' // both changed the same lines: written with markers
  | 'kept-deleted'; // the product deleted it: stays deleted

export interface FileUpgrade {
  path: string;
  action: UpgradeAction;
  /** What the file becomes (absent when it stays as it is). */
  content?: string;
  conflicts?: number;
}

export interface FileVersions {
  path: string;
  /** The kit's new rendering. */
  next: string;
  /** What the kit generated last time, if it did. */
  base?: string | undefined;
  /** The product's file, if it still has it. */
  ours?: string | undefined;
}

export type Merge = (ours: string, base: string, next: string) => Promise<{ text: string; conflicts: number }>;

/** What to do with one file (pure but for the merge it is handed). */
export async function upgradeFile(file: FileVersions, merge: Merge): Promise<FileUpgrade> {
  const { next, base, ours } = file;
  if (ours === undefined) {
    return base === undefined
      ? { path: file.path, action: 'added', content: next }
      : { path: file.path, action: 'kept-deleted' };
  }
  if (base !== undefined && next === base) return { path: file.path, action: 'unchanged' };
  if (ours === next) return { path: file.path, action: 'unchanged' };
  if (base !== undefined && ours === base) return { path: file.path, action: 'updated', content: next };
  const merged = await merge(ours, base ?? '', next);
  return merged.conflicts > 0
    ? { path: file.path, action: 'conflict', content: merged.text, conflicts: merged.conflicts }
    : { path: file.path, action: 'merged', content: merged.text };
}

/** The kit's merge: git merge-file, its conflict markers naming each side for the user. */
export const gitMergeFile: Merge = (ours, base, next) =>
  mergeTexts({ ours, base, theirs: next }, { ours: 'yours', base: 'as generated', theirs: 'kit' });

export interface UpgradeOptions {
  projectDir: string;
  /** The kit's current templates (product and orchestrator folders). */
  templates(orchestrator: string): Promise<TemplateFile[]>;
  kit: { version: string; dbtRequirements: string };
  dryRun?: boolean;
  merge?: Merge;
}

export interface UpgradeResult {
  files: FileUpgrade[];
  fromVersion: string | undefined;
  toVersion: string;
}

export async function upgradeProduct(options: UpgradeOptions): Promise<UpgradeResult> {
  const { product, options: scaffold, parents } = await recordedProduct(options.projectDir);
  const planned = planProduct(await options.templates(scaffold.orchestrator), scaffold, options.kit, parents);
  const merge = options.merge ?? gitMergeFile;
  const read = (file: string) => readFile(path.join(options.projectDir, file), 'utf8').catch(() => undefined);
  const managed = planned.filter((each) => isManaged(each.path));
  const base = parseBaseDocument(await read(BASE_FILE));
  const files: FileUpgrade[] = [];
  for (const file of managed) {
    files.push(
      await upgradeFile(
        { path: file.path, next: file.content, base: base.get(file.path), ours: await read(file.path) },
        merge,
      ),
    );
  }
  if (!options.dryRun) {
    const mode = (file: string) => (file.endsWith('.sh') ? 0o755 : 0o644);
    for (const file of files) {
      if (file.content !== undefined) {
        await writeFileAtomically(path.join(options.projectDir, file.path), file.content, { mode: mode(file.path) });
      }
    }
    // The new renderings become the merge base, and dbt-product.yml records them.
    const nextBase = baseDocument(managed);
    if ((await read(BASE_FILE)) !== nextBase)
      await writeFileAtomically(path.join(options.projectDir, BASE_FILE), nextBase);
    await rewriteProductManifest(options.projectDir, (document) =>
      document.setIn(['kit'], kitRecord(options.kit.version, managed)),
    );
  }
  return { files, fromVersion: product.kit?.version, toVersion: options.kit.version };
}

/** The product's recorded options and parents, as the scaffold takes them (for re-rendering). */
export async function recordedProduct(projectDir: string) {
  const product = await readProductManifest(projectDir);
  if (!product) {
    throw new UsageError(
      `no ${PRODUCT_MANIFEST_FILE} in ${projectDir}: run create-dbt-product upgrade inside a product`,
    );
  }
  const options = normaliseOptions({
    dir: projectDir,
    name: product.name,
    owner: product.owner,
    description: product.description,
    warehouse: product.warehouse.type,
    auth: product.warehouse.auth,
    orchestrator: product.orchestrator,
    execution: product.execution,
    retries: product.retries,
    git: false,
  });
  const parents: ParentProduct[] = product.upstream.map((upstream) => ({
    url: upstream.git,
    revision: upstream.revision,
    sha: upstream.revision,
    name: upstream.name,
    publicModels: [],
    eventsTopicArn: upstream.events_topic_arn,
  }));
  return { product, options, parents };
}
