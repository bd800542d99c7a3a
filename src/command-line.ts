/** What both CLIs do with commander: parse, and turn its errors into our one-line UsageError. */
import { type Command, CommanderError, type OutputConfiguration } from 'commander';
import { UsageError } from './errors.js';

/**
 * The exit code after a command group (`dbt-run audit`) was given no command:
 * its help is printed on stderr, and, as for any incomplete input, the exit
 * code is 2, so a script that lost its subcommand fails instead of doing nothing.
 */
export const MISSING_COMMAND_EXIT_CODE = 2;

/**
 * Parses user arguments with a program built with `.exitOverride()`.
 * Returns undefined to go on, or the exit code when commander already
 * answered: 0 after --help or --version, 2 after a group's help (no command).
 */
export function parseCommandLine(command: Command, argv: string[]): number | undefined {
  try {
    command.parse(argv, { from: 'user' });
    return undefined;
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode === 0) return 0;
    // help({ error: true }): commander printed a group's help because its command was missing.
    if (error.code === 'commander.help') return MISSING_COMMAND_EXIT_CODE;
    // Commander puts "(Did you mean ...?)" on a second line; our errors are one line.
    throw new UsageError(error.message.replace(/^error: /, '').replaceAll('\n', ' '), { cause: error });
  }
}

/**
 * Where commander writes: help to stdout, a group's help after a missing
 * command to stderr. Its error messages are dropped: parseCommandLine()
 * re-raises them as UsageError, which main() prints once.
 */
export function commanderOutput(io: {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}): OutputConfiguration {
  return {
    writeOut: (text) => void io.stdout.write(text),
    writeErr: (text) => void io.stderr.write(text),
    outputError: () => {},
  };
}

/** `dbt-run audit`: the command's words from the program's name down. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}

/**
 * Makes an unknown command of a group one line naming the ones it has, e.g.
 * `unknown command "deploy": use one of build, run (see dbt-run --help)`.
 */
export function rejectUnknownCommands(group: Command): Command {
  return group.on('command:*', (operands: string[]) => {
    const names = group.commands.map((command) => command.name());
    const choices = names.length === 1 ? names[0] : `one of ${names.join(', ')}`;
    throw new UsageError(`unknown command "${operands[0]}": use ${choices} (see ${commandPath(group)} --help)`);
  });
}
