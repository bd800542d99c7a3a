/** Whether a process of this machine still runs, for files that name their owner by pid. */
import { readFileSync } from 'node:fs';

/**
 * A zombie has exited but was never reaped (its parent died and PID 1 does
 * not reap, as in some containers): signal 0 still finds it. Linux says so
 * in /proc/<pid>/stat (state Z, after the parenthesised name); elsewhere,
 * nothing to read, and it counts as running.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/**
 * True while `pid` runs. Signal 0 checks without sending anything; EPERM
 * means it exists under another user. A pid reused by an unrelated process
 * reads as alive: the owner's file then waits for a later check, which is
 * the safe mistake (nothing is sent twice).
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}
