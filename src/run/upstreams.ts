/** `dbt-run upstreams bump [NAME] [--to REV]`: the thin shell around src/upstream/bump.ts. */
import path from 'node:path';
import { dbtEnvironment } from '../dbt/command.js';
import { locateDbt } from '../dbt/locate.js';
import { readProjectFile } from '../dbt/profiles.js';
import { UsageError } from '../errors.js';
import { readProductManifest } from '../product/read.js';
import { bumpReport, bumpUpstreams } from '../upstream/bump.js';
import type { RunnerIo } from './io.js';
import type { UpstreamsBumpFlags } from './options.js';

/** `name`: the parent to move (all of them when absent). */
export async function runUpstreamsBump(
  name: string | undefined,
  flags: UpstreamsBumpFlags,
  io: RunnerIo,
): Promise<number> {
  const projectDir = path.resolve(io.cwd, flags.projectDir ?? '.');
  const project = await readProjectFile(projectDir, io.env);
  const product = await readProductManifest(projectDir);
  if (!product) throw new UsageError(`no dbt-product.yml in ${projectDir}: upstreams are recorded there`);
  const dbt = await locateDbt({ dbtPath: flags.dbtPath, projectDir, env: io.env });
  const profilesDir = flags.profilesDir ? path.resolve(io.cwd, flags.profilesDir) : undefined;
  const bumps = await bumpUpstreams({
    projectDir,
    projectName: project.name,
    product,
    name,
    to: flags.to,
    dbtPath: dbt.path,
    dbtArgs: { profilesDir, target: flags.target },
    env: dbtEnvironment(io.env, { auditHookOff: false }),
    targetDir: path.resolve(projectDir, project.targetPath),
  });
  for (const line of bumpReport(bumps)) io.stdout.write(`${line}\n`);
  return 0;
}
