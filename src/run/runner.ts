/**
 * One dbt-run invocation, as a sequence of steps, each in the file named
 * for it: plan (project, dbt, target, selection) → execute (dbt, with live
 * progress) → collect (artifacts into the audit batch) → record (the audit
 * sink) → notify (SNS) → report (terminal, GitHub, exit code). Whatever dbt
 * did, every step after it runs; lifecycle.ts keeps the run recoverable if
 * dbt-run itself dies. Exit codes:
 *   0 all good · 1 a node failed · 2 dbt or runner error ·
 *   129 / 130 / 143 interrupted by SIGHUP / SIGINT / SIGTERM (after recording what finished).
 */
import { auditTablesFor } from '../audit/tables.js';
import { KitError } from '../errors.js';
import type { ProductManifest } from '../product/manifest.js';
import { executeDbt, exitCodeAfterLateSignal } from './execute.js';
import { holdLateSignals, openPendingRecord, sendEarlierUploads } from './lifecycle.js';
import { planRun, type RunPlan } from './plan.js';
import { type RunTimings, runTimings } from './timings.js';
import type { RunDependencies, RunOptions, RunOutcome } from './types.js';

export type { AwsClients, RunDependencies, RunOptions, RunOutcome } from './types.js';

const NOTHING_TO_RUN: RunOutcome = {
  exitCode: 0,
  status: 'nothing-to-run',
  invocationId: null,
  auditRows: 0,
  auditError: null,
};

/**
 * Work that overlaps dbt's run: loading the steps after dbt (their libraries
 * would otherwise add to start-up), the sink's client, asking git where the
 * run came from, and reading dbt-product.yml (topics, Redshift audit settings).
 */
function startAlongsideDbt(plan: RunPlan, env: NodeJS.ProcessEnv) {
  const steps = Promise.all([
    import('./collect.js'),
    import('./record-audit.js'),
    import('./notify.js'),
    import('./report.js'),
  ]).then(([collect, record, notify, report]) => ({ collect, record, notify, report }));
  if (plan.runnerAudit) void import('../audit/sinks/index.js').then((sinks) => sinks.preloadSink(plan.target.type));
  const origin = import('../audit/origin.js').then((origin) => origin.runOriginFor(plan.projectDir, env));
  const product = import('../product/read.js')
    .then((product) => product.readProductManifest(plan.projectDir))
    .then(
      (manifest): { manifest: ProductManifest | undefined; error: string | null } => ({ manifest, error: null }),
      (error: Error) => ({ manifest: undefined, error: error.message }),
    );
  return { steps, origin, product };
}

/** The run's topics, in its pending record: a recovered run's alert goes where this run's would have. */
async function recordTopics(
  product: ReturnType<typeof startAlongsideDbt>['product'],
  plan: RunPlan,
  options: RunOptions,
  deps: RunDependencies,
  pending: Awaited<ReturnType<typeof openPendingRecord>>,
): Promise<void> {
  const [{ manifest }, { topicsFor }] = await Promise.all([product, import('../alerts/notify.js')]);
  const { environment, alerts, events } = topicsFor(manifest, plan.target.targetName, options, deps.env);
  if (alerts || events) pending.update({ topics: { environment, alerts, events } });
}

export async function runInvocation(options: RunOptions, deps: RunDependencies): Promise<RunOutcome> {
  const now = deps.now ?? (() => new Date());
  const plan = await planRun(options, deps);
  if (plan.nothingToRun) return NOTHING_TO_RUN;
  const pending = await openPendingRecord(plan, options, deps, now());
  const alongside = startAlongsideDbt(plan, deps.env);
  void alongside.origin.then(
    (origin) => pending.update({ origin }),
    () => {},
  );
  recordTopics(alongside.product, plan, options, deps, pending).catch(() => {});
  const late = holdLateSignals(deps);
  const timings = runTimings(deps.env);
  try {
    const outcome = await runAndRecord(plan, options, deps, alongside, pending, late.state, timings);
    const exitCode = exitCodeAfterLateSignal(outcome.exitCode, late.state.signal, options.alertedExitCode);
    return { ...outcome, exitCode };
  } finally {
    late.release();
    await timings.finish();
  }
}

