/**
 * The orphan guard (src/dbt/guard.ts) with a tiny Node program in dbt's
 * place: what dbt-run sees of it (output, exit code, the signal that ended
 * it, the pids) is what it sees of the program started as it is; signals
 * reach the program; and when the guard's parent dies, the program gets
 * SIGINT, then SIGKILL once the grace is over.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { GUARD_JS, guardedCommand } from '../../src/dbt/guard.js';
import { type DbtProcessResult, runDbtProcess } from '../../src/dbt/process.js';
import { isProcessAlive } from '../../src/process-alive.js';
import { tempDir } from '../harness/product.js';

const env = { PATH: process.env.PATH };

/** Runs `node -e program args` through runDbtProcess, guarded or not. */
async function run(
  guarded: boolean,
  program: string,
  args: string[] = [],
  options: { whenReady?: (pids: number[], interrupt: (signal: NodeJS.Signals) => void) => void } = {},
): Promise<DbtProcessResult & { pids: number[]; events: string[] }> {
  const pids: number[] = [];
  const events: string[] = [];
  let interrupt: (signal: NodeJS.Signals) => void = () => {};
  const result = await runDbtProcess({
    dbtPath: process.execPath,
    args: ['-e', program, ...args],
    cwd: process.cwd(),
    env,
    guarded,
    onSpawn: (pid) => pids.push(pid),
    onEvent: (_event, line) => events.push(line),
    onOutput: (line) => {
      if (line === 'ready') options.whenReady?.(pids, interrupt);
    },
    onInterrupt: (handler) => {
      interrupt = handler;
      return () => {};
    },
  });
  return { ...result, pids, events };
}

/** Prints an event and a line on stderr, says its pid, and ends as told: an exit code or a signal. */
const ENDS_AS_TOLD = `
console.log(JSON.stringify({ info: { name: 'MainReportVersion', level: 'info', msg: 'é ' + 'x'.repeat(70000) } }));
console.error('pid ' + process.pid);
const how = process.argv[1];
if (how.startsWith('SIG')) process.kill(process.pid, how);
else process.exitCode = Number(how);
`;

/** Says which signal reached it, then ends with 10 + the signal's number. */
const REPORTS_SIGNALS = `
const { signals } = require('node:os').constants;
const leave = process.exit;
for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(name, () => { console.error('got ' + name); leave(10 + signals[name]); });
console.error('ready');
setTimeout(() => {}, 20000);
`;

