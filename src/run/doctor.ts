/**
 * `dbt-run setup` builds (or reuses) the kit's pinned dbt venv.
 * `dbt-run doctor` checks, in order, what a run needs and prints what to fix:
 * dbt and its version, the project, the profile and target, dbt debug's
 * connection test, the audit sink, and AWS settings for Redshift targets.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { postgresConnectionOf, sinkForTarget } from '../audit/sinks/index.js';
import { auditTablesFor } from '../audit/tables.js';
import { dbtCommandLine } from '../dbt/command.js';
import { locateDbt } from '../dbt/locate.js';
import { type ResolvedTarget, readProjectFile, resolveTarget } from '../dbt/profiles.js';
import { KitError } from '../errors.js';
import { ensureVenv } from '../toolchain/venv.js';
import type { RunnerIo } from './io.js';
import { auditRedshiftFlags, type DoctorFlags } from './options.js';

export async function runSetup(io: Pick<RunnerIo, 'stdout' | 'env'>): Promise<number> {
  const venv = await ensureVenv({ env: io.env, onProgress: (line) => io.stdout.write(`${line}\n`) });
  io.stdout.write(`dbt ${venv.built ? 'installed' : 'already installed'}: ${venv.bin('dbt')}\n`);
  return 0;
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when it failed. */
  fix?: string;
}

/** A `select 1` through the sink dbt-run would write a Redshift target's audit with (the Data API). */
async function redshiftSinkCheck(
  target: ResolvedTarget,
  projectDir: string,
  flags: DoctorFlags,
  env: NodeJS.ProcessEnv,
): Promise<Check> {
  const { redshiftOverrides } = await import('../redshift/target.js');
  const { readProductManifest } = await import('../product/read.js');
  try {
    const sink = await sinkForTarget({
      target,
      tables: auditTablesFor({ projectName: '', targetSchema: target.fields.schema }),
      projectDir,
      env,
      redshift: redshiftOverrides(await readProductManifest(projectDir), auditRedshiftFlags(flags)),
      dataApiOptions: { deadlineMs: 60_000 },
    });
    if (!sink?.check) throw new KitError(`no Data API sink for ${target.type}`);
    await sink.check();
    return { name: 'audit sink', ok: true, detail: `Redshift Data API, ${sink.location}` };
  } catch (error) {
    return {
      name: 'audit sink',
      ok: false,
      detail: (error as Error).message,
      fix: 'the rows of each run stay spooled under target/ until dbt-run audit flush can send them',
    };
  }
}

async function auditSinkCheck(
  target: ResolvedTarget,
  projectDir: string,
  flags: DoctorFlags,
  env: NodeJS.ProcessEnv,
): Promise<Check> {
  if (target.type === 'redshift') return redshiftSinkCheck(target, projectDir, flags, env);
  if (target.type === 'duckdb') {
    const file = path.resolve(projectDir, String(target.fields.path ?? ''));
    const dir = path.dirname(file);
    return existsSync(dir)
      ? { name: 'audit sink', ok: true, detail: `DuckDB ${file}` }
      : {
          name: 'audit sink',
          ok: false,
          detail: `folder ${dir} does not exist`,
          fix: `mkdir -p ${dir} (dbt-run creates it on run)`,
        };
  }
  if (target.type === 'postgres') {
    const client = new pg.Client({ ...postgresConnectionOf(target), connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query('select 1');
      return { name: 'audit sink', ok: true, detail: `Postgres ${target.fields.host}:${target.fields.port}` };
    } catch (error) {
      return {
        name: 'audit sink',
        ok: false,
        detail: (error as Error).message,
        fix: 'check DBT_POSTGRES_* settings and that the server runs',
      };
    } finally {
      await client.end().catch(() => {});
    }
  }
  return {
    name: 'audit sink',
    ok: true,
    detail: `no dbt-run sink for ${target.type} yet: the in-dbt on-run-end hook records runs`,
  };
}

function awsCheck(env: NodeJS.ProcessEnv): Check {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const credentials =
    env.AWS_ACCESS_KEY_ID ||
    env.AWS_PROFILE ||
    env.AWS_WEB_IDENTITY_TOKEN_FILE ||
    env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
    existsSync(path.join(os.homedir(), '.aws', 'credentials')) ||
    existsSync(path.join(os.homedir(), '.aws', 'config'));
  if (!region) return { name: 'AWS', ok: false, detail: 'no region', fix: 'set AWS_REGION (e.g. eu-west-1)' };
  if (!credentials) {
    return {
      name: 'AWS',
      ok: false,
      detail: `region ${region}, no credentials found`,
      fix: 'set AWS_PROFILE, or assume a role (OIDC in GitHub Actions)',
    };
  }
  return { name: 'AWS', ok: true, detail: `region ${region}, credentials present` };
}

export async function runDoctor(flags: DoctorFlags, io: RunnerIo): Promise<number> {
  const projectDir = path.resolve(io.cwd, flags.projectDir ?? '.');
  const checks: Check[] = [];
  const report = (check: Check) => {
    checks.push(check);
    io.stdout.write(
      `${check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}\n${!check.ok && check.fix ? `  fix: ${check.fix}\n` : ''}`,
    );
  };

  let dbtPath: string | undefined;
  try {
    const dbt = await locateDbt({ dbtPath: flags.dbtPath, projectDir, env: io.env });
    dbtPath = dbt.path;
    report({
      name: 'dbt',
      ok: true,
      detail: `${dbt.path} (${dbt.source}${dbt.version ? `, dbt-core ${dbt.version}` : ''})`,
    });
  } catch (error) {
    report({ name: 'dbt', ok: false, detail: (error as Error).message, fix: 'run dbt-run setup' });
  }
  let target: ResolvedTarget | undefined;
  try {
    const project = await readProjectFile(projectDir);
    report({ name: 'project', ok: true, detail: `${project.name} in ${projectDir}` });
    target = await resolveTarget({ projectDir, profilesDir: flags.profilesDir, target: flags.target, env: io.env });
    report({
      name: 'profile',
      ok: true,
      detail: `profile ${target.profileName}, target ${target.targetName} (${target.type}) from ${target.profilesFile}`,
    });
  } catch (error) {
    report({ name: 'project and profile', ok: false, detail: (error as Error).message });
  }
  if (dbtPath && target) {
    const args = dbtCommandLine({
      command: 'debug',
      projectDir,
      profilesDir: flags.profilesDir ? path.resolve(io.cwd, flags.profilesDir) : undefined,
      target: target.targetName,
    });
    const debug = await execa(dbtPath, args, { cwd: projectDir, env: io.env, reject: false, all: true });
    const failure = (debug.all ?? '')
      .split('\n')
      .find((line) => /ERROR|Error/.test(line))
      ?.trim();
    report(
      debug.exitCode === 0
        ? { name: 'connection', ok: true, detail: 'dbt debug: all checks passed' }
        : {
            name: 'connection',
            ok: false,
            detail: failure ?? `dbt debug exited ${debug.exitCode}`,
            fix: `run ${dbtPath} ${args.join(' ')}`,
          },
    );
    report(await auditSinkCheck(target, projectDir, flags, io.env));
    if (target.type === 'redshift') report(awsCheck(io.env));
  }
  const failed = checks.filter((check) => !check.ok).length;
  io.stdout.write(failed ? `${failed} problem${failed > 1 ? 's' : ''} found\n` : 'all checks passed\n');
  return failed ? 1 : 0;
}
