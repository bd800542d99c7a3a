/**
 * Planning a run before dbt starts: the project, the dbt executable, the
 * target, the selection (including --changed-since), and the dbt arguments.
 */
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { supportedSinkTypes } from '../audit/sinks/index.js';
import type { SelectionManifest } from '../dbt/artifacts.js';
import {
  BUILDING_COMMANDS,
  type DbtInvocation,
  dbtCommandLine,
  dbtEnvironment,
  describeSelection,
} from '../dbt/command.js';
import { type DbtLaunch, planDbtLaunch } from '../dbt/launch.js';
import { type LocatedDbt, locateDbt } from '../dbt/locate.js';
import { runDbtProcess } from '../dbt/process.js';
import { type ResolvedTarget, readProjectFile, resolveTarget } from '../dbt/profiles.js';
import { KitError } from '../errors.js';
import type { Resumed } from './resume.js';
import type { RunDependencies, RunOptions } from './types.js';

export interface RunPlan {
  projectName: string;
  projectDir: string;
  targetDir: string;
  dbt: LocatedDbt;
  /** How the run starts dbt (see dbt/launch.ts). */
  launch: DbtLaunch;
  target: ResolvedTarget;
  invocation: DbtInvocation;
  /** dbt's environment (see dbtEnvironment). */
  dbtEnv: NodeJS.ProcessEnv;
  /** The runner writes the audit (and switched the in-dbt hook off). */
  runnerAudit: boolean;
  /** --changed-since found nothing to build, or --resume nothing left. */
  nothingToRun: boolean;
  /** The selection as asked (the audit's `selection`): --resume's exclusions are dbt's, not the user's. */
  selection: string;
  /** --resume: what an earlier try of this run already built, left out of dbt's selection. */
  resumed?: Resumed | undefined;
}

/** dbt parse, for a manifest the run needs before dbt builds (the build then reuses this parse). */
async function parseProject(plan: RunPlan, deps: RunDependencies, why: string): Promise<void> {
  const file = path.join(plan.targetDir, 'manifest.json');
  deps.reporter.info(`no usable ${path.relative(plan.projectDir, file)}: running dbt parse once ${why}`);
  const { invocation } = plan;
  // The run's vars too: a model may need one to parse.
  const args = dbtCommandLine({
    command: 'parse',
    jsonLog: true,
    projectDir: plan.projectDir,
    profilesDir: invocation.profilesDir,
    target: invocation.target,
    vars: invocation.vars,
  });
  const parse = await runDbtProcess({ dbtPath: plan.dbt.path, args, cwd: plan.projectDir, env: plan.dbtEnv });
  if (parse.exitCode !== 0) {
    throw new KitError(`dbt parse failed (exit ${parse.exitCode}): ${parse.otherOutput.at(-1) ?? 'see dbt.log'}`, {
      exitCode: 2,
    });
  }
}

/** The last manifest; without one, dbt parse makes it, but only once git has answered (a bad ref fails first). */
async function currentManifest(
  plan: RunPlan,
  deps: RunDependencies,
  changed: Promise<unknown>,
): Promise<SelectionManifest> {
  const { readSelectionManifestIndexed } = await import('../select/manifest-index.js');
  try {
    return await readSelectionManifestIndexed(plan.targetDir);
  } catch {
    await changed;
    await parseProject(plan, deps, 'to map files to nodes');
    return readSelectionManifestIndexed(plan.targetDir);
  }
}

/** --resume: selects what an earlier try of this run did not build or pass (see resume.ts). */
async function resumeRun(plan: RunPlan, options: RunOptions, deps: RunDependencies): Promise<void> {
  const [{ planResume, resumeLine }, { sinkForTarget }, { readProductManifest }, { redshiftOverrides }, json] =
    await Promise.all([
      import('./resume.js'),
      import('../audit/sinks/index.js'),
      import('../product/read.js'),
      import('../redshift/target.js'),
      import('../dbt/json-members.js'),
    ]);
  const product = await readProductManifest(plan.projectDir);
  const { invocation } = plan;
  const resumed = await planResume(plan, deps, {
    declaredAudit: product?.audit,
    manifestNodes: () =>
      json
        .readKept(path.join(plan.targetDir, 'manifest.json'), { nodes: ['schema', 'alias'] })
        .then((kept) => kept.nodes as Record<string, Record<string, unknown>>)
        .catch(() => undefined), // a new container has none: the audit tables' default place
    openReader: (tables) =>
      sinkForTarget({
        target: plan.target,
        tables,
        projectDir: plan.projectDir,
        env: plan.dbtEnv,
        redshift: redshiftOverrides(product, options.auditRedshift),
        redshiftClient: deps.aws?.redshiftData,
        dataApiOptions: deps.aws?.dataApi,
      }),
    listSelection: async () => {
      const { runDbtCaptured } = await import('../dbt/process.js');
      const args = dbtCommandLine({
        ...invocation,
        command: 'ls',
        outputKeys: ['unique_id', 'fqn', 'resource_type'],
        quiet: true,
      });
      const stdout = await runDbtCaptured(
        { dbtPath: plan.dbt.path, args, cwd: plan.projectDir, env: plan.dbtEnv },
        (message) => new KitError(`--resume cannot list the selection: ${message}`, { exitCode: 2 }),
      );
      return stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line));
    },
  });
  deps.reporter.info(resumeLine(resumed));
  plan.resumed = resumed;
  if (!resumed.select) return;
  if (resumed.select.length === 0) {
    plan.nothingToRun = true;
    return;
  }
  // Exactly what is left, as dbt ls resolved the selection asked: no indirect selection on top.
  invocation.select = resumed.select;
  invocation.exclude = [];
  invocation.selector = undefined;
  invocation.extra = [...invocation.extra, '--indirect-selection', 'empty'];
}

