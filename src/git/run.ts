/**
 * Running git through simple-git (the kit's one way to drive git). simple-git
 * is imported on first use only: dbt-run's start-up is benchmarked, and most
 * runs never touch git.
 */
import type { SimpleGit } from 'simple-git';
import { lastLine } from '../errors.js';
import { redact, urlSecrets } from '../redact.js';
import { GitError } from './errors.js';

type SimpleGitModule = typeof import('simple-git');
let loading: Promise<SimpleGitModule> | undefined;

function simpleGitModule(): Promise<SimpleGitModule> {
  loading ??= import('simple-git');
  return loading;
}

/** A simple-git client in `dir`; `config` entries are `-c key=value` for every command it runs. */
export async function gitClient(dir: string, options: { config?: string[] } = {}): Promise<SimpleGit> {
  const { simpleGit } = await simpleGitModule();
  try {
    return simpleGit(dir, { config: options.config ?? [] });
  } catch (cause) {
    // simple-git refuses a folder that does not exist before running anything.
    const detail = lastLine(String((cause as Error).message ?? cause), 'no output');
    throw new GitError(`cannot run git in ${dir}: ${detail}`, { cause, dir, detail });
  }
}

/**
 * The line of git's output that says what went wrong (pure): its first
 * `fatal:` or `error:` line (later lines are often advice, such as "Please
 * make sure you have the correct access rights"), else its last line.
 */
export function gitDetail(output: string): string {
  const lines = output.split('\n').map((line) => line.trim());
  return lines.find((line) => /^(fatal|error):/.test(line)) ?? lastLine(output, 'no output');
}

/**
 * The one-line error for a git command that failed: its first word, its exit
 * code, the folder, what git said. Redacted: git quotes the URL it was given,
 * sometimes without its scheme ("unable to look up TOKEN@host"), so the
 * credentials of the URLs in `args` are scrubbed wherever they appear.
 */
export function gitFailure(
  args: readonly string[],
  dir: string,
  cause: unknown,
  gitExitCode?: number,
  stderr = '',
): GitError {
  const secrets = urlSecrets(args);
  const detail = redact(gitDetail(stderr.trim() ? stderr : String((cause as Error)?.message ?? cause)), secrets);
  const exit = gitExitCode === undefined ? '' : ` (exit ${gitExitCode})`;
  return new GitError(`git ${args[0] ?? ''} failed${exit} in ${dir}: ${detail}`, {
    cause,
    args: args.map((arg) => redact(arg)),
    dir,
    gitExitCode,
    detail,
  });
}

export interface GitOutput {
  stdout: string;
  /** git's exit code: 0, or one `accept` let through. */
  exitCode: number;
}

/**
 * Runs `git <args>` in `dir` and returns its stdout untouched (final newline
 * included). An exit code `accept` allows is a result, not an error: some git
 * commands answer with it (merge-file's conflict count, diff's "they differ").
 * simple-git alone calls a non-zero exit an error only when git wrote to
 * stderr; here every other non-zero exit is one.
 */
export async function runGit(
  dir: string,
  args: string[],
  options: { accept?: (exitCode: number) => boolean; config?: string[] } = {},
): Promise<GitOutput> {
  const accept = options.accept ?? ((exitCode: number) => exitCode === 0);
  const { simpleGit } = await simpleGitModule();
  let exitCode: number | undefined;
  let stderr = '';
  let git: SimpleGit;
  try {
    git = simpleGit(dir, {
      config: options.config ?? [],
      errors(error, result) {
        exitCode = result.exitCode;
        stderr = Buffer.concat(result.stdErr).toString('utf8');
        if (error) return error;
        return accept(result.exitCode) ? undefined : Buffer.concat([...result.stdOut, ...result.stdErr]);
      },
    });
  } catch (cause) {
    throw gitFailure(args, dir, cause);
  }
  try {
    const stdout = await git.raw(args);
    return { stdout, exitCode: exitCode ?? 0 };
  } catch (cause) {
    throw gitFailure(args, dir, cause, exitCode, stderr);
  }
}
