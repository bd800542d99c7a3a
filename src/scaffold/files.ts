/**
 * The I/O of scaffolding: reading templates, checking the target directory,
 * and writing a planned product so that a failure leaves nothing behind.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import type { Orchestrator } from '../product/manifest.js';
import type { PlannedFile, TemplateFile } from './plan.js';

export const PRODUCT_TEMPLATE_DIR = fileURLToPath(new URL('../../templates/product', import.meta.url));
/** The kit's shipped JSON Schemas (generated from its definitions, kept current by a test): every product's schemas/. */
export const KIT_SCHEMA_DIR = fileURLToPath(new URL('../../schemas', import.meta.url));

/** The files an orchestrator adds to the product (templates/mwaa, templates/mwaa-serverless), if any. */
export function orchestratorTemplateDir(orchestrator: Orchestrator): string | undefined {
  return orchestrator === 'none'
    ? undefined
    : fileURLToPath(new URL(`../../templates/${orchestrator}`, import.meta.url));
}

/** Every file under a template folder, with `/`-separated relative paths. */
export async function readTemplates(dir = PRODUCT_TEMPLATE_DIR): Promise<TemplateFile[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile());
  return Promise.all(
    files.map(async (entry) => {
      const absolute = path.join(entry.parentPath, entry.name);
      return {
        path: path.relative(dir, absolute).split(path.sep).join('/'),
        content: await readFile(absolute, 'utf8'),
      };
    }),
  );
}

/**
 * Refuses a directory that holds anything but a lone `.git` (unless forced)
 * and a path that is a file. A missing directory is fine.
 */
export async function checkTargetDir(dir: string, force: boolean): Promise<void> {
  let entries: string[];
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) throw new UsageError(`${dir} exists and is not a directory: choose another path`);
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const content = entries.filter((entry) => entry !== '.git');
  if (content.length > 0 && !force) {
    throw new UsageError(
      `${dir} is not empty (${content.length} entr${content.length === 1 ? 'y' : 'ies'}): choose an empty directory or pass --force`,
    );
  }
}

/** A product moved into place, until `keep` makes it final or `undo` takes it out again. */
export interface WrittenProduct {
  /** Removes what the write added and puts back what it replaced: `dir` is as it was before. */
  undo(): Promise<void>;
  /** Drops the copies of the replaced files: the product stays. */
  keep(): Promise<void>;
}

/**
 * Writes the files into `dir`. They are first written to a temporary folder
 * beside `dir` (same file system), then moved in, so an error or an abort
 * (`signal`, checked between files) while writing leaves `dir` as it was; a
 * file of the same name (--force) is moved aside, not deleted, until `keep`.
 * A failure while moving undoes the moves; so does `undo` after a later step
 * fails (the git commit), removing the directories this call created.
 */
export async function moveProductIn(dir: string, files: PlannedFile[], signal?: AbortSignal): Promise<WrittenProduct> {
  const parent = path.dirname(dir);
  // Directories this call created, outermost first: removed whole on undo.
  const created: string[] = [];
  const note = (first: string | undefined) => {
    if (first) created.push(first);
  };
  note(await mkdir(parent, { recursive: true }));
  const staging = await mkdtemp(path.join(parent, `.${path.basename(dir)}.create-dbt-product-`));
  const replacedDir = path.join(staging, 'replaced');
  const moved: { target: string; replaced?: string }[] = [];
  const cleanup = () => rm(staging, { recursive: true, force: true });
  const undo = async () => {
    for (const { target, replaced } of moved.reverse()) {
      await rm(target, { force: true });
      if (replaced) await rename(replaced, target);
    }
    moved.length = 0;
    for (const folder of created.reverse()) await rm(folder, { recursive: true, force: true });
    created.length = 0;
  };
  try {
    for (const file of files) {
      signal?.throwIfAborted();
      const target = path.join(staging, 'new', ...file.path.split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      // Shell scripts (MWAA's startup.sh) are run as they are: executable.
      await writeFile(target, file.content, { mode: file.path.endsWith('.sh') ? 0o755 : 0o644 });
    }
    signal?.throwIfAborted();
    note(await mkdir(dir, { recursive: true }));
    for (const [index, file] of files.entries()) {
      const target = path.join(dir, ...file.path.split('/'));
      note(await mkdir(path.dirname(target), { recursive: true }));
      let replaced: string | undefined;
      if (
        await lstat(target).then(
          () => true,
          () => false,
        )
      ) {
        await mkdir(replacedDir, { recursive: true });
        replaced = path.join(replacedDir, String(index));
        await rename(target, replaced);
      }
      moved.push({ target, ...(replaced ? { replaced } : {}) });
      await rename(path.join(staging, 'new', ...file.path.split('/')), target);
    }
  } catch (error) {
    await undo();
    await cleanup();
    throw error;
  }
  return {
    undo: async () => {
      await undo();
      await cleanup();
    },
    keep: cleanup,
  };
}

/** Writes the files into `dir` for good (see moveProductIn): a failure leaves `dir` as it was. */
export async function writeProduct(dir: string, files: PlannedFile[], signal?: AbortSignal): Promise<void> {
  await (await moveProductIn(dir, files, signal)).keep();
}
