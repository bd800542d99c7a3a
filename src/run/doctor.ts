/**
 * `dbt-run setup` builds (or reuses) the kit's pinned dbt venv.
 * `dbt-run doctor` checks, in order, what a run needs and prints what to fix:
 * dbt and its version, the project, the profile and target (every missing
 * environment variable at once), dbt-product.yml and the target's SNS topics
 * (a placeholder ARN sends nothing), dbt debug's connection test (with dbt's
 * reason), the audit sink, and AWS settings for Redshift targets.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import pg from 'pg';
import { postgresConnectionOf, sinkForTarget } from '../audit/sinks/index.js';
import { auditTablesFor } from '../audit/tables.js';
import { dbtCommandLine } from '../dbt/command.js';
import { parseEventLine } from '../dbt/events.js';
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
  /** Lines that say more (dbt's reason), printed under the check. */
  more?: string[];
  /** What to do when it failed. */
  fix?: string;
}

/**
 * Why `dbt debug` failed, from its JSON log (pure): the lines of its result
 * after "N check(s) failed", without dbt's colours; the headline is the
 * database's own error where dbt quotes one (the line after `>Database
 * Error`), else the first line. Text lines are read too, for a dbt that
 * printed no JSON (it crashed first).
 */
export function debugFailure(output: string): { headline: string; lines: string[] } | undefined {
  const results: string[] = [];
  const text: string[] = [];
  for (const line of output.split('\n')) {
    const event = parseEventLine(line);
    if (event?.name === 'DebugCmdResult' || (event && event.level === 'error')) results.push(event.msg);
    else if (!event) text.push(stripVTControlCharacters(line));
  }
  const failedAt = results.findIndex((message) => /\d+ checks? failed/.test(message));
  const reason = (failedAt >= 0 ? results.slice(failedAt + 1) : results.length ? results : text)
    .flatMap((message) => stripVTControlCharacters(message).split('\n'))
    .map((line) => line.trim())
    .filter(Boolean);
  if (reason.length === 0) return undefined;
  const quoted = reason.findIndex((line) => line.startsWith('>'));
  const headline = (quoted >= 0 ? reason[quoted + 1] : undefined) ?? reason[0] ?? '';
  return { headline, lines: reason };
}

/** The most of dbt's reason a check prints under itself. */
const REASON_LINES = 12;

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

/**
 * dbt-product.yml, and the SNS topics a run on this target would publish to:
 * a topic ARN the scaffold left as a placeholder (REGION, ACCOUNT_ID) sends
 * nothing, and the run says so only as a warning.
 */
async function topicsCheck(projectDir: string, targetName: string, env: NodeJS.ProcessEnv): Promise<Check> {
  const [{ readProductManifest }, { topicsFor }] = await Promise.all([
    import('../product/read.js'),
    import('../alerts/notify.js'),
  ]);
  let manifest: Awaited<ReturnType<typeof readProductManifest>>;
  try {
    manifest = await readProductManifest(projectDir);
  } catch (error) {
    return {
      name: 'dbt-product.yml',
      ok: false,
      detail: (error as Error).message,
      fix: 'a run exits 2 until it is valid',
    };
  }
  if (!manifest) return { name: 'dbt-product.yml', ok: true, detail: 'none: no SNS topics' };
  const topics = topicsFor(manifest, targetName, {}, env);
  if (topics.skipped.length > 0) {
    return {
      name: 'SNS topics',
      ok: false,
      detail: `environment ${topics.environment} (target ${targetName}) has placeholder topic ARNs: nothing would be sent`,
      more: topics.skipped,
      fix: `put the topics' ARNs (the stack's outputs) in dbt-product.yml's environments.${topics.environment}, or set DBT_PRODUCT_ALERT_TOPIC_ARN and DBT_PRODUCT_EVENT_TOPIC_ARN`,
    };
  }
  const sent = [
    topics.alerts ? `alerts to ${topics.alerts.arn}` : '',
    topics.events ? `events to ${topics.events.arn}` : '',
  ].filter(Boolean);
  return {
    name: 'SNS topics',
    ok: true,
    detail: `environment ${topics.environment}: ${sent.length ? sent.join(', ') : 'no topics (nothing is published)'}`,
  };
}

export async function runDoctor(flags: DoctorFlags, io: RunnerIo): Promise<number> {
  const projectDir = path.resolve(io.cwd, flags.projectDir ?? '.');
  const checks: Check[] = [];
  const report = (check: Check) => {
    checks.push(check);
    const more = (check.more ?? []).map((line) => `  ${line}\n`).join('');
    io.stdout.write(
      `${check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}\n${more}${!check.ok && check.fix ? `  fix: ${check.fix}\n` : ''}`,
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
  if (target) report(await topicsCheck(projectDir, target.targetName, io.env));
  if (dbtPath && target) {
    const args = dbtCommandLine({
      command: 'debug',
      projectDir,
      profilesDir: flags.profilesDir ? path.resolve(io.cwd, flags.profilesDir) : undefined,
      target: target.targetName,
    });
    const debug = await execa(dbtPath, [...args, '--log-format', 'json'], {
      cwd: projectDir,
      env: io.env,
      reject: false,
      all: true,
    });
    const failure = debug.exitCode === 0 ? undefined : debugFailure(debug.all ?? '');
    report(
      debug.exitCode === 0
        ? { name: 'connection', ok: true, detail: 'dbt debug: all checks passed' }
        : {
            name: 'connection',
            ok: false,
            detail: `dbt debug failed: ${failure?.headline ?? `exit ${debug.exitCode}`}`,
            more: (failure?.lines ?? []).slice(0, REASON_LINES).map((line) => `dbt: ${line}`),
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
