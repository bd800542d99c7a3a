/**
 * A lock per venv, held while one caller builds it so that every other caller (in this process or
 * another) waits and then reuses what was built, instead of building it a second time.
 *
 * Why this shape:
 * - The lock is keyed on the venv's own path, never on the shared `venvs/` folder. proper-lockfile
 *   keeps its in-process record per locked path: when several venvs were locked through one folder
 *   path, the first release deleted the record the others needed (`ERELEASED`, then
 *   `ENOTACQUIRED`), which broke every first `npm test`.
 * - The lock is a directory (mkdir is atomic on every local file system) whose mtime the holder
 *   refreshes every UPDATE_MS. A holder that died (SIGKILL, OOM, a cancelled CI job) stops
 *   refreshing, and the next caller takes the lock over once it is STALE_MS old: a dead process
 *   never blocks the next run for more than that.
 * - A live holder may build for many minutes (Airflow's venv), so waiters wait as long as the
 *   lock stays fresh, with no retry budget to run out.
 */
import lockfile from 'proper-lockfile';
import { ToolchainError } from '../errors.js';

const STALE_MS = 10_000;
const UPDATE_MS = 2_000;
const POLL_MS = 500;

export interface HeldLock {
  /** Releases the lock; a lock lost meanwhile (see `compromised`) is left to whoever holds it now. */
  release(): Promise<void>;
  /** Set when the lock was lost while held (its refresh failed or another process took it over). */
  readonly compromised: Error | undefined;
}

/** Where the lock of the venv at `dir` lives. */
function lockPath(dir: string): string {
  return `${dir}.lock`;
}

/** Waits for and takes the lock of the venv at `dir` (which need not exist yet). */
export async function lockVenv(dir: string, onWait: () => void = () => {}): Promise<HeldLock> {
  let compromised: Error | undefined;
  let waited = false;
  for (;;) {
    try {
      const release = await lockfile.lock(dir, {
        realpath: false,
        lockfilePath: lockPath(dir),
        stale: STALE_MS,
        update: UPDATE_MS,
        retries: 0,
        // The default throws from a timer, which would crash the process: record it instead, so
        // the builder refuses to publish a venv it built without holding the lock.
        onCompromised: (error) => {
          compromised = error;
        },
      });
      return {
        get compromised() {
          return compromised;
        },
        async release() {
          // A compromised lock is no longer ours: releasing it would remove another holder's lock.
          if (compromised) return;
          await release();
        },
      };
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'ELOCKED') {
        throw new ToolchainError(`cannot lock ${lockPath(dir)}: ${(cause as Error).message}`, { cause });
      }
      if (!waited) onWait();
      waited = true;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
