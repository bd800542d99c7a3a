/**
 * The git adapter's text tools with the real git: a unified diff of two
 * texts labelled with the file's name, and the three-way merge whose exit
 * code (the conflict count) is an answer, not an error.
 */
import { describe, expect, it } from 'vitest';
import { diffTexts, GitError, mergeTexts, relabelDiff } from '../../src/git/index.js';

const labels = { ours: 'yours', base: 'as generated', theirs: 'kit' };

describe('diffTexts', () => {
  it("names the file in the header and leaves the changed lines' text alone", async () => {
    const diff = await diffTexts('see a/before\nold\n', 'see a/before\nnew\n', 'models/x.sql');
    const lines = diff.split('\n');
    expect(lines).toContain('--- a/models/x.sql');
    expect(lines).toContain('+++ b/models/x.sql');
    expect(lines[0]).toBe('diff --git a/models/x.sql b/models/x.sql');
    expect(lines).toContain(' see a/before');
    expect(lines).toContain('-old');
    expect(lines).toContain('+new');
  });

  it('is empty for equal texts', async () => {
    expect(await diffTexts('same\n', 'same\n', 'a.sql')).toBe('');
  });

  it('relabels the header only (pure)', () => {
    expect(relabelDiff('--- a/before\n+++ b/after\n@@ -1 +1 @@\n-a/before\n+b/after\n', 'f.yml')).toBe(
      '--- a/f.yml\n+++ b/f.yml\n@@ -1 +1 @@\n-a/before\n+b/after\n',
    );
  });
});

describe('mergeTexts', () => {
  const base = 'one\ntwo\nthree\nfour\nfive\n';

  it('merges changes to different lines cleanly, the last newline kept', async () => {
    const merged = await mergeTexts(
      { ours: 'ONE\ntwo\nthree\nfour\nfive\n', base, theirs: 'one\ntwo\nthree\nfour\nFIVE\n' },
      labels,
    );
    expect(merged).toEqual({ text: 'ONE\ntwo\nthree\nfour\nFIVE\n', conflicts: 0 });
  });

  it('counts the conflicts and writes markers named by the labels', async () => {
    const one = await mergeTexts(
      { ours: 'one\nmine\nthree\nfour\nfive\n', base, theirs: 'one\nkits\nthree\nfour\nfive\n' },
      labels,
    );
    expect(one.conflicts).toBe(1);
    expect(one.text).toBe('one\n<<<<<<< yours\nmine\n=======\nkits\n>>>>>>> kit\nthree\nfour\nfive\n');
    const two = await mergeTexts(
      {
        ours: 'mine\ntwo\nthree\nfour\nfive\nsix\nseven\nmine\n',
        base: `${base}six\nseven\neight\n`,
        theirs: 'kits\ntwo\nthree\nfour\nfive\nsix\nseven\nkits\n',
      },
      labels,
    );
    expect(two.conflicts).toBe(2);
  });

  it('binary input git cannot merge is a GitError carrying its exit code', async () => {
    const error = await mergeTexts({ ours: 'a\0b\n', base: 'a\n', theirs: 'c\n' }, labels).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).gitExitCode).toBe(255);
    expect((error as GitError).args[0]).toBe('merge-file');
    expect((error as GitError).message).toMatch(/^git merge-file failed \(exit 255\) in /);
  });
});
