/**
 * The orphan guard: how a dbt started as it is (a wrapper script, a binary,
 * DBT_PRODUCT_KIT_DIRECT_DBT=1; see launch.ts) stops when dbt-run dies.
 * dbt runs in its own process group, so a terminal's Ctrl-C reaches only
 * dbt-run; a dbt-run killed outright (kill -9, the OOM killer, a cancelled CI
 * job) would leave dbt running on, unwatched. So dbt-run starts a small Node
 * process of the kit's own, which starts dbt and stays its parent:
 *
 * - dbt's stdin, stdout and stderr are the guard's own, handed down: dbt writes
 *   straight into dbt-run's pipes, nothing is copied or buffered on the way;
 * - SIGINT, SIGTERM and SIGHUP are passed to dbt as they are (dbt-run's first
 *   interrupt is one SIGINT; its second kills the process group, guard and dbt);
 * - the guard ends as dbt did: with its exit code, or by the same signal, so
 *   dbt-run sees what it would see of dbt itself;
 * - when its parent changes (dbt-run died, the guard was reparented), dbt gets
 *   SIGINT (it cancels its queries and writes what finished, as on Ctrl-C), then
 *   SIGKILL after ORPHAN_GRACE_SECONDS: what QUIET_CONSOLE_PYTHON's watcher does
 *   for the Python-launched dbt;
 * - it reports dbt's pid on file descriptor 3, which dbt does not inherit: the
 *   pending record keeps dbt's own pid, whose life is what "dbt still runs" means
 *   to recovery (a guard killed alone leaves a dbt that recovery must wait for).
 *
 * The guard is JavaScript run with `node -e` (process.execPath), like the
 * Python lines: no file to find beside the compiled kit (the same code runs
 * from src/ under the tests, from dist/, from a bundle), no module of the
 * kit to load: Node's start-up is all it adds before dbt starts (55 to 105
 * ms measured on a busy two-core machine; about 40 MB while dbt runs). The
 * guard gets dbt's environment except NODE_OPTIONS (a `--require` or `--inspect`
 * meant for dbt-run must not break or slow it): that travels in
 * DBT_PRODUCT_KIT_DBT_NODE_OPTIONS and dbt gets it back as it was.
 */
import type { Readable } from 'node:stream';
import { ORPHAN_GRACE_SECONDS } from './launch.js';

const STASHED_NODE_OPTIONS = 'DBT_PRODUCT_KIT_DBT_NODE_OPTIONS';

/** Runs with `node -e GUARD_JS -- <parent pid> <grace seconds> <dbt> [dbt's arguments...]`. */
export const GUARD_JS = `
'use strict';
const { spawn } = require('node:child_process');
const { closeSync, writeSync } = require('node:fs');
const { signals } = require('node:os').constants;
const [parentArg, graceArg, file, ...args] = process.argv.slice(1);
// Ends the guard at once (pending timers and the watch included).
const leave = process.exit;
const parent = Number(parentArg);
const env = { ...process.env };
delete env.NODE_OPTIONS;
if (${JSON.stringify(STASHED_NODE_OPTIONS)} in env) {
  env.NODE_OPTIONS = env[${JSON.stringify(STASHED_NODE_OPTIONS)}];
  delete env[${JSON.stringify(STASHED_NODE_OPTIONS)}];
}
// dbt-run died before dbt started: nobody would watch it.
if (process.ppid !== parent) leave(1);
const dbt = spawn(file, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
if (dbt.pid !== undefined) {
  try {
    writeSync(3, dbt.pid + '\\n');
    closeSync(3);
  } catch {} // started by something other than dbt-run: nobody asks
}
const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const signal of forwarded) process.on(signal, () => dbt.kill(signal));
const watch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(watch);
  dbt.kill('SIGINT');
  setTimeout(() => dbt.kill('SIGKILL'), Number(graceArg) * 1000);
}, 500);
let ended = false;
dbt.on('error', (error) => {
  if (ended) return;
  ended = true;
  process.stderr.write('dbt-run could not start ' + file + ': ' + error.message + '\\n');
  leave(error.code === 'ENOENT' ? 127 : 126);
});
dbt.on('exit', (code, signal) => {
  ended = true;
  if (signal === null) leave(code ?? 1);
  // The same signal, with its default action restored; a signal Node keeps for itself
  // (SIGPIPE is ignored, SIGUSR1 starts the inspector) ends it as a shell reports one.
  for (const name of forwarded) process.removeAllListeners(name);
  if (signal !== 'SIGUSR1') process.kill(process.pid, signal);
  setTimeout(() => leave(128 + (signals[signal] ?? 0)), 100);
});
`.trim();

/** How dbt-run starts `file args` under the guard (pure). */
export function guardedCommand(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  /** The guard's parent (dbt-run, which starts it) and the grace a dbt gets once that parent died. */
  watch: { parentPid: number; graceSeconds: number } = { parentPid: process.pid, graceSeconds: ORPHAN_GRACE_SECONDS },
): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  const { NODE_OPTIONS, [STASHED_NODE_OPTIONS]: _stale, ...rest } = env;
  return {
    file: process.execPath,
    args: ['-e', GUARD_JS, '--', String(watch.parentPid), String(watch.graceSeconds), file, ...args],
    env: NODE_OPTIONS === undefined ? rest : { ...rest, [STASHED_NODE_OPTIONS]: NODE_OPTIONS },
  };
}

/** dbt's pid as the guard reports it on its file descriptor 3 (undefined: dbt never started). */
export async function reportedPid(stream: Readable): Promise<number | undefined> {
  let text = '';
  try {
    for await (const chunk of stream) text += String(chunk);
  } catch {
    // a pid never read leaves the guard's in the record, which outlives dbt by moments
  }
  const pid = Number(text.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
