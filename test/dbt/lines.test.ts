/**
 * Reading a child's output line by line: however the output is cut into
 * chunks (a pipe delivers what is there), the lines are the text's lines,
 * a `\r\n` ends one line, and a character cut between chunks stays whole.
 */
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter, readLines } from '../../src/dbt/lines.js';

/** The lines of a whole text, as readline gives them with crlfDelay Infinity (pure). */
const linesOf = (text: string) => {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
};

/** `text` cut at the given positions (pure). */
const cut = (text: string, at: number[]) => {
  const points = [...new Set(at.map((point) => point % (text.length + 1)))].sort((a, b) => a - b);
  return [0, ...points].map((start, index) => text.slice(start, points[index] ?? text.length));
};

describe('LineSplitter', () => {
  it('gives the lines of the whole text, however it is cut (2,000 cases)', () => {
    const piece = fc.oneof(fc.string(), fc.constantFrom('\n', '\r\n', '\r', '{"a": 1}'));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 10 }), (pieces, at) => {
        const text = pieces.join('');
        const splitter = new LineSplitter();
        const lines = [...cut(text, at).flatMap((chunk) => splitter.push(chunk)), ...splitter.end()];
        expect(lines).toEqual(linesOf(text));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('readLines', () => {
  it('hands over each chunk’s lines at once, joins a character cut between chunks, and ends with the last line', async () => {
    const stream = new PassThrough();
    const calls: string[][] = [];
    const done = readLines(stream, (lines) => calls.push(lines));
    const text = Buffer.from('one\ntwo\r\nthré');
    stream.write(text.subarray(0, 11));
    await new Promise((resolve) => setImmediate(resolve));
    // "thr" then the first byte of "é": nothing complete yet after "two".
    stream.write(text.subarray(11, text.length - 1));
    stream.end(text.subarray(text.length - 1));
    await done;
    expect(calls).toEqual([['one', 'two'], ['thré']]);
  });

  it('fails with the error of the stream, or of the handler', async () => {
    const broken = new PassThrough();
    const reading = readLines(broken, () => {});
    broken.destroy(new Error('read failed'));
    await expect(reading).rejects.toThrow('read failed');
    const stream = new PassThrough();
    const handled = readLines(stream, () => {
      throw new Error('handler failed');
    });
    stream.end('a line\n');
    await expect(handled).rejects.toThrow('handler failed');
  });
});
