/**
 * The option groups dbt-run's commands are made of, each defined once: a
 * command takes only the groups it uses, so `dbt-run doctor --full-refresh`
 * is an unknown option rather than a flag silently ignored.
 */
import type { Command } from 'commander';

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(/\s+/).filter(Boolean)];

/** --project-dir and --profiles-dir, and -t/--target unless the command reads the target from elsewhere. */
export function projectOptions(command: Command, options: { target: boolean } = { target: true }): Command {
  if (options.target) command.option('-t, --target <target>', 'dbt target');
  return command
    .option('--project-dir <dir>', 'dbt project directory (default: .)')
    .option('--profiles-dir <dir>', 'where profiles.yml is (default: as dbt finds it)');
}

export function dbtPathOption(command: Command): Command {
  return command.option(
    '--dbt-path <path>',
    'the dbt executable (default: $DBT_PATH, .venv/bin/dbt, the kit venv, PATH)',
  );
}

/** Where and as whom the Redshift Data API writes the audit (see auditRedshiftFlags). */
export function auditRedshiftOptions(command: Command): Command {
  return command
    .option('--audit-cluster <id>', 'Redshift audit: provisioned cluster (default: from the target host)')
    .option('--audit-workgroup <name>', 'Redshift audit: Serverless workgroup (default: from the target host)')
    .option('--audit-database <name>', "Redshift audit: database (default: the target's dbname)")
    .option('--audit-secret-arn <arn>', 'Redshift audit: Secrets Manager secret with the database credentials')
    .option('--audit-db-user <user>', 'Redshift audit: database user for temporary credentials (provisioned)')
    .option('--audit-iam-identity', 'Redshift audit: sign in as your IAM identity, not a database user (provisioned)');
}

/**
 * Everything build, run, test, seed, snapshot, retry and compile take (RunFlags); `source
 * freshness` takes those that mean something to a check that builds nothing: no
 * --changed-since, --full-refresh, --state, --defer, completion events or --allow-upstream.
 */
export function dbtRunOptions(command: Command, kind: 'build' | 'freshness' = 'build'): Command {
  const builds = kind === 'build';
  command
    .option('-s, --select <selectors>', 'dbt --select (repeatable)', collect)
    .option('--exclude <selectors>', 'dbt --exclude (repeatable)', collect)
    .option('--selector <name>', 'a selector from selectors.yml');
  if (builds)
    command.option(
      '--changed-since <ref>',
      'select what changed since a git ref (and its downstream); nothing changed: run nothing',
    );
  projectOptions(command).option('--vars <yaml>', 'dbt --vars, a YAML mapping');
  if (builds) command.option('--full-refresh', 'dbt --full-refresh');
  command.option('--threads <n>', 'dbt --threads');
  if (builds)
    command
      .option('--state <dir>', 'dbt --state (artifacts to compare or defer to)')
      .option('--defer', 'dbt --defer (needs --state)');
  command
    .option('--no-audit', "record nothing (dbt's own on-run-end hook still runs)")
    .option('--strict-audit', 'exit 2 when the audit cannot be written (by default it never changes the exit code)');
  auditRedshiftOptions(command).option(
    '--alert-topic-arn <arn>',
    'SNS topic for failure alerts (default: $DBT_PRODUCT_ALERT_TOPIC_ARN, dbt-product.yml)',
  );
  if (builds)
    command
      .option(
        '--event-topic-arn <arn>',
        'SNS topic for completion events (default: $DBT_PRODUCT_EVENT_TOPIC_ARN, dbt-product.yml)',
      )
      .option('--no-events', 'publish no completion event (the orchestrator publishes it)')
      .option(
        '--resume',
        'build only what an earlier try of this run ($DBT_PRODUCT_RUN_ID, or the GitHub run) did not build or pass, as the audit log says',
      )
      .option(
        '--allow-upstream',
        "let a selection build nodes of parent products (by default refused: they are another team's)",
      );
  command
    .option(
      '--alerted-exit-code <code>',
      'exit with this code (3-125) when the run failed and its failure alert was published',
    )
    .option('--allow-empty', 'let a selection that matches no node succeed (by default: exit 2, dbt says why)')
    .option('--json', 'print NDJSON events instead of progress');
  return dbtPathOption(command);
}