async function runAndRecord(
  plan: RunPlan,
  options: RunOptions,
  deps: RunDependencies,
  alongside: ReturnType<typeof startAlongsideDbt>,
  pending: Awaited<ReturnType<typeof openPendingRecord>>,
  late: ReturnType<typeof holdLateSignals>['state'],
  timings: RunTimings,
): Promise<RunOutcome> {
  const now = deps.now ?? (() => new Date());
  const execution = await executeDbt(plan, deps, {
    allowEmpty: options.allowEmpty,
    watcher: {
      spawned: (dbtPid) => {
        timings.dbtStarted();
        pending.update({ dbtPid });
      },
      invocation: (invocationId) => pending.update({ invocationId }),
      eventLine: (line) => pending.appendEvent(line),
      eventsRead: () => pending.writeEvents(),
    },
  });
  late.dbtRunning = false;
  timings.dbtEnded();

  const { collect, record, notify, report } = await alongside.steps;
  const { selection } = plan;
  let collected: Awaited<ReturnType<typeof collect.collectResults>>;
  try {
    const facts = {
      productName: plan.projectName,
      targetName: plan.target.targetName,
      command: plan.invocation.command,
      selection,
      origin: await alongside.origin,
    };
    collected = await collect.collectResults(plan.targetDir, execution, facts, now, plan.projectDir);
  } catch (error) {
    // A corrupt run_results.json: record nothing rather than a partial audit.
    await report.reportUnreadableResults(deps.reporter, execution);
    throw new KitError((error as Error).message, { cause: error, exitCode: 2 });
  }
  timings.step('collected');
  for (const note of collected.notes ?? []) deps.reporter.warn(note);
  // The manifest this dbt wrote, indexed while the audit is written, so the next --changed-since starts warm.
  const indexed = import('../select/manifest-index.js').then((index) => index.refreshSelectionIndex(plan.targetDir));

  const product = await alongside.product;
  const tables = auditTablesFor({
    projectName: plan.projectName,
    targetSchema: plan.target.fields.schema,
    nodes: collected.auditModels,
    declared: product.manifest?.audit,
  });
  const recorded = options.audit
    ? await record.recordAudit(plan, collected.batch, tables, {
        redshift: (await import('../redshift/target.js')).redshiftOverrides(product.manifest, options.auditRedshift),
        redshiftClient: deps.aws?.redshiftData,
        dataApiOptions: deps.aws?.dataApi,
      })
    : record.NOT_RECORDED;
  timings.step('recorded');
  // Recorded, spooled, or not to be recorded (--no-audit): nothing left to recover.
  await pending.finish();
  if (options.audit && recorded.location) await sendEarlierUploads(plan, options, deps);
  timings.step('earlier_uploads');

  const notifications = await notify.sendNotifications(
    collected.batch,
    {
      product: plan.projectName,
      targetName: plan.target.targetName,
      auditTable: tables.log,
      targetDir: plan.targetDir,
      projectDir: plan.projectDir,
      failureFacts: collected.failures.failures,
    },
    { manifest: product.manifest, flags: options, env: deps.env, sns: deps.aws?.sns },
  );

  timings.step('notified');
  const outcome = await report.reportRun(
    {
      product: plan.projectName,
      targetName: plan.target.targetName,
      command: options.command,
      selection,
      projectDir: plan.projectDir,
      execution,
      collected,
      recorded,
      notifications,
      productError: product.error,
      strictAudit: options.strictAudit ?? false,
      alertedExitCode: options.alertedExitCode,
    },
    deps,
  );
  timings.step('reported');
  await indexed;
  timings.step('indexed');
  return outcome;
}
