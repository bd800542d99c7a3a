/** dbt-run's command line, normalised once into RunOptions (validation with one-line errors). */
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DBT_COMMANDS, type RunnerDbtCommand } from '../dbt/command.js';
import { UsageError } from '../errors.js';
import type { DataApiOverrides } from '../redshift/target.js';
import type { RunOptions } from './types.js';

/** dbt-run's top-level commands (src/run/cli.ts builds them). */
export const RUNNER_COMMANDS = [...DBT_COMMANDS, 'source', 'deps', 'setup', 'doctor', 'audit', 'upstreams'] as const;
export type RunnerCommand = (typeof RUNNER_COMMANDS)[number];

/** --project-dir, --profiles-dir and (for the commands that take it) --target. */
export interface ProjectFlags {
  target?: string;
  projectDir?: string;
  profilesDir?: string;
}

/** Where and as whom the Redshift Data API writes the audit. */
export interface AuditRedshiftFlags {
  auditCluster?: string;
  auditWorkgroup?: string;
  auditDatabase?: string;
  auditSecretArn?: string;
  auditDbUser?: string;
  auditIamIdentity?: boolean;
}

export interface DoctorFlags extends ProjectFlags, AuditRedshiftFlags {
  dbtPath?: string;
}

/** `dbt-run audit runs|failures|slowest|history|flaky|freshness`: which warehouse, which window, which rows. */
export interface AuditQueryFlags extends ProjectFlags, AuditRedshiftFlags {
  since: string;
  product?: string;
  env?: string;
  format: string;
  /** `audit slowest`. */
  top?: string;
}

/** `dbt-run audit report`: the questions' window and filters, and where the page goes. */
export interface AuditReportFlags extends ProjectFlags, AuditRedshiftFlags {
  out: string;
  since: string;
  product?: string;
  env?: string;
  /** How many of the slowest models the duration trend follows. */
  top?: string;
}

/** `dbt-run audit flush`: the target comes from each spooled upload. */
export interface AuditFlags extends Omit<ProjectFlags, 'target'>, AuditRedshiftFlags {}

export interface UpstreamsBumpFlags extends ProjectFlags {
  dbtPath?: string;
  /** The parent revision to pin. */
  to?: string;
}

/** The options of the dbt commands (build, run, test, seed, snapshot, retry, compile, source freshness). */
export interface RunFlags extends ProjectFlags, AuditRedshiftFlags {
  select?: string[];
  exclude?: string[];
  selector?: string;
  changedSince?: string;
  vars?: string;
  fullRefresh?: boolean;
  threads?: string;
  state?: string;
  defer?: boolean;
  audit: boolean;
  json?: boolean;
  dbtPath?: string;
  strictAudit?: boolean;
  alertTopicArn?: string;
  eventTopicArn?: string;
  /** false with --no-events. */
  events?: boolean;
  allowUpstream?: boolean;
  allowEmpty?: boolean;
  resume?: boolean;
  /** --alerted-exit-code, as typed. */
  alertedExitCode?: string;
}

/**
 * The exit codes --alerted-exit-code may take: not dbt-run's own (0, 1, 2) and below
 * those a shell gives a command it could not run (126, 127) or one a signal stopped (128 + n).
 */
export const ALERTED_EXIT_CODE_RANGE = { min: 3, max: 125 } as const;

/** --alerted-exit-code's value as a number, or a one-line error naming the flag (pure). */
export function parseAlertedExitCode(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const code = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  const { min, max } = ALERTED_EXIT_CODE_RANGE;
  if (!Number.isInteger(code) || code < min || code > max)
    throw new UsageError(
      `--alerted-exit-code must be a whole number from ${min} to ${max} (none of dbt-run's own codes), not "${text}"`,
    );
  return code;
}

/** The Redshift Data API flags, as overrides (undefined when none is given). */
export function auditRedshiftFlags(flags: AuditRedshiftFlags): DataApiOverrides | undefined {
  if (flags.auditCluster && flags.auditWorkgroup)
    throw new UsageError('give either --audit-cluster or --audit-workgroup, not both');
  const overrides = {
    cluster: flags.auditCluster,
    workgroup: flags.auditWorkgroup,
    database: flags.auditDatabase,
    secretArn: flags.auditSecretArn,
    dbUser: flags.auditDbUser,
    iamIdentity: flags.auditIamIdentity,
  };
  return Object.values(overrides).some((value) => value !== undefined) ? overrides : undefined;
}

/**
 * The yaml library's message in one line: its first line ends "at line 1, column 8:" before a
 * snippet on the lines below, which a one-line error would cut to a dangling colon. The text
 * itself is quoted instead (the flag's value is short, and the user typed it).
 */
function yamlProblem(error: Error, text: string): string {
  const first = (error.message.split('\n')[0] ?? '').replace(/:\s*$/, '');
  const shown = text.length > 80 ? `${text.slice(0, 79)}…` : text;
  return `${first} of ${JSON.stringify(shown)}`;
}

export function parseVars(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (cause) {
    throw new UsageError(`--vars is not valid YAML: ${yamlProblem(cause as Error, text)}`, { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError('--vars must be a YAML mapping, e.g. --vars "{start_date: 2026-01-01}"');
  }
  return value as Record<string, unknown>;
}

export function normaliseRunOptions(
  command: RunnerDbtCommand,
  flags: RunFlags,
  extra: string[],
  cwd: string,
): RunOptions {
  if (flags.changedSince && (flags.select?.length || flags.selector)) {
    throw new UsageError('--changed-since selects by itself: drop --select/--selector, or use --exclude to narrow it');
  }
  if (flags.changedSince && command === 'retry')
    throw new UsageError('retry re-runs the last failures: it takes no --changed-since');
  if (flags.resume && command === 'retry')
    throw new UsageError('retry re-runs the last failures from target/: it takes no --resume');
  if (flags.defer && !flags.state) throw new UsageError('--defer needs --state DIR (the artifacts to defer to)');
  const alertedExitCode = parseAlertedExitCode(flags.alertedExitCode);
  let threads: number | undefined;
  if (flags.threads !== undefined) {
    threads = Number(flags.threads);
    if (!Number.isInteger(threads) || threads < 1)
      throw new UsageError(`--threads must be a whole number of 1 or more, not "${flags.threads}"`);
  }
  return {
    command,
    select: flags.select ?? [],
    exclude: flags.exclude ?? [],
    selector: flags.selector,
    changedSince: flags.changedSince,
    target: flags.target,
    projectDir: path.resolve(cwd, flags.projectDir ?? '.'),
    profilesDir: flags.profilesDir ? path.resolve(cwd, flags.profilesDir) : undefined,
    vars: parseVars(flags.vars),
    fullRefresh: flags.fullRefresh ?? false,
    threads,
    state: flags.state ? path.resolve(cwd, flags.state) : undefined,
    defer: flags.defer ?? false,
    audit: flags.audit,
    strictAudit: flags.strictAudit ?? false,
    auditRedshift: auditRedshiftFlags(flags),
    alertTopicArn: flags.alertTopicArn,
    // --no-events: an empty topic, which every source below the flag then cannot replace.
    eventTopicArn: flags.events === false ? '' : flags.eventTopicArn,
    dbtPath: flags.dbtPath,
    allowUpstream: flags.allowUpstream ?? false,
    allowEmpty: flags.allowEmpty ?? false,
    resume: flags.resume ?? false,
    alertedExitCode,
    extra,
  };
}
