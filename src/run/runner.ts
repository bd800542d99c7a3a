/**
 * One dbt-run invocation: plan (project, dbt, target, selection), run dbt,
 * and after dbt exits, whatever happened, record what ran and report it.
 * Exit codes:
 *   0 all good · 1 a node failed · 2 dbt or runner error ·
 *   130 / 143 interrupted by SIGINT / SIGTERM (after recording what finished).
 */
import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { InvocationStatus } from '../audit/rows.js';
import type { Manifest } from '../dbt/artifacts.js';
import { type DbtInvocation, dbtArgs, describeSelection } from '../dbt/command.js';
import { reportedVersion } from '../dbt/events.js';
import { isSupportedVersion, MIN_DBT_VERSION } from '../dbt/locate.js';
import { runDbtProcess } from '../dbt/process.js';
import { KitError } from '../errors.js';
import { annotations, escapeData, isGithubActions, writeGithubFiles } from '../github/actions.js';
import type { DataApiOptions } from '../redshift/data-api.js';
import type { DataApiOverrides } from '../redshift/target.js';
import { planRun } from './plan.js';
import { applyEvent, emptyProgress } from './progress.js';
import type { Execution } from './record.js';
import type { RunReporter } from './reporters.js';
import { runSummary, statusCounts } from './summary.js';

/** What dbt-run was asked to do: a dbt invocation, plus what the runner itself does around it. */
export interface RunOptions extends DbtInvocation {
  /** Select what changed since this git ref (replaces `select`). */
  changedSince?: string | undefined;
  /** Record the audit (runner sink, JSONL copy). */
  audit: boolean;
  /** A failed audit write makes the exit code 2 (by default it never changes dbt's). */
  strictAudit?: boolean | undefined;
  /** --audit-cluster, --audit-workgroup... (over dbt-product.yml's audit.redshift). */
  auditRedshift?: DataApiOverrides | undefined;
  /** --alert-topic-arn, --event-topic-arn (over the environment and dbt-product.yml). */
  alertTopicArn?: string | undefined;
  eventTopicArn?: string | undefined;
  dbtPath?: string | undefined;
  /** Let a selection build nodes of parent products installed as packages. */
  allowUpstream?: boolean | undefined;
}

export interface RunDependencies {
  env: NodeJS.ProcessEnv;
  reporter: RunReporter;
  /** Lines for stdout as they are (GitHub workflow commands). */
  stdout: (text: string) => void;
  onInterrupt?: ((handler: (signal: NodeJS.Signals) => void) => () => void) | undefined;
  now?: () => Date;
  /** AWS clients to use instead of ones made from the environment (tests). */
  aws?: AwsClients | undefined;
}

export interface AwsClients {
  sns?: SNSClient;
  redshiftData?: RedshiftDataClient;
  dataApi?: Partial<DataApiOptions>;
}

export interface RunOutcome {
  exitCode: number;
  status: InvocationStatus | 'nothing-to-run';
  invocationId: string | null;
  auditRows: number;
  auditError: string | null;
}

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/** dbt's exit (or the signal that stopped the run) → status and dbt-run's exit code. */
export function outcomeOf(
  dbtExit: number | undefined,
  interruptedBy: NodeJS.Signals | undefined,
): { status: InvocationStatus; exitCode: number } {
  if (interruptedBy) return { status: 'interrupted', exitCode: SIGNAL_EXIT[interruptedBy] ?? 2 };
  if (dbtExit === 0) return { status: 'success', exitCode: 0 };
  if (dbtExit === 1) return { status: 'failed', exitCode: 1 };
  return { status: 'error', exitCode: 2 };
}

