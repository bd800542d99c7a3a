/**
 * git's text tools on strings rather than files: a unified diff of two
 * texts (git diff --no-index) and a three-way merge (git merge-file). The
 * texts go through a temp folder that is always removed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runGit } from './run.js';

async function inTempFolder<T>(texts: Record<string, string>, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dbt-product-kit-git-'));
  try {
    await Promise.all(Object.entries(texts).map(([name, text]) => writeFile(path.join(dir, name), text)));
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A diff's header lines name the temp files: name `file` instead (pure; the changed lines are left alone). */
export function relabelDiff(diff: string, file: string): string {
  const lines = diff.split('\n');
  const hunk = lines.findIndex((line) => line.startsWith('@@'));
  const header = hunk < 0 ? lines.length : hunk;
  for (let index = 0; index < header; index++) {
    lines[index] = (lines[index] as string).replaceAll('a/before', `a/${file}`).replaceAll('b/after', `b/${file}`);
  }
  return lines.join('\n');
}

/** The unified diff from `before` to `after`, its header naming `file`; empty when they are equal. */
export async function diffTexts(before: string, after: string, file: string): Promise<string> {
  return inTempFolder({ before, after }, async (dir) => {
    // Exit 1 is git diff's "they differ", not a failure.
    const { stdout } = await runGit(
      dir,
      ['diff', '--no-index', '--no-color', '--no-ext-diff', '--', 'before', 'after'],
      { accept: (exitCode) => exitCode <= 1 },
    );
    return relabelDiff(stdout, file);
  });
}

export interface MergedText {
  /** The merged text, its last newline included; with conflict markers when `conflicts` > 0. */
  text: string;
  conflicts: number;
}

/**
 * Three-way merge of `ours` and `theirs` from their common `base` (git
 * merge-file). Conflicting hunks get markers named by `labels`. git exits
 * with the number of conflicts (up to 127), which is an answer here, not an
 * error; it exits with 255 when it cannot merge (binary input), which is.
 */
export async function mergeTexts(
  texts: { ours: string; base: string; theirs: string },
  labels: { ours: string; base: string; theirs: string },
): Promise<MergedText> {
  return inTempFolder({ ours: texts.ours, base: texts.base, theirs: texts.theirs }, async (dir) => {
    const args = ['merge-file', '-p', '-q', '-L', labels.ours, '-L', labels.base, '-L', labels.theirs];
    const { stdout, exitCode } = await runGit(dir, [...args, 'ours', 'base', 'theirs'], {
      accept: (code) => code >= 0 && code <= 127,
    });
    return { text: stdout, conflicts: exitCode };
  });
}
