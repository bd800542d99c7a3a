/**
 * What keeps a run from being lost around dbt: the pending record written
 * before dbt starts (after recovering runs whose runner died), signals held
 * while the audit is written, and uploads earlier runs left, sent once this
 * run's own went through.
 */
import { randomUUID } from 'node:crypto';
import type { RunPlan } from './plan.js';
import type { RunDependencies, RunOptions } from './types.js';

/**
 * The run's pending record (it exists before dbt starts: a runner killed
 * mid-run is recovered by the next run or flush), after recovering runs
 * whose runner died. Both before dbt: it overwrites run_results.json.
 */
export async function openPendingRecord(plan: RunPlan, options: RunOptions, deps: RunDependencies, startedAt: Date) {
  const { PendingRecord } = await import('./pending.js');
  const pending = await PendingRecord.start(plan.targetDir, {
    runId: randomUUID(),
    startedAt: startedAt.toISOString(),
    productName: plan.projectName,
    targetName: plan.target.targetName,
    command: plan.invocation.command,
    selection: plan.selection,
    destination:
      options.audit && plan.runnerAudit
        ? (await import('../audit/sinks/index.js')).sinkDatabaseOf(plan.target, plan.projectDir)
        : null,
    targetSchema: plan.target.fields.schema == null ? undefined : String(plan.target.fields.schema),
  });
  if (pending.othersFound) {
    const { recoverAbandonedRuns } = await import('./recover.js');
    const product = await import('../product/read.js').then((read) => read.readProductManifest(plan.projectDir));
    const recovered = await recoverAbandonedRuns({
      projectDir: plan.projectDir,
      targetDir: plan.targetDir,
      projectName: plan.projectName,
      declared: product?.audit,
      recoveredBy: 'dbt-run',
    }).catch((error: Error) => {
      deps.reporter.warn(`could not recover earlier runs: ${error.message}`);
      return [];
    });
    for (const run of recovered)
      deps.reporter.warn(
        `audit: run ${run.invocationId} was never recorded (its dbt-run was killed): spooled from ${run.source} (${run.nodes} nodes)${run.messages ? `; its ${run.messages === 1 ? 'alert waits' : `${run.messages} messages wait`} in the outbox for dbt-run audit flush` : ''}`,
      );
  }
  return pending;
}

/**
 * Signals after dbt ended (while the audit is written): the first is noted
 * and the run finishes recording; a second stops at once (the pending record
 * and the spool let the next run or flush finish the job).
 */
export function holdLateSignals(deps: RunDependencies) {
  const state: { dbtRunning: boolean; signal: NodeJS.Signals | undefined } = { dbtRunning: true, signal: undefined };
  const unsubscribe = deps.onInterrupt?.((signal) => {
    if (state.dbtRunning) return; // the dbt process handles these (execute.ts)
    if (state.signal === undefined) {
      state.signal = signal;
      deps.reporter.warn(`${signal}: recording what dbt did before stopping (${signal} again stops now)`);
      return;
    }
    unsubscribe?.();
    process.kill(process.pid, signal);
  });
  return { state, release: () => unsubscribe?.() };
}

/**
 * Uploads earlier runs left in the spool (a failed write, a killed runner),
 * sent once this run's own upload went through: the sink answers now.
 */
export async function sendEarlierUploads(plan: RunPlan, options: RunOptions, deps: RunDependencies): Promise<void> {
  const { spooledIds } = await import('../audit/sinks/index.js');
  if ((await spooledIds(plan.targetDir)).length === 0) return;
  const { flushSpool } = await import('./flush.js');
  const results = await flushSpool({
    projectDir: plan.projectDir,
    profilesDir: options.profilesDir,
    env: deps.env,
    redshift: options.auditRedshift,
    redshiftClient: deps.aws?.redshiftData,
    dataApiOptions: deps.aws?.dataApi,
  }).catch((error: Error) => [{ invocationId: '?', error: error.message, rows: 0, location: null }]);
  for (const result of results) {
    if (result.error)
      deps.reporter.warn(`audit: an earlier upload (${result.invocationId}) is still spooled: ${result.error}`);
    else
      deps.reporter.info(
        `audit: an earlier upload (${result.invocationId}, ${result.rows} rows) sent to ${result.location}`,
      );
  }
}
