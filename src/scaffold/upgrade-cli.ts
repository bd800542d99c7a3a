/** The `create-dbt-product upgrade` command: runs the upgrade in the current directory and reports it. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Orchestrator } from '../product/manifest.js';
import { kitFacts, kitTemplates } from './create.js';
import type { CliIo } from './io.js';
import { type FileUpgrade, upgradeProduct } from './upgrade.js';

/** A unified diff of one file's change (git diff --no-index), for --dry-run. */
async function diffOf(file: string, before: string, after: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'create-dbt-product-diff-'));
  try {
    await writeFile(path.join(dir, 'before'), before);
    await writeFile(path.join(dir, 'after'), after);
    const result = await execa('git', ['diff', '--no-index', '--no-color', '--', 'before', 'after'], {
      cwd: dir,
      reject: false,
    });
    return result.stdout.replaceAll('a/before', `a/${file}`).replaceAll('b/after', `b/${file}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const VERBS: Record<FileUpgrade['action'], string> = {
  unchanged: 'unchanged',
  added: 'added',
  updated: 'updated',
  merged: 'merged with your edits',
  conflict: 'CONFLICT',
  'kept-deleted': 'kept deleted (you removed it)',
};

export async function runUpgrade(io: CliIo, options: { dryRun: boolean }): Promise<number> {
  const kit = await kitFacts();
  const result = await upgradeProduct({
    projectDir: io.cwd,
    templates: (orchestrator) => kitTemplates(orchestrator as Orchestrator),
    kit,
    dryRun: options.dryRun,
  });
  const changed = result.files.filter((file) => file.action !== 'unchanged');
  for (const file of changed) {
    const conflicts = file.conflicts ? ` (${file.conflicts} conflict${file.conflicts === 1 ? '' : 's'})` : '';
    io.stdout.write(`${VERBS[file.action]}: ${file.path}${conflicts}\n`);
    if (options.dryRun && file.content !== undefined) {
      const before = await readFile(path.join(io.cwd, file.path), 'utf8').catch(() => '');
      io.stdout.write(`${await diffOf(file.path, before, file.content)}\n`);
    }
  }
  const conflicts = changed.filter((file) => file.action === 'conflict');
  const from = result.fromVersion ?? 'an unrecorded version';
  io.stdout.write(
    `${options.dryRun ? 'would upgrade' : 'upgraded'} from kit ${from} to ${result.toVersion}: ${changed.length} file${changed.length === 1 ? '' : 's'} changed, ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}${options.dryRun ? ' (dry run: nothing written)' : ''}\n`,
  );
  if (conflicts.length === 0) return 0;
  const files = conflicts.map((file) => file.path).join(', ');
  io.stderr.write(
    options.dryRun
      ? `error: upgrading would conflict in ${files}: your edits and the kit's change touch the same lines\n`
      : `error: conflicts in ${files}: resolve the <<<<<<< markers, then commit\n`,
  );
  return 1;
}
