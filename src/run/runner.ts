/**
 * One dbt-run invocation: find dbt, plan the selection, run dbt, and after
 * dbt exits, whatever happened, record what ran (audit sink + JSONL copy),
 * report, and map the outcome to an exit code:
 *   0 all good · 1 a node failed · 2 dbt or runner error ·
 *   130 / 143 interrupted by SIGINT / SIGTERM (after recording what finished).
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { auditRows, type InvocationStatus, invocationRow, runOrigin } from '../audit/rows.js';
import { sinkForTarget, writeAuditJsonl } from '../audit/sinks/index.js';
import type { AuditBatch, AuditTables } from '../audit/sinks/types.js';
import { ArtifactError, type Manifest, type RunResults, readManifest, readRunResults } from '../dbt/artifacts.js';
import { type DbtCommand, type DbtInvocation, dbtArgs, describeSelection } from '../dbt/command.js';
import { reportedVersion } from '../dbt/events.js';
import { isSupportedVersion, locateDbt, MIN_DBT_VERSION } from '../dbt/locate.js';
import { runDbtProcess } from '../dbt/process.js';
import { type ResolvedTarget, readProjectFile, resolveTarget } from '../dbt/profiles.js';
import { KitError } from '../errors.js';
import { annotations, isGithubActions, type RunSummary, writeGithubFiles } from '../github/actions.js';
import { changedFilesSince, selectChanged } from '../select/changed.js';
import { applyEvent, emptyProgress, type Progress } from './progress.js';
import type { RunReporter } from './reporters.js';

export interface RunOptions {
  command: DbtCommand;
  select: string[];
  exclude: string[];
  selector?: string | undefined;
  changedSince?: string | undefined;
  target?: string | undefined;
  projectDir: string;
  profilesDir?: string | undefined;
  vars: Record<string, unknown>;
  fullRefresh: boolean;
  threads?: number | undefined;
  state?: string | undefined;
  defer: boolean;
  audit: boolean;
  dbtPath?: string | undefined;
  extra: string[];
}

export interface RunDependencies {
  env: NodeJS.ProcessEnv;
  reporter: RunReporter;
  /** Annotations and other lines meant for stdout as is. */
  stdout: (text: string) => void;
  onInterrupt?: (handler: (signal: NodeJS.Signals) => void) => () => void;
  now?: () => Date;
}

export interface RunOutcome {
  exitCode: number;
  status: InvocationStatus | 'nothing-to-run';
  invocationId: string | null;
  auditRows: number;
  auditError: string | null;
}

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

function outcomeOf(
  dbtExit: number | undefined,
  interruptedBy: NodeJS.Signals | undefined,
): { status: InvocationStatus; exitCode: number } {
  if (interruptedBy) return { status: 'interrupted', exitCode: SIGNAL_EXIT[interruptedBy] ?? 2 };
  if (dbtExit === 0) return { status: 'success', exitCode: 0 };
  if (dbtExit === 1) return { status: 'failed', exitCode: 1 };
  return { status: 'error', exitCode: 2 };
}

/** Where the audit tables are: the audit models' own relations, else <target schema>_audit. */
export function auditTables(manifest: Manifest | undefined, projectName: string, target: ResolvedTarget): AuditTables {
  const fallback = `${String(target.fields.schema ?? 'public')}_audit`;
  const ref = (model: string) => {
    const node = manifest?.nodes[`model.${projectName}.${model}`];
    return { schema: node?.schema ?? fallback, table: node?.alias ?? model };
  };
  return { log: ref('dbt_audit_log'), invocations: ref('dbt_audit_invocations') };
}

/** run_results.json when it belongs to this invocation; else results rebuilt from the events dbt logged. */
async function resultsOf(targetDir: string, progress: Progress): Promise<RunResults | undefined> {
  let results: RunResults | undefined;
  try {
    results = await readRunResults(path.join(targetDir, 'run_results.json'));
  } catch (error) {
    // Missing is normal when dbt died early; corrupt is an error the user must see.
    if (!(error instanceof ArtifactError) || !/not found/.test(error.message)) throw error;
  }
  if (results && (!progress.invocationId || results.metadata.invocation_id === progress.invocationId)) return results;
  if (!progress.invocationId || progress.finished.length === 0) return undefined;
  return {
    metadata: {
      dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v6.json',
      invocation_id: progress.invocationId,
    },
    results: progress.finished.map((node) => ({
      unique_id: node.uniqueId,
      status: node.status,
      execution_time: node.seconds,
      thread_id: node.thread,
      message: null,
      failures: null,
      adapter_response: {},
      timing: node.startedAt
        ? [
            {
              name: 'execute',
              started_at: `${node.startedAt}Z`,
              completed_at: node.finishedAt ? `${node.finishedAt}Z` : null,
            },
          ]
        : [],
    })),
  };
}

