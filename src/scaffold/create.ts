/** `createProduct`: the library call behind `create-dbt-product`, without any terminal UI. */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { initialCommit, isInsideWorkTree } from '../git/index.js';
import type { Orchestrator } from '../product/manifest.js';
import { redact } from '../redact.js';
import { SCHEMA_DIR } from '../schemas/json-schema.js';
import { DBT_REQUIREMENTS } from '../toolchain/requirements.js';
import { type ParentProduct, readParent } from '../upstream/parent.js';
import { kitVersion } from '../version.js';
import { checkTargetDir, KIT_SCHEMA_DIR, moveProductIn, orchestratorTemplateDir, readTemplates } from './files.js';
import type { ScaffoldOptions } from './options.js';
import { type PlannedFile, planProduct, type TemplateFile } from './plan.js';

export interface CreatedProduct {
  dir: string;
  files: PlannedFile[];
  /** The first commit's hash, when one was made. */
  commit: string | undefined;
}

/** Reads each parent product from git; a parent named like the product, or twice, is refused. */
export async function readParents(options: ScaffoldOptions): Promise<ParentProduct[]> {
  const parents: ParentProduct[] = [];
  for (const spec of options.parents) {
    const parent = await readParent(spec);
    if (parent.name === options.name) {
      throw new UsageError(
        `--parent ${redact(spec.url)} is the dbt project ${parent.name}, the product's own name: rename one`,
      );
    }
    if (parents.some((other) => other.name === parent.name)) {
      throw new UsageError(`two parents are the dbt project ${parent.name}: import it once`);
    }
    parents.push(parent);
  }
  return parents;
}

/** Plans every file of a product from the kit's templates (no writes). */
export async function planProductFiles(
  options: ScaffoldOptions,
  parents: readonly ParentProduct[] = [],
): Promise<PlannedFile[]> {
  const [templates, kit] = await Promise.all([kitTemplates(options.orchestrator), kitFacts()]);
  return planProduct(templates, options, kit, parents);
}

/**
 * The kit's templates for a product with this orchestrator: the product's, the orchestrator's,
 * and the shipped JSON Schemas as schemas/ (copied as they are, and upgraded like the rest;
 * read rather than generated again, which would cost the scaffold time it has not got).
 */
export async function kitTemplates(orchestrator: Orchestrator): Promise<TemplateFile[]> {
  const orchestratorDir = orchestratorTemplateDir(orchestrator);
  const [templates, orchestration, schemas] = await Promise.all([
    readTemplates(),
    orchestratorDir ? readTemplates(orchestratorDir) : [],
    readTemplates(KIT_SCHEMA_DIR),
  ]);
  return [...templates, ...orchestration, ...schemas.map((file) => ({ ...file, path: `${SCHEMA_DIR}/${file.path}` }))];
}

/** The kit's version and the dbt pins a product's requirements.txt gets. */
export async function kitFacts(): Promise<{ version: string; dbtRequirements: string }> {
  return { version: kitVersion(), dbtRequirements: await readFile(DBT_REQUIREMENTS, 'utf8') };
}

/**
 * Writes a product; `steps` lets a UI show progress around each step. All or
 * nothing: when a step fails or `signal` aborts (Ctrl-C), what was written is
 * taken out again (the files moved in, the directories and the .git created,
 * a replaced file put back) and the error, or the abort's reason, is thrown.
 * A step that runs when the signal aborts is let finish first (git's own
 * processes get the terminal's Ctrl-C too and stop at once).
 */
export async function createProduct(
  options: ScaffoldOptions,
  steps: { run<T>(title: string, work: () => Promise<T>): Promise<T> } = { run: (_title, work) => work() },
  signal?: AbortSignal,
): Promise<CreatedProduct> {
  await checkTargetDir(options.dir, options.force);
  signal?.throwIfAborted();
  const parents = options.parents.length > 0 ? await steps.run('Read parent products', () => readParents(options)) : [];
  signal?.throwIfAborted();
  const files = await steps.run('Render templates', () => planProductFiles(options, parents));
  signal?.throwIfAborted();
  const written = await steps.run(`Write ${files.length} files`, () => moveProductIn(options.dir, files, signal));
  const gitDir = path.join(options.dir, '.git');
  const hadGit = existsSync(gitDir);
  let commit: string | undefined;
  try {
    signal?.throwIfAborted();
    if (options.git && !(await isInsideWorkTree(options.dir))) {
      commit = await steps.run('Initialise git and commit', () =>
        initialCommit(options.dir, `Create ${options.name} with create-dbt-product ${kitVersion()}`),
      );
    }
    signal?.throwIfAborted();
  } catch (error) {
    // A directory that existed (empty) keeps no .git the failed step began.
    if (!hadGit) await rm(gitDir, { recursive: true, force: true });
    await written.undo();
    throw error;
  }
  await written.keep();
  return { dir: options.dir, files, commit };
}
