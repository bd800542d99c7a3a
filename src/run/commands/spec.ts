/**
 * How dbt-run's commands are declared: each is a CommandSpec (its own
 * arguments, options and help, and what it runs), added to the commander tree
 * by addCommands(). A group such as `dbt-run audit` is a list of specs, so a
 * new subcommand is one spec and one entry in its group's list.
 */
import type { Command } from 'commander';
import { rejectUnknownCommands } from '../../command-line.js';
import type { RunnerIo } from '../io.js';

export interface CommandInput<Flags> {
  /** The positional arguments, in order, including those after `--`. */
  args: string[];
  /** The words after the command line's first `--`, as typed (extra dbt arguments). */
  afterDoubleDash: string[];
  /** Its own options, as commander parsed them. */
  flags: Flags;
  io: RunnerIo;
}

export interface CommandSpec<Flags = never> {
  name: string;
  /** One line for the parent's list of commands. */
  summary: string;
  /** Adds its arguments, options and help text to the (already named and described) command. */
  define(command: Command): void;
  /**
   * Runs it and resolves to the exit code. Implementations import their
   * modules when run, so starting one command never loads another's.
   */
  run(input: CommandInput<Flags>): Promise<number>;
}

/** What the parse chose: main() runs it after commander has finished. */
export interface ProgramContext {
  io: RunnerIo;
  /** The command line, to tell the words after `--` from those before (commander merges them). */
  argv: readonly string[];
  choose(run: () => Promise<number>): void;
}

// biome-ignore lint/suspicious/noExplicitAny: a list holds specs of different flag types.
export type AnyCommandSpec = CommandSpec<any>;

/** Adds each spec as a subcommand of `parent`; its action only records what to run. */
export function addCommands(parent: Command, specs: readonly AnyCommandSpec[], context: ProgramContext): void {
  for (const spec of specs) {
    const command = parent.command(spec.name).description(spec.summary);
    spec.define(command);
    command.action(() => {
      const split = context.argv.indexOf('--');
      const afterDoubleDash = split < 0 ? [] : context.argv.slice(split + 1);
      context.choose(() => spec.run({ args: command.args, afterDoubleDash, flags: command.opts(), io: context.io }));
    });
  }
}

/**
 * A command that only groups others (`dbt-run audit`): run bare, it prints
 * its help on stderr and exits 2 (see MISSING_COMMAND_EXIT_CODE); an unknown
 * subcommand is one line naming the known ones.
 */
export function addGroup(
  parent: Command,
  group: { name: string; summary: string; commands: readonly AnyCommandSpec[]; helpText?: string },
  context: ProgramContext,
): Command {
  const command = parent
    .command(group.name)
    .usage('<command> [options]')
    .description(`${group.summary} (${group.commands.map((spec) => spec.name).join(', ')})`)
    .helpCommand(false);
  if (group.helpText) command.addHelpText('after', group.helpText);
  rejectUnknownCommands(command);
  addCommands(command, group.commands, context);
  return command;
}