/**
 * A child product's parents (packages.yml present): installed at their pinned
 * revisions, and, when a selection was given, out of what it builds unless
 * --allow-upstream. Products without packages pay nothing.
 */
async function checkParents(plan: RunPlan, options: RunOptions): Promise<void> {
  const { invocation, projectDir } = plan;
  const hasPackages = await Promise.all(
    ['packages.yml', 'dependencies.yml'].map((file) =>
      access(path.join(projectDir, file)).then(
        () => true,
        () => false,
      ),
    ),
  );
  if (!hasPackages.some(Boolean)) return;
  const guard = await import('../upstream/guard.js');
  if (!BUILDING_COMMANDS.has(invocation.command)) return;
  const { readProductManifest } = await import('../product/read.js');
  const pinned = (await readProductManifest(projectDir))?.upstream ?? [];
  const mismatches = guard.revisionMismatches(pinned, await guard.readPackageLock(projectDir));
  if (mismatches.length > 0) throw new guard.UpstreamGuardError(mismatches.join('; '));

  // --changed-since selects within this product's package by construction.
  const selected = invocation.select.length > 0 || invocation.exclude.length > 0 || invocation.selector;
  if (!selected || options.allowUpstream || options.changedSince) return;
  const nodes = await guard.listSelection({
    dbtPath: plan.dbt.path,
    selection: {
      projectDir,
      profilesDir: invocation.profilesDir,
      target: invocation.target,
      vars: invocation.vars,
      select: invocation.select,
      exclude: invocation.exclude,
      selector: invocation.selector,
    },
    env: plan.dbtEnv,
  });
  const upstream = guard.upstreamNodes(nodes, plan.projectName);
  if (upstream.length > 0) throw new guard.UpstreamGuardError(guard.upstreamRefusal(upstream));
}

export async function planRun(options: RunOptions, deps: RunDependencies): Promise<RunPlan> {
  const { env, reporter } = deps;
  const projectDir = path.resolve(options.projectDir);
  const project = await readProjectFile(projectDir, env);
  const dbt = await locateDbt({ dbtPath: options.dbtPath, projectDir, env });
  const launch = await planDbtLaunch(dbt.path, env);
  const target = await resolveTarget({ projectDir, profilesDir: options.profilesDir, target: options.target, env });
  const runnerAudit = options.audit && supportedSinkTypes().includes(target.type);
  const plan: RunPlan = {
    projectName: project.name,
    projectDir,
    targetDir: path.resolve(projectDir, project.targetPath),
    dbt,
    launch,
    target,
    invocation: {
      command: options.command,
      select: options.select,
      exclude: options.exclude,
      selector: options.selector,
      target: options.target,
      projectDir,
      profilesDir: options.profilesDir,
      vars: { ...options.vars },
      fullRefresh: options.fullRefresh,
      threads: options.threads,
      state: options.state,
      defer: options.defer,
      extra: options.extra,
    },
    // The runner records the audit itself, so it switches the in-dbt hook off: no node is written twice.
    // Adapters without a runner sink keep the in-dbt hook.
    dbtEnv: dbtEnvironment(env, { auditHookOff: runnerAudit }),
    runnerAudit,
    nothingToRun: false,
    selection: '',
  };

  if (options.changedSince) {
    const { explainChanged, projectChangesSince, selectChanged } = await import('../select/changed.js');
    // git runs in its own processes while this one reads the manifest.
    const changed = projectChangesSince(projectDir, options.changedSince);
    changed.catch(() => {});
    const manifest = await currentManifest(plan, deps, changed);
    const selection = selectChanged(await changed, manifest, project.name);
    for (const line of explainChanged(selection)) reporter.info(line);
    if (!selection.everything && selection.select.length === 0) {
      reporter.info(`nothing changed since ${options.changedSince} that dbt builds: nothing to run`);
      return { ...plan, nothingToRun: true };
    }
    plan.invocation.select = selection.select;
  }
  plan.selection = [describeSelection(plan.invocation), options.resume ? '--resume' : ''].filter(Boolean).join(' ');

  await checkParents(plan, options);
  if (options.resume) await resumeRun(plan, options, deps);

  if (options.audit && !runnerAudit)
    reporter.warn(`no dbt-run audit sink for ${target.type} targets yet: the in-dbt on-run-end hook records this run`);

  // DuckDB does not create folders: the warehouse file's folder must exist before dbt opens it.
  if (target.type === 'duckdb' && typeof target.fields.path === 'string' && target.fields.path !== ':memory:') {
    await mkdir(path.dirname(path.resolve(projectDir, target.fields.path)), { recursive: true });
  }
  return plan;
}
