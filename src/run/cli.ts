/**
 * `dbt-run [command] [options] [-- dbt args]`: the command tree (commander)
 * over the dbt commands, setup, doctor, and the `audit` and `upstreams`
 * groups. Only main() decides the exit code.
 */
import { Command, type Help, type Option } from 'commander';
import {
  commanderOutput,
  MISSING_COMMAND_EXIT_CODE,
  parseCommandLine,
  rejectUnknownCommands,
} from '../command-line.js';
import { DBT_COMMANDS } from '../dbt/command.js';
import { formatError, KitError } from '../errors.js';
import { kitVersion } from '../version.js';
import { DBT_COMMAND_SPECS, EXIT_CODES_HELP, SOURCE_COMMANDS } from './commands/dbt.js';
import { DEPS } from './commands/deps.js';
import { AUDIT_COMMANDS, DOCTOR, SETUP, UPSTREAMS_COMMANDS } from './commands/kit.js';
import { addCommands, addGroup, type ProgramContext } from './commands/spec.js';
import { processIo, type RunnerIo } from './io.js';

export type { RunnerIo } from './io.js';

const ROOT_FLAGS = new Set(['-h', '--help', '-v', '--version']);

/**
 * `dbt-run` alone, or with options first (`dbt-run -s x`, `dbt-run -- --fail-fast`),
 * means `dbt-run build`; any other first word is a command, known or not.
 */
export function withDefaultCommand(argv: readonly string[]): string[] {
  const [first] = argv;
  if (first === undefined || (first.startsWith('-') && !ROOT_FLAGS.has(first))) return ['build', ...argv];
  return [...argv];
}

/** The dbt commands' options, listed in the root help too: `dbt-run` alone is `dbt-run build`. */
function dbtOptionsHelp(build: Command, helper: Help): string {
  const options = helper.visibleOptions(build).filter((option: Option) => option.long !== '--help');
  const width = Math.max(...options.map((option) => helper.optionTerm(option).length));
  const lines = options.map((option) =>
    helper.formatItem(helper.optionTerm(option), width, helper.optionDescription(option), helper),
  );
  return [`Options of ${DBT_COMMANDS.join(', ')} (dbt-run build --help):`, ...lines].join('\n');
}

function program(context: ProgramContext): Command {
  const root = new Command('dbt-run')
    .usage('[command] [options] [-- dbt args]')
    .description(
      'Run dbt with live progress, record every node in the audit log after dbt exits, and speak GitHub Actions.',
    )
    .version(kitVersion(), '-v, --version')
    .helpOption('-h, --help', 'show this help')
    .helpCommand(false)
    // Options after a command are that command's: `dbt-run doctor --version` is not the root's --version.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput(commanderOutput(context.io));
  rejectUnknownCommands(root);
  root.commandsGroup('dbt commands:');
  addCommands(root, [...DBT_COMMAND_SPECS, DEPS], context);
  addGroup(root, { name: 'source', summary: 'dbt source commands', commands: SOURCE_COMMANDS }, context);
  root.commandsGroup('Kit commands:');
  addCommands(root, [SETUP, DOCTOR], context);
  addGroup(root, { name: 'audit', summary: 'the audit log', commands: AUDIT_COMMANDS }, context);
  addGroup(
    root,
    {
      name: 'upstreams',
      summary: 'parent products',
      commands: UPSTREAMS_COMMANDS,
      helpText:
        '\nParents are git packages pinned in packages.yml and dbt-product.yml: their new commits change nothing\nhere until a bump.',
    },
    context,
  );
  const build = root.commands.find((command) => command.name() === 'build') as Command;
  root.addHelpText('after', () => {
    const helper = root.createHelp();
    // The width commander gives the rest of this help (the terminal's, else 80).
    helper.prepareContext({ helpWidth: root.configureOutput().getOutHelpWidth?.() });
    return [
      '',
      dbtOptionsHelp(build, helper),
      '',
      'Each command has its own --help (dbt-run doctor --help, dbt-run audit flush --help). A group run without',
      `its command (dbt-run audit) prints its help on stderr and exits ${MISSING_COMMAND_EXIT_CODE}.`,
      '',
      EXIT_CODES_HELP,
      '',
      'Examples:',
      '  dbt-run                                   # dbt build, audit recorded',
      '  dbt-run build --changed-since origin/main # what a pull request changed, plus downstream',
      '  dbt-run test -s tag:nightly --target prod -- --fail-fast',
      '  dbt-run deps                              # dbt deps with the same dbt (packages.yml, package-lock.yml)',
      "  dbt-run source freshness                  # check the sources' freshness, recorded in the audit log",
      '  dbt-run audit flush                       # send the audit rows a failed write left spooled',
      '  dbt-run audit failures --since 24h        # what failed in the last day, and why',
      '  dbt-run audit report --out report.html    # one HTML file: charts and tables of the last 30 days',
    ].join('\n');
  });
  return root;
}

export async function main(argv: string[], io: RunnerIo = processIo()): Promise<number> {
  try {
    const words = withDefaultCommand(argv);
    const chosen: { run?: () => Promise<number> } = {};
    const choose = (run: () => Promise<number>) => {
      chosen.run = run;
    };
    const root = program({ io, argv: words, choose });
    const answered = parseCommandLine(root, words);
    if (answered !== undefined) return answered;
    // Every leaf command has an action, and groups without one exit above; this guards that wiring.
    if (!chosen.run) throw new KitError(`no command chosen for: dbt-run ${words.join(' ')}`, { exitCode: 2 });
    return await chosen.run();
  } catch (error) {
    io.stderr.write(`${formatError(error)}\n`);
    return error instanceof KitError ? error.exitCode : 2;
  }
}
