/**
 * `dbt-run [command] [options] [-- dbt args]`: the command line over
 * runInvocation(), setup and doctor. Only main() decides the exit code.
 */
import { Command } from 'commander';
import { parseCommandLine } from '../command-line.js';
import { formatError, KitError } from '../errors.js';
import { isGithubActions } from '../github/actions.js';
import { kitVersion } from '../version.js';
import { processIo, type RunnerIo } from './io.js';
import { normaliseRunOptions, parseCommand, RUNNER_COMMANDS, type RunFlags } from './options.js';
import { JsonReporter, PlainReporter, type RunReporter, TtyReporter } from './reporters.js';
import { runInvocation } from './runner.js';

export type { RunnerIo } from './io.js';

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(/\s+/).filter(Boolean)];

function program(io: RunnerIo): Command {
  return new Command('dbt-run')
    .description(
      'Run dbt with live progress, record every node in the audit log after dbt exits, and speak GitHub Actions.',
    )
    .argument('[command]', `${RUNNER_COMMANDS.join(' | ')} (default: build)`)
    .argument('[dbt-args...]', 'extra dbt arguments, after --')
    .option('-s, --select <selectors>', 'dbt --select (repeatable)', collect)
    .option('--exclude <selectors>', 'dbt --exclude (repeatable)', collect)
    .option('--selector <name>', 'a selector from selectors.yml')
    .option(
      '--changed-since <ref>',
      'select what changed since a git ref (and its downstream); nothing changed: run nothing',
    )
    .option('-t, --target <target>', 'dbt target')
    .option('--project-dir <dir>', 'dbt project directory (default: .)')
    .option('--profiles-dir <dir>', 'where profiles.yml is (default: as dbt finds it)')
    .option('--vars <yaml>', 'dbt --vars, a YAML mapping')
    .option('--full-refresh', 'dbt --full-refresh')
    .option('--threads <n>', 'dbt --threads')
    .option('--state <dir>', 'dbt --state (artifacts to compare or defer to)')
    .option('--defer', 'dbt --defer (needs --state)')
    .option('--no-audit', "record nothing (dbt's own on-run-end hook still runs)")
    .option('--strict-audit', 'exit 2 when the audit cannot be written (by default it never changes the exit code)')
    .option('--audit-cluster <id>', 'Redshift audit: provisioned cluster (default: from the target host)')
    .option('--audit-workgroup <name>', 'Redshift audit: Serverless workgroup (default: from the target host)')
    .option('--audit-database <name>', "Redshift audit: database (default: the target's dbname)")
    .option('--audit-secret-arn <arn>', 'Redshift audit: Secrets Manager secret with the database credentials')
    .option('--audit-db-user <user>', 'Redshift audit: database user for temporary credentials (provisioned)')
    .option('--audit-iam-identity', 'Redshift audit: sign in as your IAM identity, not a database user (provisioned)')
    .option(
      '--alert-topic-arn <arn>',
      'SNS topic for failure alerts (default: $DBT_PRODUCT_ALERT_TOPIC_ARN, dbt-product.yml)',
    )
    .option(
      '--event-topic-arn <arn>',
      'SNS topic for completion events (default: $DBT_PRODUCT_EVENT_TOPIC_ARN, dbt-product.yml)',
    )
    .option('--no-events', 'publish no completion event (the orchestrator publishes it)')
    .option('--to <rev>', 'upstreams bump: the parent revision to pin (default: its default branch tip)')
    .option(
      '--allow-upstream',
      "let a selection build nodes of parent products (by default refused: they are another team's)",
    )
    .option('--json', 'print NDJSON events instead of progress')
    .option('--dbt-path <path>', 'the dbt executable (default: $DBT_PATH, .venv/bin/dbt, the kit venv, PATH)')
    .version(kitVersion(), '-v, --version')
    .helpOption('-h, --help', 'show this help')
    .addHelpText(
      'after',
      [
        '',
        'Commands: setup creates or refreshes the pinned dbt venv; doctor checks dbt, the profile, the connection and the audit sink;',
        'audit flush sends the uploads a failed audit write left spooled under target/dbt-product-kit/spool (idempotent);',
        'upstreams bump [NAME] [--to REV] moves parent pins, runs dbt deps, and names the nodes their changes reach.',
        "In a child product a selection that would build a parent's nodes is refused unless --allow-upstream.",
        '',
        'Exit codes: 0 all good; 1 a node failed (model error, test failure); 2 dbt or runner error (bad input,',
        'dbt not found, unknown target, dbt crash, corrupt artifacts); 130 / 143 interrupted by SIGINT / SIGTERM.',
        'The first SIGINT or SIGTERM asks dbt to cancel (it stops its queries); a second kills it. Either way the',
        'nodes that finished are recorded before dbt-run exits. A failed audit write never changes the exit code',
        '(unless --strict-audit: then 2); its rows stay spooled for dbt-run audit flush. Failed alerts are reported,',
        'never change the exit code; an invalid dbt-product.yml makes it 2.',
        '',
        'Environment: DBT_PATH (the dbt executable); DBT_PRODUCT_KIT_DIRECT_DBT=1 runs dbt as it is, without',
        "the lines that spare dbt's console logger formatting events it drops (see the README).",
        '',
        'Examples:',
        '  dbt-run                                   # dbt build, audit recorded',
        '  dbt-run build --changed-since origin/main # what a pull request changed, plus downstream',
        '  dbt-run test -s tag:nightly --target prod -- --fail-fast',
      ].join('\n'),
    )
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: () => {} });
}

function reporterFor(io: RunnerIo, json: boolean, command: string): RunReporter {
  const write = (text: string) => void io.stdout.write(text);
  const writeError = (text: string) => void io.stderr.write(text);
  if (json) return new JsonReporter(write);
  if (io.stdout.isTTY && !io.env.CI) return new TtyReporter(write, writeError, command);
  return new PlainReporter(write, writeError, isGithubActions(io.env));
}

export async function main(argv: string[], io: RunnerIo = processIo()): Promise<number> {
  try {
    const command = program(io);
    if (!parseCommandLine(command, argv)) return 0; // --help, --version
    const [name, ...extra] = command.args;
    const which = parseCommand(name);
    const flags = command.opts<RunFlags>();
    if (which === 'setup') return await (await import('./doctor.js')).runSetup(io);
    if (which === 'doctor') return await (await import('./doctor.js')).runDoctor(flags, io);
    if (which === 'audit') return await (await import('./flush.js')).runAuditCommand(extra, flags, io);
    if (which === 'upstreams') return await (await import('./upstreams.js')).runUpstreamsCommand(extra, flags, io);
    const options = normaliseRunOptions(which, flags, extra, io.cwd);
    const outcome = await runInvocation(options, {
      env: io.env,
      reporter: reporterFor(io, flags.json ?? false, which),
      stdout: (text) => void io.stdout.write(text),
      onInterrupt: io.onInterrupt,
    });
    return outcome.exitCode;
  } catch (error) {
    io.stderr.write(`${formatError(error)}\n`);
    return error instanceof KitError ? error.exitCode : 2;
  }
}
