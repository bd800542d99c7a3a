/** isProcessAlive: running, gone, and exited-but-unreaped (a zombie reads as gone). */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '../src/process-alive.js';

describe('isProcessAlive', () => {
  it('is true for this process and false for one that exited', async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    const exited = await execa(process.execPath, ['-e', 'console.log(process.pid)']);
    expect(isProcessAlive(Number(exited.stdout))).toBe(false);
    expect(isProcessAlive(0)).toBe(false);
    expect(isProcessAlive(Number.NaN)).toBe(false);
  });

  it('is false for a zombie (exited, never reaped: its parent does not wait)', async () => {
    // A parent that forks a child which exits at once, prints its pid, and never reaps it.
    const parent = execa('python3', [
      '-c',
      'import os, sys, time\npid = os.fork()\nif pid == 0: raise SystemExit\nprint(pid, flush=True)\ntime.sleep(30)',
    ]);
    const pid = await new Promise<number>((resolve) =>
      parent.stdout?.once('data', (chunk) => resolve(Number(String(chunk).trim()))),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    try {
      // Signal 0 still finds it: without the zombie check it would read as running.
      expect(() => process.kill(pid, 0)).not.toThrow();
      expect(isProcessAlive(pid)).toBe(false);
    } finally {
      parent.kill();
      await parent.catch(() => {});
    }
  });
});
