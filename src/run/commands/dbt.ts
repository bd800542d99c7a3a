/**
 * `dbt-run build|run|test|seed|snapshot|retry|compile [options] [-- dbt args]`
 * and `dbt-run source freshness`: dbt with live progress, the audit recorded
 * after dbt exits.
 */

import { type GatheredOutput, gatheredOutput } from '../../closed-pipe.js';
import { DBT_COMMANDS, FRESHNESS_COMMAND, type RunnerDbtCommand } from '../../dbt/command.js';
import { UsageError } from '../../errors.js';
import { isGithubActions } from '../../github/actions.js';
import type { RunnerIo } from '../io.js';
import { normaliseRunOptions, RUNNER_COMMANDS, type RunFlags } from '../options.js';
import { JsonReporter, PlainReporter, type RunReporter, TtyReporter } from '../reporters.js';
import { runInvocation } from '../runner.js';
import { dbtRunOptions } from './flags.js';
import type { CommandInput, CommandSpec } from './spec.js';

export const EXIT_CODES_HELP = [
  'Exit codes: 0 all good; 1 a node failed (model error, test failure); 2 dbt or runner error (bad input,',
  'dbt not found, unknown target, dbt crash, a selection matching no node, another run in the same target',
  'folder); 129 / 130 / 143 interrupted by SIGHUP / SIGINT / SIGTERM.',
  'The first signal asks dbt to cancel (it stops its queries); a second kills it. Either way the nodes that',
  'finished are recorded before dbt-run exits. If dbt-run itself is killed, dbt stops too, and the next run',
  'or dbt-run audit flush records the run from what it left. A failed audit write never changes the exit code',
  '(unless --strict-audit: then 2); its rows stay spooled for dbt-run audit flush. Failed alerts are reported,',
  'never change the exit code; an invalid dbt-product.yml makes it 2.',
  '--alerted-exit-code N: a run that failed and whose failure alert was published (the alert topic took it)',
  'exits N instead, so an orchestrator alerts only when dbt-run could not (e.g. ECS skip_on_exit_code). With',
  'no alert to send, or one not published, or a failure the alert does not tell (invalid dbt-product.yml,',
  'a failed audit under --strict-audit), the code is as above.',
].join('\n');

/** The help after a dbt command's options; a freshness check builds nothing, so the parents' rule is not its. */
const dbtHelp = (kind: 'build' | 'freshness') =>
  [
    '',
    ...(kind === 'build'
      ? ["In a child product a selection that would build a parent's nodes is refused unless --allow-upstream."]
      : ['A source that is stale (error) or whose check could not run fails the check like a failed node: exit 1.']),
    'A selection that matches no node (a typo) is an error, exit 2, unless --allow-empty.',
    '',
    EXIT_CODES_HELP,
    '',
    'Environment: DBT_PATH (the dbt executable); DBT_PRODUCT_KIT_DIRECT_DBT=1 runs dbt as it is, without',
    "the lines that spare dbt's console logger formatting events it drops (see the README).",
  ].join('\n');

/** Whether the run shows itself live in a terminal (listr2), rather than as lines into a pipe or file. */
const liveInTerminal = (io: RunnerIo, json: boolean) => !json && Boolean(io.stdout.isTTY) && !io.env.CI;

function reporterFor(io: RunnerIo, json: boolean, command: string, output: GatheredOutput): RunReporter {
  const { write } = output;
  // What waits on stdout goes first: in a log of both streams (CI), an error stays after the lines before it.
  const writeError = (text: string) => {
    output.flush();
    io.stderr.write(text);
  };
  if (json) return new JsonReporter(write);
  if (liveInTerminal(io, json)) return new TtyReporter(write, writeError, command);
  return new PlainReporter(write, writeError, isGithubActions(io.env));
}

/**
 * dbt's own arguments come after `--`; a word before it is a mistake, most
 * often options written before the command (`dbt-run --target dev doctor`,
 * which reads as `dbt-run build --target dev doctor`).
 */
function extraDbtArgs(command: RunnerDbtCommand, input: CommandInput<RunFlags>): string[] {
  const stray = input.args.slice(0, input.args.length - input.afterDoubleDash.length);
  if (stray.length === 0) return input.args;
  const [word] = stray;
  if ((RUNNER_COMMANDS as readonly string[]).includes(word as string)) {
    throw new UsageError(`unexpected "${word}" after options: put the command first (dbt-run ${word} [options])`);
  }
  throw new UsageError(
    `unexpected argument "${word}": dbt's own arguments go after -- (dbt-run ${command} [options] -- ${stray.join(' ')})`,
  );
}

/** What `dbt-run source freshness` adds to the help of the dbt commands. */
const FRESHNESS_HELP = [
  '',
  "Checks the sources that declare a freshness (loaded_at_field and warn_after/error_after) and records each one's",
  'result as a row of the audit log (resource_type source; status pass, warn, error or runtime error; the message',
  'says when the source was last loaded). An error alerts like a failed node; a check publishes no completion',
  'event (it builds nothing). dbt-run audit freshness shows the latest check of each source.',
].join('\n');

/** A spec that runs `command` through the runner; `kind` chooses its options (dbtRunOptions). */
function dbtCommand(
  name: string,
  command: RunnerDbtCommand,
  kind: 'build' | 'freshness' = 'build',
): CommandSpec<RunFlags> {
  return {
    name,
    summary:
      command === 'build'
        ? 'dbt build (the default: dbt-run alone, or with options first, builds)'
        : command === FRESHNESS_COMMAND
          ? 'dbt source freshness: check when each source was last loaded, and record it'
          : `dbt ${command}`,
    define: (definition) => {
      definition
        .argument('[dbt-args...]', 'extra dbt arguments, after --')
        .addHelpText('after', kind === 'freshness' ? `${FRESHNESS_HELP}\n${dbtHelp(kind)}` : dbtHelp(kind));
      dbtRunOptions(definition, kind);
    },
    run: async (input) => {
      const { flags, io } = input;
      const options = normaliseRunOptions(command, flags, extraDbtArgs(command, input), io.cwd);
      const json = flags.json ?? false;
      // Lines into a pipe go out gathered; listr2 in a terminal writes to the same stream itself,
      // so there everything is written at once, in order.
      const output = liveInTerminal(io, json)
        ? { write: (text: string) => void io.stdout.write(text), flush: () => {} }
        : gatheredOutput(io.stdout);
      try {
        const outcome = await runInvocation(options, {
          env: io.env,
          reporter: reporterFor(io, json, command, output),
          stdout: output.write,
          onInterrupt: io.onInterrupt,
        });
        return outcome.exitCode;
      } finally {
        output.flush();
      }
    },
  };
}

export const DBT_COMMAND_SPECS: readonly CommandSpec<RunFlags>[] = DBT_COMMANDS.map((name) => dbtCommand(name, name));

/** `dbt-run source freshness`: the `source` group's one command. */
export const SOURCE_COMMANDS: readonly CommandSpec<RunFlags>[] = [
  dbtCommand('freshness', FRESHNESS_COMMAND, 'freshness'),
];
