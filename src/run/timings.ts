/**
 * Where a run's time goes besides dbt's, for the runner benchmark and for
 * anyone asking why dbt-run took longer than dbt alone. With
 * DBT_PRODUCT_KIT_TIMINGS=<file>, each run appends one JSON line: seconds
 * from the process's start to dbt's start and from dbt's end to the run's
 * end (what the runner adds in series), and the runner's CPU seconds while
 * dbt ran (what competes with dbt for the cores).
 */
import { appendFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

export const TIMINGS_ENV = 'DBT_PRODUCT_KIT_TIMINGS';

interface Mark {
  /** Seconds since the process started. */
  at: number;
  cpu: NodeJS.CpuUsage;
}

export interface RunTimingsLine {
  before_dbt_s: number;
  runner_cpu_during_dbt_s: number | null;
  after_dbt_s: number | null;
  total_s: number;
  runner_cpu_s: number;
  /** After dbt: seconds from dbt's end to each step's end (collected, recorded, notified...), in order. */
  after_dbt_steps_s: Record<string, number>;
}

const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;
const mark = (): Mark => ({ at: performance.now() / 1000, cpu: process.cpuUsage() });

/** The line of a run from its marks (pure); undefined when dbt never started. */
export function timingsLine(marks: {
  dbtStarted?: Mark;
  dbtEnded?: Mark;
  steps?: [string, Mark][];
  end: Mark;
}): RunTimingsLine | undefined {
  const { dbtStarted, dbtEnded, end } = marks;
  if (!dbtStarted) return undefined;
  return {
    before_dbt_s: dbtStarted.at,
    runner_cpu_during_dbt_s: dbtEnded ? cpuSeconds(dbtEnded.cpu) - cpuSeconds(dbtStarted.cpu) : null,
    after_dbt_s: dbtEnded ? end.at - dbtEnded.at : null,
    total_s: end.at,
    runner_cpu_s: cpuSeconds(end.cpu),
    after_dbt_steps_s: Object.fromEntries(
      dbtEnded ? (marks.steps ?? []).map(([name, step]) => [name, step.at - dbtEnded.at]) : [],
    ),
  };
}

export interface RunTimings {
  dbtStarted(): void;
  dbtEnded(): void;
  /** A step after dbt has ended (collected, recorded...). */
  step(name: string): void;
  /** Appends the run's line; never fails the run. */
  finish(): Promise<void>;
}

export function runTimings(env: NodeJS.ProcessEnv): RunTimings {
  const file = env[TIMINGS_ENV];
  const marks: { dbtStarted?: Mark; dbtEnded?: Mark; steps: [string, Mark][] } = { steps: [] };
  return {
    dbtStarted: () => {
      if (file) marks.dbtStarted ??= mark();
    },
    dbtEnded: () => {
      if (file) marks.dbtEnded ??= mark();
    },
    step: (name) => {
      if (file) marks.steps.push([name, mark()]);
    },
    finish: async () => {
      const line = file ? timingsLine({ ...marks, end: mark() }) : undefined;
      if (file && line) await appendFile(file, `${JSON.stringify(line)}\n`).catch(() => {});
    },
  };
}
