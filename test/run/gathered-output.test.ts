/**
 * A run's lines into a pipe go out gathered: one write for what was written
 * within the interval, in order, and nothing is left behind by flush.
 */
import { describe, expect, it, vi } from 'vitest';
import { gatheredOutput } from '../../src/closed-pipe.js';

describe('gatheredOutput', () => {
  it('writes what came within the interval at once, in order, and flush writes what waits', () => {
    vi.useFakeTimers();
    try {
      const writes: string[] = [];
      const output = gatheredOutput({ write: (text: string) => writes.push(text) }, 100);
      output.write('a\n');
      output.write('b\n');
      expect(writes).toEqual([]);
      vi.advanceTimersByTime(100);
      expect(writes).toEqual(['a\nb\n']);
      output.write('c\n');
      output.flush();
      expect(writes).toEqual(['a\nb\n', 'c\n']);
      // Nothing waits: a flush or a timer writes nothing more.
      output.flush();
      vi.advanceTimersByTime(500);
      expect(writes).toEqual(['a\nb\n', 'c\n']);
    } finally {
      vi.useRealTimers();
    }
  });
});
