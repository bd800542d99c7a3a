/** The `create-dbt-product upgrade` command: runs the upgrade in the current directory and reports it. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { diffTexts } from '../git/index.js';
import type { Orchestrator } from '../product/manifest.js';
import { kitFacts, kitTemplates } from './create.js';
import type { CliIo } from './io.js';
import { type FileUpgrade, upgradeProduct } from './upgrade.js';

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
      io.stdout.write(`${await diffTexts(before, file.content, file.path)}\n`);
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
