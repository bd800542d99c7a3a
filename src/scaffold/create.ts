/** `createProduct`: the library call behind `create-dbt-product`, without any terminal UI. */
import { readFile } from 'node:fs/promises';
import { DBT_REQUIREMENTS } from '../toolchain/requirements.js';
import { kitVersion } from '../version.js';
import { checkTargetDir, orchestratorTemplateDir, readTemplates, writeProduct } from './files.js';
import { initialCommit, isInsideWorkTree } from './git.js';
import type { ScaffoldOptions } from './options.js';
import { type PlannedFile, planProduct } from './plan.js';

export interface CreatedProduct {
  dir: string;
  files: PlannedFile[];
  /** The first commit's hash, when one was made. */
  commit: string | undefined;
}

/** Plans every file of a product from the kit's templates (no writes). */
export async function planProductFiles(options: ScaffoldOptions): Promise<PlannedFile[]> {
  const orchestratorDir = orchestratorTemplateDir(options.orchestrator);
  const [templates, orchestration, dbtRequirements] = await Promise.all([
    readTemplates(),
    orchestratorDir ? readTemplates(orchestratorDir) : [],
    readFile(DBT_REQUIREMENTS, 'utf8'),
  ]);
  return planProduct([...templates, ...orchestration], options, { version: kitVersion(), dbtRequirements });
}

/** Writes a product; `steps` lets a UI show progress around each step. */
export async function createProduct(
  options: ScaffoldOptions,
  steps: { run<T>(title: string, work: () => Promise<T>): Promise<T> } = { run: (_title, work) => work() },
): Promise<CreatedProduct> {
  await checkTargetDir(options.dir, options.force);
  const files = await steps.run('Render templates', () => planProductFiles(options));
  await steps.run(`Write ${files.length} files`, () => writeProduct(options.dir, files));
  let commit: string | undefined;
  if (options.git && !(await isInsideWorkTree(options.dir))) {
    commit = await steps.run('Initialise git and commit', () =>
      initialCommit(options.dir, `Create ${options.name} with create-dbt-product ${kitVersion()}`),
    );
  }
  return { dir: options.dir, files, commit };
}
