/**
 * One root error for everything the kit reports to a user. Each subclass
 * carries the fields a user needs to act, keeps the original error as `cause`,
 * and says which exit code the CLI maps it to. Helpers throw; only a CLI's
 * `main()` turns errors into exit codes.
 */
import { redact } from './redact.js';

export class KitError extends Error {
  /** Exit code a CLI uses when this error ends it. */
  readonly exitCode: number;

  constructor(message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Bad input from the user (flag, name, directory): exit code 2, nothing written. */
export class UsageError extends KitError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 2 });
  }
}

/** The Python/dbt toolchain could not be found or installed. */
export class ToolchainError extends KitError {
  readonly command: string | undefined;

  constructor(message: string, options: { cause?: unknown; command?: string } = {}) {
    super(message, { cause: options.cause, exitCode: 2 });
    this.command = options.command;
  }
}

/**
 * Turns any thrown value into the one line a CLI prints. Redacted here too, as
 * a last guard: a URL with a credential can reach a message the kit did not
 * word (a library's error, a stack).
 */
export function formatError(error: unknown): string {
  if (error instanceof KitError) return redact(`error: ${error.message}`);
  if (error instanceof Error) return redact(error.stack ?? error.message);
  return redact(String(error));
}

/** The last non-empty line of some output: what a one-line error quotes. */
export function lastLine(text: string, fallback = ''): string {
  return text.trim().split('\n').filter(Boolean).at(-1) ?? fallback;
}