async function localGit(projectDir: string): Promise<{ gitSha: string | null; gitRef: string | null }> {
  try {
    const { simpleGit } = await import('simple-git');
    const git = simpleGit(projectDir);
    const [sha, ref] = await Promise.all([git.revparse(['HEAD']), git.revparse(['--abbrev-ref', 'HEAD'])]);
    return { gitSha: sha.trim() || null, gitRef: ref.trim() || null };
  } catch {
    return { gitSha: null, gitRef: null };
  }
}

export async function runInvocation(options: RunOptions, deps: RunDependencies): Promise<RunOutcome> {
  const now = deps.now ?? (() => new Date());
  const { reporter, env } = deps;
  const projectDir = path.resolve(options.projectDir);
  const project = await readProjectFile(projectDir);
  const targetDir = path.resolve(projectDir, project.targetPath);
  const dbt = await locateDbt({ dbtPath: options.dbtPath, projectDir, env });
  const target = await resolveTarget({ projectDir, profilesDir: options.profilesDir, target: options.target, env });

  // DuckDB does not create folders; the warehouse file's folder must exist before dbt opens it.
  if (target.type === 'duckdb' && typeof target.fields.path === 'string' && target.fields.path !== ':memory:') {
    await mkdir(path.dirname(path.resolve(projectDir, target.fields.path)), { recursive: true });
  }

  const invocation: DbtInvocation = {
    command: options.command,
    select: [...options.select],
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
  };
  const dbtEnv = { ...env, DBT_SEND_ANONYMOUS_USAGE_STATS: env.DBT_SEND_ANONYMOUS_USAGE_STATS ?? 'false' };

  if (options.changedSince) {
    const manifestPath = path.join(targetDir, 'manifest.json');
    let manifest: Manifest;
    try {
      manifest = await readManifest(manifestPath);
    } catch {
      reporter.info(
        `no usable ${path.relative(projectDir, manifestPath)}: running dbt parse once to map files to nodes`,
      );
      const parse = await runDbtProcess({
        dbtPath: dbt.path,
        args: [
          'parse',
          '--log-format',
          'json',
          '--project-dir',
          projectDir,
          ...(options.profilesDir ? ['--profiles-dir', options.profilesDir] : []),
          ...(options.target ? ['--target', options.target] : []),
        ],
        cwd: projectDir,
        env: dbtEnv,
        onInterrupt: deps.onInterrupt,
      });
      if (parse.exitCode !== 0)
        throw new KitError(
          `dbt parse failed (exit ${parse.exitCode}): ${parse.otherOutput.at(-1) ?? 'see the dbt log'}`,
          { exitCode: 2 },
        );
      manifest = await readManifest(manifestPath);
    }
    const files = await changedFilesSince(projectDir, options.changedSince);
    const selection = selectChanged(files, manifest, project.name);
    for (const entry of selection.files) {
      reporter.info(
        `changed ${entry.file} → ${entry.selects.length ? entry.selects.join(' ') : 'nothing'}${entry.note ? ` (${entry.note})` : ''}`,
      );
    }
    if (!selection.everything && selection.select.length === 0) {
      reporter.info(`nothing changed since ${options.changedSince} that dbt builds: nothing to run`);
      return { exitCode: 0, status: 'nothing-to-run', invocationId: null, auditRows: 0, auditError: null };
    }
    invocation.select = selection.select;
  }

  const sinkPlanned = options.audit && ['duckdb', 'postgres'].includes(target.type);
  // The runner records the audit itself: switch the in-dbt hook off so no node is written twice.
  if (sinkPlanned) invocation.vars.audit_hook_enabled = false;
  else if (options.audit)
    reporter.warn(`no dbt-run audit sink for ${target.type} targets yet: the in-dbt on-run-end hook records this run`);

  const progress = emptyProgress();
  let version = dbt.version;
  reporter.start(
    `dbt ${options.command} on ${target.targetName} (${dbt.source}: ${dbt.path}${version ? `, dbt ${version}` : ''})`,
  );
  const startedAt = now();
  const processResult = await runDbtProcess({
    dbtPath: dbt.path,
    args: dbtArgs(invocation),
    cwd: projectDir,
    env: dbtEnv,
    onInterrupt: deps.onInterrupt,
    onEvent: (event) => {
      const reported = reportedVersion(event);
      if (reported) {
        version = reported;
        if (!isSupportedVersion(reported))
          progress.errors.push(`dbt ${reported} is older than ${MIN_DBT_VERSION.join('.')}`);
      }
      reporter.event(event, progress, applyEvent(progress, event));
    },
    onOutput: (line) => reporter.output(line),
  });
  const completedAt = now();
  const { status, exitCode } = outcomeOf(processResult.exitCode, processResult.interruptedBy);

  let runResults: RunResults | undefined;
  let manifest: Manifest | undefined;
  let resultsError: string | null = null;
  try {
    runResults = await resultsOf(targetDir, progress);
  } catch (error) {
    resultsError = (error as Error).message;
  }
  try {
    manifest = await readManifest(path.join(targetDir, 'manifest.json'));
  } catch {
    manifest = undefined; // enrichment only
  }
  const invocationId = runResults?.metadata.invocation_id ?? progress.invocationId ?? randomUUID();
  const origin = runOrigin(env, { ...(await localGit(projectDir)), user: os.userInfo().username });
  const context = {
    productName: project.name,
    targetName: target.targetName,
    command: options.command,
    selection: describeSelection(invocation),
    dbtVersion: version ?? null,
    startedAt,
    completedAt,
    origin,
    recordedAt: now(),
  };
  const errorMessage =
    exitCode === 2
      ? [...progress.errors, ...processResult.otherOutput.slice(-5)].join('\n') || resultsError || null
      : resultsError;
  const batch: AuditBatch = {
    invocationId,
    nodes: runResults ? auditRows(runResults, manifest, context) : [],
    invocation: invocationRow(invocationId, runResults, context, {
      status,
      exitCode: resultsError ? 2 : exitCode,
      errorMessage,
    }),
  };

  let auditError: string | null = null;
  let auditLocation: string | null = null;
  let auditRowCount = 0;
  if (resultsError) {
    // A corrupt run_results.json: record nothing rather than a partial audit.
    auditError = resultsError;
  } else if (options.audit) {
    const jsonlPath = await writeAuditJsonl(targetDir, batch);
    const sink = sinkPlanned
      ? sinkForTarget(target, auditTables(manifest, project.name, target), projectDir)
      : undefined;
    if (sink) {
      try {
        await sink.write(batch);
        auditRowCount = batch.nodes.length;
        auditLocation = `${sink.kind} ${sink.location}`;
      } catch (error) {
        auditError = `${(error as Error).message} (rows kept in ${path.relative(projectDir, jsonlPath)})`;
      }
    }
  }

  const counts = runResults
    ? Object.fromEntries(Object.entries(countBy(runResults.results.map((result) => result.status))))
    : {};
  const finalExit = resultsError ? 2 : exitCode;
  const summary: RunSummary = {
    product: project.name,
    target: target.targetName,
    command: options.command,
    selection: context.selection,
    status: resultsError ? 'error' : status,
    exitCode: finalExit,
    invocationId,
    counts,
    nodes: (runResults?.results ?? []).map((result) => {
      const node = manifest?.nodes[result.unique_id];
      const file = node?.original_file_path ? path.join(projectDir, node.original_file_path) : null;
      return {
        uniqueId: result.unique_id,
        name: node?.name ?? result.unique_id.split('.').at(-1) ?? result.unique_id,
        resourceType: node?.resource_type ?? result.unique_id.split('.')[0] ?? 'node',
        status: result.status,
        seconds: result.execution_time ?? null,
        message: result.message ?? null,
        file: file
          ? path
              .relative(env.GITHUB_WORKSPACE ?? process.cwd(), file)
              .split(path.sep)
              .join('/')
          : null,
      };
    }),
    auditRows: auditRowCount,
    auditLocation,
    auditError,
  };
  if (isGithubActions(env)) {
    for (const line of annotations(summary)) deps.stdout(`${line}\n`);
    if (auditError) deps.stdout(`::warning title=dbt-run audit::${auditError.replaceAll('\n', ' ')}\n`);
    await writeGithubFiles(env, summary);
  }
  await reporter.finish({
    exitCode: finalExit,
    status: summary.status,
    invocationId,
    counts,
    auditRows: auditRowCount,
    auditLocation,
    auditError,
    jsonlPath: null,
    elapsedSeconds: (completedAt.getTime() - startedAt.getTime()) / 1000,
  });
  if (resultsError) throw new KitError(resultsError, { exitCode: 2 });
  return { exitCode: finalExit, status, invocationId, auditRows: auditRowCount, auditError };
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
