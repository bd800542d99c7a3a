/**
 * `dbt-run deps [options] [-- dbt args]`: dbt deps with the dbt a run uses.
 * The kit's pinned dbt lives in a venv that is not on PATH, so `dbt deps`
 * (what a missing package-lock.yml asks for) would find another dbt, or
 * none; this passes through to the same dbt, project and profiles as a run.
 * Nothing is recorded: deps builds no node.
 */
import path from 'node:path';
import { execa } from 'execa';
import { dbtCommandLine } from '../../dbt/command.js';
import { locateDbt } from '../../dbt/locate.js';
import type { ProjectFlags } from '../options.js';
import { dbtPathOption, projectOptions } from './flags.js';
import type { CommandSpec } from './spec.js';

interface DepsFlags extends ProjectFlags {
  dbtPath?: string;
}

export const DEPS: CommandSpec<DepsFlags> = {
  name: 'deps',
  summary: "dbt deps with the run's dbt: install packages.yml's packages, write package-lock.yml",
  define: (command) => {
    command.argument('[dbt-args...]', 'extra dbt deps arguments, after --');
    dbtPathOption(projectOptions(command));
    command.addHelpText(
      'after',
      "\nExit codes: 0 installed; 2 dbt not found, or dbt deps failed (dbt's output says why).",
    );
  },
  run: async ({ flags, io, afterDoubleDash }) => {
    const projectDir = path.resolve(io.cwd, flags.projectDir ?? '.');
    const dbt = await locateDbt({ dbtPath: flags.dbtPath, projectDir, env: io.env });
    const args = [
      ...dbtCommandLine({
        command: 'deps',
        projectDir,
        profilesDir: flags.profilesDir ? path.resolve(io.cwd, flags.profilesDir) : undefined,
        target: flags.target,
      }),
      ...afterDoubleDash,
    ];
    const child = execa(dbt.path, args, { cwd: projectDir, env: io.env, reject: false, stdin: 'ignore' });
    child.stdout?.on('data', (chunk: Buffer) => io.stdout.write(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => io.stderr.write(chunk.toString()));
    const result = await child;
    // dbt's 1 and 2 are both "deps did not happen": the runner's 2 (dbt or runner error).
    return result.exitCode === 0 ? 0 : 2;
  },
};
