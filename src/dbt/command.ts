/**
 * Building dbt's argument lists (pure): every dbt call the kit makes (the
 * runner's build/run/test/..., and ls, parse, debug, deps) is described as
 * data and turned into an array by dbtCommandLine(), never a shell string.
 */
import { AUDIT_HOOK_SWITCH } from '../audit/tables.js';

export const DBT_COMMANDS = ['build', 'run', 'test', 'seed', 'snapshot', 'retry', 'compile'] as const;
export type DbtCommand = (typeof DBT_COMMANDS)[number];

/**
 * `dbt source freshness`: checks when each source was last loaded and builds
 * nothing. dbt-run runs it as `dbt-run source freshness`, recorded like a build.
 */
export const FRESHNESS_COMMAND = 'source freshness';

/** What the runner runs: a dbt command above, or the freshness check. */
export type RunnerDbtCommand = DbtCommand | typeof FRESHNESS_COMMAND;

/**
 * The commands that build or test the product's nodes: what a parent's nodes must stay out of,
 * and what a completion event announces (compile and a freshness check change no table:
 * downstream products must not start on them).
 */
export const BUILDING_COMMANDS: ReadonlySet<string> = new Set<DbtCommand>([
  'build',
  'run',
  'test',
  'seed',
  'snapshot',
  'retry',
]);

/** What every dbt call may take. */
export interface DbtCommonArgs {
  projectDir: string;
  profilesDir?: string | undefined;
  target?: string | undefined;
  /** Variables as an object; serialised as JSON (a subset of YAML) for --vars. Empty: no --vars. */
  vars?: Record<string, unknown> | undefined;
  /** --log-format json: for the calls whose console output is read as dbt's JSON events. */
  jsonLog?: boolean | undefined;
}

/** dbt's node selection. */
export interface DbtSelectionArgs {
  select?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
  selector?: string | undefined;
}

/** The commands the runner runs (retry takes no selection: it re-runs the last one). */
export interface DbtRunArgs extends DbtCommonArgs, DbtSelectionArgs {
  command: RunnerDbtCommand;
  fullRefresh?: boolean | undefined;
  threads?: number | undefined;
  state?: string | undefined;
  defer?: boolean | undefined;
  /** Passed through after the kit's own arguments. */
  extra?: readonly string[] | undefined;
}

/** `dbt ls`: what a selection covers, printed as JSON lines of the keys asked for. */
export interface DbtListArgs extends DbtCommonArgs, DbtSelectionArgs {
  command: 'ls';
  outputKeys?: readonly string[] | undefined;
  resourceTypes?: readonly string[] | undefined;
  /** Only the listing on stdout: no log lines. */
  quiet?: boolean | undefined;
}

/** Commands that take only the common arguments. */
export interface DbtProjectArgs extends DbtCommonArgs {
  command: 'parse' | 'debug' | 'deps';
}

export type DbtCall = DbtRunArgs | DbtListArgs | DbtProjectArgs;

/** Commands that take --select/--exclude/--selector. */
const SELECTING: ReadonlySet<DbtCall['command']> = new Set([
  'build',
  'run',
  'test',
  'seed',
  'snapshot',
  'compile',
  'ls',
  FRESHNESS_COMMAND,
]);

function selectionArgs(call: DbtSelectionArgs): string[] {
  const args: string[] = [];
  if (call.select?.length) args.push('--select', ...call.select);
  if (call.exclude?.length) args.push('--exclude', ...call.exclude);
  if (call.selector) args.push('--selector', call.selector);
  return args;
}

function isRunCall(call: DbtCall): call is DbtRunArgs {
  return call.command === FRESHNESS_COMMAND || (DBT_COMMANDS as readonly string[]).includes(call.command);
}

/** dbt's argument array for one call: the command first, then the common flags, then its own. */
export function dbtCommandLine(call: DbtCall): string[] {
  // `source freshness` is two words of dbt's command line.
  const args: string[] = call.command.split(' ');
  if (call.jsonLog) args.push('--log-format', 'json');
  args.push('--project-dir', call.projectDir);
  if (call.profilesDir) args.push('--profiles-dir', call.profilesDir);
  if (call.target) args.push('--target', call.target);
  if (SELECTING.has(call.command)) args.push(...selectionArgs(call as DbtSelectionArgs));
  if (call.vars && Object.keys(call.vars).length > 0) args.push('--vars', JSON.stringify(call.vars));
  if (call.command === 'ls') {
    if (call.resourceTypes?.length) for (const type of call.resourceTypes) args.push('--resource-type', type);
    if (call.outputKeys?.length) args.push('--output', 'json', '--output-keys', call.outputKeys.join(' '));
    if (call.quiet) args.push('--quiet');
  } else if (isRunCall(call)) {
    if (call.fullRefresh) args.push('--full-refresh');
    if (call.threads !== undefined) args.push('--threads', String(call.threads));
    if (call.state) args.push('--state', call.state);
    if (call.defer) args.push('--defer');
    args.push(...(call.extra ?? []));
  }
  return args;
}

export interface DbtInvocation {
  command: RunnerDbtCommand;
  select: string[];
  exclude: string[];
  selector?: string | undefined;
  target?: string | undefined;
  projectDir: string;
  profilesDir?: string | undefined;
  /** Variables as an object; serialised as JSON (a subset of YAML) for --vars. */
  vars: Record<string, unknown>;
  fullRefresh: boolean;
  threads?: number | undefined;
  state?: string | undefined;
  defer: boolean;
  /** Passed through after the runner's own arguments. */
  extra: string[];
}

/** The runner's dbt call: JSON logs always on, since it reads events, not text. */
export function dbtArgs(invocation: DbtInvocation): string[] {
  return dbtCommandLine({ ...invocation, jsonLog: true });
}

/** The selection as one line, for the invocation row and messages. */
export function describeSelection(invocation: Pick<DbtInvocation, 'select' | 'exclude' | 'selector'>): string {
  return [
    invocation.select.length ? `--select ${invocation.select.join(' ')}` : '',
    invocation.exclude.length ? `--exclude ${invocation.exclude.join(' ')}` : '',
    invocation.selector ? `--selector ${invocation.selector}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** dbt's environment: the caller's, with the runner's defaults where the caller set nothing. */
export function dbtEnvironment(env: NodeJS.ProcessEnv, options: { auditHookOff: boolean }): NodeJS.ProcessEnv {
  return {
    ...env,
    // No anonymous usage events unless the user asked for them.
    DBT_SEND_ANONYMOUS_USAGE_STATS: env.DBT_SEND_ANONYMOUS_USAGE_STATS ?? 'false',
    // --log-format json also switches logs/dbt.log to JSON unless told otherwise:
    // every debug event serialised as JSON (~44 MB for a 1,000-model build),
    // which slows dbt down. Keep the file log in dbt's default format.
    DBT_LOG_FORMAT_FILE: env.DBT_LOG_FORMAT_FILE ?? 'debug',
    // An environment variable rather than --vars: a change of vars makes dbt
    // re-parse the whole project; the hook reads this one only at execution.
    ...(options.auditHookOff ? { [AUDIT_HOOK_SWITCH.env]: AUDIT_HOOK_SWITCH.offValue } : {}),
  };
}
