/** What both CLIs do with commander: parse, and turn its errors into our one-line UsageError. */
import { type Command, CommanderError } from 'commander';
import { UsageError } from './errors.js';

/**
 * Parses user arguments with a program built with `.exitOverride()`.
 * Returns false when commander already answered (--help, --version).
 */
export function parseCommandLine(command: Command, argv: string[]): boolean {
  try {
    command.parse(argv, { from: 'user' });
    return true;
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode === 0) return false;
    throw new UsageError(error.message.replace(/^error: /, ''), { cause: error });
  }
}
