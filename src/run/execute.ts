/**
 * Step 2 of a run: dbt itself, with live progress from its JSON events. It
 * ends when dbt exits, whatever happened: the status and exit code come from
 * dbt's exit or the signal that stopped it. Reading manifest.json starts as
 * soon as dbt starts its first node (it is complete by then), so collecting
 * the results does not wait for it.
 */
import path from 'node:path';
import type { InvocationStatus } from '../audit/rows.js';
import type { Manifest } from '../dbt/artifacts.js';
import { dbtArgs, FRESHNESS_COMMAND } from '../dbt/command.js';
import { reportedVersion } from '../dbt/events.js';
import { isSupportedVersion, MIN_DBT_VERSION } from '../dbt/locate.js';
import { runDbtProcess } from '../dbt/process.js';
import type { RunPlan } from './plan.js';
import { applyEvent, emptyProgress, type Progress } from './progress.js';
import type { RunDependencies } from './types.js';

/** What dbt did: its progress (events), when, which version, and how it ended. */
export interface Execution {
  progress: Progress;
  startedAt: Date;
  completedAt: Date;
  dbtVersion: string | null;
  status: InvocationStatus;
  exitCode: number;
  /** Why dbt or the runner failed (exit code 2), from the events and dbt's other output. */
  errorMessage: string | null;
  interrupted: boolean;
  /** dbt ended by a signal (its nodes in flight never finished). */
  killed: boolean;
  /** manifest.json, read once dbt started its first node (undefined: not read yet). */
  manifestRead: Promise<Manifest | undefined> | undefined;
}

/** 128 + the signal's number, as a shell reports a process the signal ended. */
export const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/**
 * The exit code once a signal came after dbt exited (pure): the signal's, unless the run's
 * failure was alerted (--alerted-exit-code): nobody needs telling again, and that code says so.
 */
export function exitCodeAfterLateSignal(
  exitCode: number,
  signal: NodeJS.Signals | undefined,
  alertedExitCode: number | undefined,
): number {
  if (!signal || (alertedExitCode !== undefined && exitCode === alertedExitCode)) return exitCode;
  return SIGNAL_EXIT[signal] ?? exitCode;
}

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

/**
 * A selection that matched nothing (a typo: `-s nope_model`) is, to dbt, a
 * success with a warning: a silent green. dbt-run makes it an error in dbt's
 * words (pure), unless the run allows an empty selection. Only a run given a
 * selection: `dbt retry` after a green run has nothing to do, rightly.
 */
export function emptySelectionError(
  progress: Pick<Progress, 'nothingToDo' | 'unmatched'>,
  status: InvocationStatus,
  run: { selected: boolean; allowEmpty: boolean },
): string | undefined {
  if (!run.selected || run.allowEmpty || status !== 'success' || !progress.nothingToDo) return undefined;
  const why = progress.unmatched.length ? progress.unmatched.join('; ') : 'dbt found nothing to do';
  return `${why}: nothing ran; check the selection, or pass --allow-empty to accept an empty one`;
}

/**
 * The first line of a killed dbt's error (pure): by which signal, and what
 * was running. Its other output then is Python's noise at exit (the
 * resource tracker's leaked semaphores), which would otherwise be all it says.
 */
export function killedLine(
  signal: NodeJS.Signals | undefined,
  progress: Pick<Progress, 'running'>,
): string | undefined {
  if (!signal) return undefined;
  const running = [...progress.running.values()];
  return `dbt was killed by ${signal}${running.length ? ` while running ${running.join(', ')}` : ''}`;
}

/** Who else hears of dbt as it runs (the pending record: dbt's pid, its invocation id, its events). */
export interface ExecutionWatcher {
  spawned?(pid: number): void;
  invocation?(invocationId: string): void;
  eventLine?(line: string): void;
  /** The lines given to eventLine since the last call came in one read of dbt's output. */
  eventsRead?(): void;
}

export async function executeDbt(
  plan: RunPlan,
  deps: Pick<RunDependencies, 'reporter' | 'onInterrupt' | 'now'>,
  options: { allowEmpty?: boolean | undefined; watcher?: ExecutionWatcher } = {},
): Promise<Execution> {
  const watcher = options.watcher ?? {};
  const now = deps.now ?? (() => new Date());
  const { reporter } = deps;
  const progress = emptyProgress();
  let dbtVersion = plan.dbt.version ?? null;
  let manifestRead: Promise<Manifest | undefined> | undefined;
  reporter.start(
    `dbt ${plan.invocation.command} on ${plan.target.targetName} (${plan.dbt.source}: ${plan.dbt.path}${dbtVersion ? `, dbt ${dbtVersion}` : ''})`,
  );
  const startedAt = now();
  const dbt = await runDbtProcess({
    dbtPath: plan.launch.file,
    args: [...plan.launch.prefix, ...dbtArgs(plan.invocation)],
    guarded: plan.launch.guarded,
    cwd: plan.projectDir,
    env: plan.dbtEnv,
    onInterrupt: deps.onInterrupt,
    onSpawn: (pid) => watcher.spawned?.(pid),
    onEvent: (event, line) => {
      watcher.eventLine?.(line);
      if (!progress.invocationId && event.invocationId) watcher.invocation?.(event.invocationId);
      const version = reportedVersion(event);
      if (version) {
        dbtVersion = version;
        if (!isSupportedVersion(version))
          progress.errors.push(`dbt ${version} is older than ${MIN_DBT_VERSION.join('.')}: results may be incomplete`);
      }
      if (!manifestRead && event.name === 'LogStartLine') {
        // The artifact reader (and its schema library) loads here, not at start-up.
        const file = path.join(plan.targetDir, 'manifest.json');
        // A freshness check's nodes are sources, which a build's reading skips.
        const sources = plan.invocation.command === FRESHNESS_COMMAND;
        manifestRead = import('../dbt/artifacts.js').then((artifacts) =>
          artifacts.readManifestQuietly(file, { sources }),
        );
      }
      reporter.event(event, progress, applyEvent(progress, event));
    },
    onEventsRead: () => watcher.eventsRead?.(),
    onOutput: (line) => reporter.output(line),
  });
  const outcome = outcomeOf(dbt.exitCode, dbt.interruptedBy);
  const { select, exclude, selector } = plan.invocation;
  const empty = emptySelectionError(progress, outcome.status, {
    selected: select.length > 0 || exclude.length > 0 || Boolean(selector),
    allowEmpty: options.allowEmpty ?? false,
  });
  if (empty) reporter.error(empty);
  else for (const line of progress.unmatched) reporter.warn(line);
  const { status, exitCode } = empty ? { status: 'error' as const, exitCode: 2 } : outcome;
  return {
    progress,
    startedAt,
    completedAt: now(),
    dbtVersion,
    status,
    exitCode,
    errorMessage:
      empty ??
      (exitCode === 2
        ? [killedLine(dbt.killedBy, progress), ...progress.errors, ...dbt.otherOutput.slice(-5)]
            .filter(Boolean)
            .join('\n') || null
        : null),
    interrupted: dbt.interruptedBy !== undefined,
    killed: dbt.killedBy !== undefined,
    manifestRead,
  };
}
