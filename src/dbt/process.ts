/**
 * Running dbt as a child process with execa: arguments as an array, output
 * read line by line into events. dbt runs in its own process group, so a
 * terminal's Ctrl-C reaches only the runner, which forwards exactly one
 * SIGINT (dbt cancels its queries and writes its results) and kills dbt
 * outright on a second signal. A dbt that cannot watch for dbt-run's death
 * itself runs under the orphan guard (guard.ts), which reports dbt's pid.
 */
import { execa } from 'execa';
import { lastLine } from '../errors.js';
import { type DbtEvent, parseEventLine } from './events.js';
import { guardedCommand, reportedPid } from './guard.js';
import { readLines } from './lines.js';

export interface DbtProcessOptions {
  /** The executable: dbt, or the Python that runs it (see launch.ts). */
  dbtPath: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Start it under the orphan guard (guard.ts): a dbt run as it is, with nothing to stop it if dbt-run dies. */
  guarded?: boolean;
  /** Each JSON event, with the line it came in (kept as it is for recovery). */
  onEvent?: (event: DbtEvent, line: string) => void;
  /** The events of one read of dbt's output have all been given to onEvent (a moment to write them out together). */
  onEventsRead?: () => void;
  /**
   * The pid whose life means dbt runs, once it started: dbt's (or its Python's); under the
   * guard, the guard's at once, then dbt's own when the guard reports it.
   */
  onSpawn?: (pid: number) => void;
  /** Lines that are not JSON events (tracebacks, warnings printed by Python). */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Subscribe to interrupts; the returned function unsubscribes. */
  onInterrupt?: (handler: (signal: NodeJS.Signals) => void) => () => void;
}

export interface DbtProcessResult {
  /** dbt's exit code; undefined when it was killed. */
  exitCode: number | undefined;
  /** The first signal the runner received while dbt ran, if any. */
  interruptedBy: NodeJS.Signals | undefined;
  /** The signal that ended dbt, when one did (sent by the runner or by anything else: the OOM killer, kill -9). */
  killedBy: NodeJS.Signals | undefined;
  /** stderr and non-JSON stdout, last lines first to go when long. */
  otherOutput: string[];
}

const KEEP_OTHER_LINES = 200;

export async function runDbtProcess(options: DbtProcessOptions): Promise<DbtProcessResult> {
  const command = options.guarded
    ? guardedCommand(options.dbtPath, options.args, options.env)
    : { file: options.dbtPath, args: options.args, env: options.env };
  const child = execa(command.file, command.args, {
    cwd: options.cwd,
    env: command.env,
    extendEnv: false,
    reject: false,
    detached: true,
    // The guard reports dbt's pid on its descriptor 3.
    stdio: options.guarded ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    buffer: false,
  });
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  const otherOutput: string[] = [];
  const keep = (line: string, stream: 'stdout' | 'stderr') => {
    otherOutput.push(line);
    if (otherOutput.length > KEEP_OTHER_LINES) otherOutput.shift();
    options.onOutput?.(line, stream);
  };

  let interruptedBy: NodeJS.Signals | undefined;
  const unsubscribe = options.onInterrupt?.((signal) => {
    if (interruptedBy === undefined) {
      interruptedBy = signal;
      child.kill('SIGINT');
    } else if (child.pid !== undefined) {
      // The whole process group: dbt's helpers (Python's resource tracker) go with it.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }
  });

  const readers: Promise<void>[] = [];
  const pidReport = child.stdio[3];
  if (pidReport) {
    readers.push(
      reportedPid(pidReport).then((pid) => {
        if (pid !== undefined) options.onSpawn?.(pid);
      }),
    );
  }
  if (child.stdout) {
    readers.push(
      readLines(child.stdout, (lines) => {
        for (const line of lines) {
          const event = parseEventLine(line);
          if (event) options.onEvent?.(event, line);
          else if (line.trim()) keep(line, 'stdout');
        }
        options.onEventsRead?.();
      }),
    );
  }
  if (child.stderr) {
    readers.push(
      readLines(child.stderr, (lines) => {
        for (const line of lines) if (line.trim()) keep(line, 'stderr');
      }),
    );
  }
  try {
    const result = await child;
    await Promise.all(readers);
    return { exitCode: result.exitCode, interruptedBy, killedBy: result.signal, otherOutput };
  } finally {
    unsubscribe?.();
  }
}

/**
 * A short dbt command whose output is the answer (ls, deps, parse), run to
 * the end: its stdout, or an error of the given kind quoting dbt's last line.
 */
export async function runDbtCaptured(
  options: { dbtPath: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv },
  fail: (message: string) => Error,
): Promise<string> {
  const result = await execa(options.dbtPath, options.args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    reject: false,
    all: true,
  });
  if (result.exitCode !== 0) {
    throw fail(`dbt ${options.args[0]} failed (exit ${result.exitCode}): ${lastLine(result.all ?? '', 'no output')}`);
  }
  return result.stdout ?? '';
}
