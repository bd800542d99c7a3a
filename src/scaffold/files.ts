/**
 * The I/O of scaffolding: reading templates, checking the target directory,
 * and writing a planned product so that a failure leaves nothing behind.
 */
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
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

/**
 * Writes the files into `dir`. They are first written to a temporary folder
 * beside `dir` (same file system), then moved in, so an error while writing
 * leaves `dir` as it was. Directories this call created are removed again on
 * failure.
 */
export async function writeProduct(dir: string, files: PlannedFile[]): Promise<void> {
  const parent = path.dirname(dir);
  const createdParent = await mkdir(parent, { recursive: true });
  const staging = await mkdtemp(path.join(parent, `.${path.basename(dir)}.create-dbt-product-`));
  let createdDir: string | undefined;
  try {
    for (const file of files) {
      const target = path.join(staging, ...file.path.split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      // Shell scripts (MWAA's startup.sh) are run as they are: executable.
      await writeFile(target, file.content, { mode: file.path.endsWith('.sh') ? 0o755 : 0o644 });
    }
    createdDir = await mkdir(dir, { recursive: true });
    for (const file of files) {
      const target = path.join(dir, ...file.path.split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      await rename(path.join(staging, ...file.path.split('/')), target);
    }
  } catch (error) {
    if (createdDir) await rm(createdDir, { recursive: true, force: true });
    if (createdParent) await rm(createdParent, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
