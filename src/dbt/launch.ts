/**
 * How the runner starts dbt for a run. dbt's console logger formats every
 * event before it drops those below the console's level: with
 * `--log-format json` that is every debug event (each SQL statement, each
 * connection) turned into JSON and thrown away, about 3 ms of dbt's time per
 * model (3.4 s on a 1,000-view DuckDB build; bench/results/runner.json).
 *
 * So, when the dbt executable is a Python console script (what pip installs),
 * the runner starts that Python with a few lines that skip formatting what
 * the console would drop, then hands over to dbt's own command line
 * (`dbt.cli.main.cli`, what the script itself runs). Arguments, exit codes,
 * signals, console output and logs/dbt.log are dbt's, unchanged. Anything
 * else (a wrapper script, a binary, an older dbt whose logger differs) runs
 * as it is; DBT_PRODUCT_KIT_DIRECT_DBT=1 forces that too.
 *
 * Either way dbt stops when dbt-run dies (kill -9, the OOM killer, a
 * cancelled CI job): the same Python lines watch for it, and a dbt run as it
 * is starts under the orphan guard (guard.ts), a small Node process that
 * passes signals, output and dbt's exit through and does the same. The run
 * is then recovered from what dbt left (recover.ts).
 */
import { constants } from 'node:fs';
import { access, open } from 'node:fs/promises';
import path from 'node:path';

/** Seconds an orphaned dbt gets to cancel and write its results before it is killed. */
export const ORPHAN_GRACE_SECONDS = 30;

/** Seconds dbt's console lines are gathered before they are written to dbt-run's pipe. */
export const GATHER_SECONDS = 0.2;

/** Python run with `-c`: dbt stops when dbt-run dies, the logger change (or nothing, when dbt-common differs), then dbt's CLI. */
export const QUIET_CONSOLE_PYTHON = `
import sys
# python -c puts the working directory (the dbt project) first on the import path, where a
# project file such as json.py would shadow a module dbt imports; the dbt script does not.
if sys.path and sys.path[0] == "":
    del sys.path[0]
import os, signal, threading, time
# dbt runs in its own process group (so a terminal's Ctrl-C reaches only dbt-run); if dbt-run
# dies (kill -9, OOM, a cancelled CI job), nothing would stop dbt. When the parent changes
# (reparented), stop as Ctrl-C does (dbt cancels its queries, writes what finished), then for good.
_runner = os.getppid()
def _stop_without_runner():
    while os.getppid() == _runner:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(${ORPHAN_GRACE_SECONDS})
    os.kill(os.getpid(), signal.SIGKILL)
threading.Thread(target=_stop_without_runner, name="dbt-run-watch", daemon=True).start()
try:
    from dbt_common.events import logger as _events
    _write_line = _events._Logger.write_line
    _levels = {"debug": 10, "test": 10, "info": 20, "warn": 30, "error": 40}

    def _write_line_if_shown(self, msg):
        log = self._python_logger
        if (
            log is not None
            and not _events._is_print_event(msg)
            and not log.isEnabledFor(_levels.get(msg.info.level, 40))
        ):
            return
        _write_line(self, msg)

    _events._Logger.write_line = _write_line_if_shown
except Exception:
    pass
# dbt flushes its console log after every line: into dbt-run's pipe that is a wake-up of both
# processes per line, two per node (~0.25 ms of dbt-run's CPU each on a small VM, most of what it
# spent while dbt ran). Lines are gathered and written every ${GATHER_SECONDS} s instead, and
# at exit; a dbt killed outright (SIGKILL) loses at most that much of its log.
class _GatheredStdout:
    # Its own list, not the stream's buffer: PYTHONUNBUFFERED (set on many machines) makes that write through.
    def __init__(self, stream):
        self._stream = stream
        self._parts = []
        self._lock = threading.Lock()
    def write(self, text):
        with self._lock:
            self._parts.append(text)
        return len(text)
    def flush(self):
        pass
    def flush_now(self):
        with self._lock:
            if self._parts:
                text = "".join(self._parts)
                self._parts = []
                try:
                    self._stream.write(text)
                    self._stream.flush()
                except (OSError, ValueError):
                    pass  # the reader is gone (dbt-run died): nothing more can be shown
    def __getattr__(self, name):
        return getattr(self._stream, name)
import atexit
_gathered = _GatheredStdout(sys.stdout)
sys.stdout = _gathered
def _write_gathered():
    while True:
        time.sleep(${GATHER_SECONDS})
        _gathered.flush_now()
threading.Thread(target=_write_gathered, name="dbt-run-gather", daemon=True).start()
atexit.register(_gathered.flush_now)
from dbt.cli.main import cli
sys.argv[0] = "dbt"
# As the dbt script ends: leave with the exit status of dbt's command line.
leave = sys.exit
leave(cli())
`.trim();

export interface DbtLaunch {
  /** The executable to start. */
  file: string;
  /** Arguments before dbt's own. */
  prefix: string[];
  /** True when dbt runs through QUIET_CONSOLE_PYTHON. */
  quietConsole: boolean;
  /** True when dbt starts under the orphan guard (guard.ts): nothing else stops it when dbt-run dies. */
  guarded: boolean;
}

/** The interpreter of a `#!/abs/path/python3.x` first line, if that is what it is (pure). */
export function pythonOfShebang(firstLine: string): string | undefined {
  const match = /^#!\s*(\/\S+)\s*$/.exec(firstLine.trimEnd());
  const interpreter = match?.[1];
  return interpreter && /^python(\d+(\.\d+)?)?$/.test(path.basename(interpreter)) ? interpreter : undefined;
}

async function firstLine(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(512);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0] ?? '';
  } finally {
    await handle.close();
  }
}

export async function planDbtLaunch(dbtPath: string, env: NodeJS.ProcessEnv): Promise<DbtLaunch> {
  const direct: DbtLaunch = { file: dbtPath, prefix: [], quietConsole: false, guarded: true };
  if (env.DBT_PRODUCT_KIT_DIRECT_DBT === '1') return direct;
  try {
    const python = pythonOfShebang(await firstLine(dbtPath));
    if (!python) return direct;
    await access(python, constants.X_OK);
    return { file: python, prefix: ['-c', QUIET_CONSOLE_PYTHON], quietConsole: true, guarded: false };
  } catch {
    return direct;
  }
}
