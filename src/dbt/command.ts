/**
 * Building dbt's argument list (pure): the runner's options become an array
 * of arguments, never a shell string. The JSON log format is always on: the
 * runner reads events, not text.
 */
export const DBT_COMMANDS = ['build', 'run', 'test', 'seed', 'snapshot', 'retry', 'compile'] as const;
export type DbtCommand = (typeof DBT_COMMANDS)[number];

export interface DbtInvocation {
  command: DbtCommand;
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

/** Commands that take --select/--exclude/--selector. */
const SELECTING: ReadonlySet<DbtCommand> = new Set(['build', 'run', 'test', 'seed', 'snapshot', 'compile']);

export function dbtArgs(invocation: DbtInvocation): string[] {
  const args: string[] = [invocation.command, '--log-format', 'json', '--project-dir', invocation.projectDir];
  if (invocation.profilesDir) args.push('--profiles-dir', invocation.profilesDir);
  if (invocation.target) args.push('--target', invocation.target);
  if (SELECTING.has(invocation.command)) {
    if (invocation.select.length > 0) args.push('--select', ...invocation.select);
    if (invocation.exclude.length > 0) args.push('--exclude', ...invocation.exclude);
    if (invocation.selector) args.push('--selector', invocation.selector);
  }
  if (Object.keys(invocation.vars).length > 0) args.push('--vars', JSON.stringify(invocation.vars));
  if (invocation.fullRefresh) args.push('--full-refresh');
  if (invocation.threads !== undefined) args.push('--threads', String(invocation.threads));
  if (invocation.state) args.push('--state', invocation.state);
  if (invocation.defer) args.push('--defer');
  args.push(...invocation.extra);
  return args;
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

/** The environment variable the generated on-run-end hook reads (macros/audit/audit_record_results.sql). */
export const AUDIT_HOOK_SWITCH = 'DBT_PRODUCT_KIT_AUDIT_HOOK';

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
    ...(options.auditHookOff ? { [AUDIT_HOOK_SWITCH]: 'off' } : {}),
  };
}