export async function runInvocation(options: RunOptions, deps: RunDependencies): Promise<RunOutcome> {
  const now = deps.now ?? (() => new Date());
  const { reporter, env } = deps;
  const plan = await planRun(options, deps);
  if (plan.nothingToRun)
    return { exitCode: 0, status: 'nothing-to-run', invocationId: null, auditRows: 0, auditError: null };

  // Work for after dbt exits starts now and overlaps dbt's run: loading the
  // recording modules and the sink's client, asking git for the commit, and
  // reading manifest.json (complete once dbt starts its first node).
  const recording = import('./record.js');
  const originRead = recording.then((record) => record.runOriginFor(plan.projectDir, env));
  if (plan.runnerAudit) void recording.then((record) => record.preloadSink(plan.target.type));
  // dbt-product.yml (topics, Redshift audit settings) is read and checked while dbt runs:
  // its schema library would otherwise add to every run's start-up.
  const productRead = import('../product/read.js').then((product) => product.readProductManifest(plan.projectDir));
  productRead.catch(() => {});
  let manifestRead: Promise<Manifest | undefined> | undefined;

  const progress = emptyProgress();
  let dbtVersion = plan.dbt.version ?? null;
  reporter.start(
    `dbt ${options.command} on ${plan.target.targetName} (${plan.dbt.source}: ${plan.dbt.path}${dbtVersion ? `, dbt ${dbtVersion}` : ''})`,
  );
  const startedAt = now();
  const dbtResult = await runDbtProcess({
    dbtPath: plan.launch.file,
    args: [...plan.launch.prefix, ...dbtArgs(plan.invocation)],
    cwd: plan.projectDir,
    env: plan.dbtEnv,
    onInterrupt: deps.onInterrupt,
    onEvent: (event) => {
      const version = reportedVersion(event);
      if (version) {
        dbtVersion = version;
        if (!isSupportedVersion(version))
          progress.errors.push(`dbt ${version} is older than ${MIN_DBT_VERSION.join('.')}: results may be incomplete`);
      }
      if (!manifestRead && event.name === 'LogStartLine') {
        manifestRead = recording.then((record) => record.readManifestQuietly(plan.targetDir));
      }
      reporter.event(event, progress, applyEvent(progress, event));
    },
    onOutput: (line) => reporter.output(line),
  });
  const completedAt = now();
  const { status, exitCode } = outcomeOf(dbtResult.exitCode, dbtResult.interruptedBy);
  const selection = describeSelection(plan.invocation);

  const record = await recording;
  let artifacts: Awaited<ReturnType<typeof record.readRunArtifacts>>;
  try {
    artifacts = await record.readRunArtifacts(plan.targetDir, progress, startedAt, manifestRead, {
      interrupted: dbtResult.interruptedBy !== undefined,
    });
  } catch (error) {
    // A corrupt run_results.json: record nothing rather than a partial audit.
    await reporter.finish({
      exitCode: 2,
      status: 'error',
      invocationId: progress.invocationId ?? 'unknown',
      counts: {},
      auditRows: 0,
      auditLocation: null,
      auditError: null,
      elapsedSeconds: (completedAt.getTime() - startedAt.getTime()) / 1000,
    });
    throw new KitError((error as Error).message, { cause: error, exitCode: 2 });
  }
  // The manifest this dbt wrote, indexed while the audit is written, so the next --changed-since starts warm.
  const indexed = import('../select/manifest-index.js').then((index) => index.refreshSelectionIndex(plan.targetDir));

  const execution: Execution = {
    progress,
    startedAt,
    completedAt,
    dbtVersion,
    status,
    exitCode,
    errorMessage: exitCode === 2 ? [...progress.errors, ...dbtResult.otherOutput.slice(-5)].join('\n') || null : null,
  };
  const batch = await record.buildBatch(plan, execution, artifacts, await originRead, selection, now);
  let productError: string | null = null;
  const product = await productRead.catch((error: Error) => {
    productError = error.message;
    return undefined;
  });
  const recorded = options.audit
    ? await record.recordBatch(plan, batch, artifacts.manifest, {
        redshift: record.redshiftOverrides(product, options.auditRedshift),
        redshiftClient: deps.aws?.redshiftData,
        dataApiOptions: deps.aws?.dataApi,
      })
    : { rows: 0, location: null, error: null };
  const notified = await record.notify(plan, batch, artifacts.manifest, product, options, env, deps.aws?.sns);
  for (const line of notified.sent) reporter.info(line);
  for (const line of [...notified.skipped, ...notified.failed]) reporter.warn(line);
  if (productError) reporter.warn(`${productError} (so dbt-run exits 2)`);
  // A broken dbt-product.yml, or a failed audit under --strict-audit, fails a run that dbt passed.
  const finalExitCode = exitCode < 2 && (productError || (options.strictAudit && recorded.error)) ? 2 : exitCode;

  if (isGithubActions(env)) {
    const summary = runSummary(
      {
        product: plan.projectName,
        target: plan.target.targetName,
        command: options.command,
        selection,
        status,
        exitCode: finalExitCode,
        invocationId: batch.invocationId,
        auditRows: recorded.rows,
        auditLocation: recorded.location,
        auditError: recorded.error,
      },
      artifacts.runResults,
      artifacts.manifest,
      { projectDir: plan.projectDir, repositoryRoot: env.GITHUB_WORKSPACE ?? plan.projectDir },
    );
    for (const line of annotations(summary)) deps.stdout(`${line}\n`);
    if (recorded.error) deps.stdout(`::warning title=dbt-run audit::${escapeData(recorded.error)}\n`);
    for (const line of notified.failed) deps.stdout(`::error title=dbt-run alert::${escapeData(line)}\n`);
    if (productError) deps.stdout(`::error title=dbt-product.yml::${escapeData(productError)}\n`);
    await writeGithubFiles(env, summary);
  }
  await reporter.finish({
    exitCode: finalExitCode,
    status,
    invocationId: batch.invocationId,
    counts: statusCounts(artifacts.runResults),
    auditRows: recorded.rows,
    auditLocation: recorded.location,
    auditError: recorded.error,
    elapsedSeconds: (completedAt.getTime() - startedAt.getTime()) / 1000,
  });
  await indexed;
  return {
    exitCode: finalExitCode,
    status,
    invocationId: batch.invocationId,
    auditRows: recorded.rows,
    auditError: recorded.error,
  };
}
