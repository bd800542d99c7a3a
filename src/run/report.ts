/**
 * Step 6 of a run: tell people and GitHub what happened. The reporter prints
 * the notification lines and the final summary; under GitHub Actions the
 * annotations, workflow commands, job summary and outputs are written too.
 * It also settles dbt-run's exit code: a broken dbt-product.yml, or a failed
 * audit under --strict-audit, fails a run that dbt passed.
 */
import { annotations, escapeData, isGithubActions, writeGithubFiles } from '../github/actions.js';
import type { Collected } from './collect.js';
import type { Execution } from './execute.js';
import { NO_FAILURES } from './failures.js';
import type { Notifications } from './notify.js';
import type { Recorded } from './record-audit.js';
import type { RunReporter } from './reporters.js';
import { nodeAndHookCounts, runSummary } from './summary.js';
import type { RunOutcome } from './types.js';

export interface RunReport {
  product: string;
  targetName: string;
  command: string;
  selection: string;
  projectDir: string;
  execution: Execution;
  collected: Collected;
  recorded: Pick<Recorded, 'rows' | 'location' | 'error'>;
  notifications: Notifications;
  /** Why dbt-product.yml could not be read, if it could not. */
  productError: string | null;
  strictAudit: boolean;
  /** --alerted-exit-code: the exit code of a failure whose alert was published. */
  alertedExitCode?: number | undefined;
}

export interface ReportOutput {
  reporter: RunReporter;
  stdout: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/**
 * dbt-run's exit code (pure): dbt's, unless the run's own checks fail a run dbt passed. With
 * --alerted-exit-code, a failure whose alert was published exits with that code instead, so an
 * orchestrator alerts only on failures nobody was told about; a failure the alert does not tell
 * (an invalid dbt-product.yml, a failed audit under --strict-audit) keeps its code.
 */
export function finalExitCode(
  report: Pick<RunReport, 'execution' | 'productError' | 'strictAudit' | 'recorded' | 'alertedExitCode'> & {
    notifications: Pick<Notifications, 'alert'>;
  },
): number {
  const { exitCode } = report.execution;
  const ownFailure = report.productError || (report.strictAudit && report.recorded.error);
  if (exitCode !== 0 && !ownFailure && report.notifications.alert === 'sent' && report.alertedExitCode !== undefined)
    return report.alertedExitCode;
  return exitCode < 2 && ownFailure ? 2 : exitCode;
}

const elapsedSeconds = (execution: Execution) =>
  (execution.completedAt.getTime() - execution.startedAt.getTime()) / 1000;

export async function reportRun(report: RunReport, output: ReportOutput): Promise<RunOutcome> {
  const { reporter, env } = output;
  const { execution, collected, recorded, notifications, productError } = report;
  for (const line of notifications.sent) reporter.info(line);
  for (const line of [...notifications.skipped, ...notifications.failed]) reporter.warn(line);
  if (productError) reporter.warn(`${productError} (so dbt-run exits 2)`);
  const exitCode = finalExitCode(report);
  if (exitCode !== execution.exitCode && exitCode === report.alertedExitCode)
    reporter.info(`exit ${exitCode} (--alerted-exit-code): the run failed and its failure alert was published`);
  const invocationId = collected.batch.invocationId;

  if (isGithubActions(env)) {
    const summary = runSummary(
      {
        product: report.product,
        target: report.targetName,
        command: report.command,
        selection: report.selection,
        status: execution.status,
        exitCode,
        invocationId,
        auditRows: recorded.rows,
        auditLocation: recorded.location,
        auditError: recorded.error,
      },
      collected.batch.nodes,
      collected.nodeFiles,
      { projectDir: report.projectDir, repositoryRoot: env.GITHUB_WORKSPACE ?? report.projectDir },
      collected.failures,
    );
    for (const line of annotations(summary)) output.stdout(`${line}\n`);
    if (recorded.error) output.stdout(`::warning title=dbt-run audit::${escapeData(recorded.error)}\n`);
    for (const line of notifications.failed) output.stdout(`::error title=dbt-run alert::${escapeData(line)}\n`);
    if (productError) output.stdout(`::error title=dbt-product.yml::${escapeData(productError)}\n`);
    await writeGithubFiles(env, summary);
  }
  await reporter.finish({
    exitCode,
    status: execution.status,
    invocationId,
    ...nodeAndHookCounts(collected.batch.nodes),
    failures: collected.failures,
    auditRows: recorded.rows,
    auditLocation: recorded.location,
    auditError: recorded.error,
    elapsedSeconds: elapsedSeconds(execution),
  });
  return { exitCode, status: execution.status, invocationId, auditRows: recorded.rows, auditError: recorded.error };
}

/** The end of a run whose artifacts could not be read (a corrupt run_results.json): nothing is recorded. */
export async function reportUnreadableResults(reporter: RunReporter, execution: Execution): Promise<void> {
  await reporter.finish({
    exitCode: 2,
    status: 'error',
    invocationId: execution.progress.invocationId ?? 'unknown',
    counts: {},
    hooks: {},
    failures: NO_FAILURES,
    auditRows: 0,
    auditLocation: null,
    auditError: null,
    elapsedSeconds: elapsedSeconds(execution),
  });
}
