/** Whether a process of this machine still runs, for files that name their owner by pid. */

/**
 * True while `pid` exists. Signal 0 checks without sending anything; EPERM
 * means it exists under another user. A pid reused by an unrelated process
 * reads as alive: the owner's file then waits for a later check, which is
 * the safe mistake (nothing is sent twice).
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