async function waitUntilDead(pid: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (isProcessAlive(pid)) {
    if (Date.now() - started > timeoutMs) throw new Error(`pid ${pid} still alive after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

describe('the orphan guard (a Node program in dbt’s place)', () => {
  it('passes output, exit codes and a killing signal through as the program gave them; reports its pid', async () => {
    for (const how of ['0', '1', '2', 'SIGTERM', 'SIGKILL', 'SIGSEGV']) {
      const [direct, guarded] = await Promise.all([run(false, ENDS_AS_TOLD, [how]), run(true, ENDS_AS_TOLD, [how])]);
      const seen = (result: DbtProcessResult & { events: string[] }) => ({
        exitCode: result.exitCode,
        killedBy: result.killedBy,
        events: result.events,
        other: result.otherOutput.length,
      });
      expect(seen(guarded), how).toEqual(seen(direct));
      expect(guarded.events[0]).toHaveLength(direct.events[0]?.length ?? -1);
      // The guard's pid at once, then the program's own (what it printed), which is gone now.
      expect(guarded.pids).toHaveLength(2);
      expect(guarded.otherOutput).toEqual([`pid ${guarded.pids[1]}`]);
      expect(guarded.pids[0]).not.toBe(guarded.pids[1]);
    }
  });

  it('passes SIGINT, SIGTERM and SIGHUP to the program; a second interrupt kills both', async () => {
    const codes = { SIGHUP: 11, SIGINT: 12, SIGTERM: 25 };
    for (const [signal, code] of Object.entries(codes) as [NodeJS.Signals, number][]) {
      const result = await run(true, REPORTS_SIGNALS, [], {
        // dbt-run's own interrupt for SIGINT; the others sent to the guard as anything else would.
        whenReady: (pids, interrupt) =>
          signal === 'SIGINT' ? interrupt(signal) : process.kill(pids[0] as number, signal),
      });
      expect(result.otherOutput, signal).toEqual(['ready', `got ${signal}`]);
      expect(result.exitCode).toBe(code);
    }
    const stubborn = await run(
      true,
      `process.on('SIGINT', () => {}); console.error('ready'); setTimeout(() => {}, 20000);`,
      [],
      {
        whenReady: (_pids, interrupt) => {
          interrupt('SIGINT');
          setTimeout(() => interrupt('SIGINT'), 300);
        },
      },
    );
    expect(stubborn.killedBy).toBe('SIGKILL');
    expect(stubborn.interruptedBy).toBe('SIGINT');
    for (const pid of stubborn.pids) await waitUntilDead(pid, 1000); // SIGKILL takes a moment to land
  });

  it('gives the program its environment as dbt-run had it, NODE_OPTIONS included (the guard runs without it)', async () => {
    const given = { ...env, NODE_OPTIONS: '--require ./no-such-preload.js', DBT_TARGET: 'dev' };
    const dump = async (guarded: boolean) => {
      const lines: string[] = [];
      const result = await runDbtProcess({
        dbtPath: 'env',
        args: [],
        cwd: process.cwd(),
        env: given,
        guarded,
        onOutput: (line) => lines.push(line),
      });
      expect(result.exitCode, lines.join('\n')).toBe(0);
      return lines.sort();
    };
    expect(await dump(true)).toEqual(await dump(false));
    expect(await dump(true)).toContain('NODE_OPTIONS=--require ./no-such-preload.js');
  });

  it('when its parent dies: SIGINT to the program, SIGKILL after the grace; a parent already gone starts nothing', async () => {
    const dir = await tempDir('guard-orphan-');
    const pidFile = path.join(dir, 'program.pid');
    const heard = path.join(dir, 'heard');
    // Ignores SIGINT (notes it), so only the SIGKILL after the grace ends it.
    const program = `process.on('SIGINT', () => require('node:fs').writeFileSync(${JSON.stringify(heard)}, 'SIGINT')); console.log('ready'); setTimeout(() => {}, 60000);`;
    // A shell is the guard's parent ($$, the pid dbt-run passes as its own); fd 3, where the guard
    // reports the program's pid, goes to a file.
    const parent = execa(
      'sh',
      ['-c', '"$0" -e "$1" -- $$ 1 "$0" -e "$2" 3>"$3" & wait', process.execPath, GUARD_JS, program, pidFile],
      // Nothing piped: waiting for the shell is not waiting for its children to close its pipes.
      { env, reject: false, stdio: 'ignore' },
    );
    const reported = () =>
      readFile(pidFile, 'utf8').then(
        (text) => text.trim(),
        () => '',
      );
    for (let wait = 0; wait < 200 && !(await reported()); wait++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    expect(isProcessAlive(pid)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300)); // its SIGINT handler is in place
    parent.kill('SIGKILL');
    await parent;
    const took = await waitUntilDead(pid, 5000);
    expect(await readFile(heard, 'utf8')).toBe('SIGINT');
    expect(took).toBeGreaterThan(900); // the grace: SIGINT alone did not end it
    expect(took).toBeLessThan(5000);

    // The guard's parent is not the pid it was given (dbt-run died before dbt started): nothing starts.
    const marker = path.join(dir, 'started');
    const late = guardedCommand(
      process.execPath,
      ['-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, '')`],
      env,
      { parentPid: 1, graceSeconds: 1 },
    );
    const result = await execa(late.file, late.args, { env: late.env, reject: false });
    expect(result.exitCode).toBe(1);
    expect(existsSync(marker)).toBe(false);
  });
});
