/** What the git adapter throws: a failed git command, or a repository that cannot answer the question. */
import { KitError } from '../errors.js';

/** A git command failed; `args` and `dir` say which and where, `cause` keeps simple-git's error. */
export class GitError extends KitError {
  /** The git arguments, any URL's credential redacted (see gitFailure). */
  readonly args: readonly string[];
  /** Where git ran. */
  readonly dir: string | undefined;
  /** git's own exit code, when it got as far as exiting. */
  readonly gitExitCode: number | undefined;
  /** git's own one-line account of the failure, for callers that word the rest themselves. */
  readonly detail: string;

  constructor(
    message: string,
    options: {
      cause?: unknown;
      args?: readonly string[];
      dir?: string;
      gitExitCode?: number;
      detail?: string;
      exitCode?: number;
    } = {},
  ) {
    super(message, { cause: options.cause, exitCode: options.exitCode ?? 1 });
    this.args = options.args ?? [];
    this.dir = options.dir;
    this.gitExitCode = options.gitExitCode;
    this.detail = options.detail ?? message;
  }
}

/** Why a repository cannot say what changed: callers word it for their own flag. */
export type RepositoryProblem = 'not-a-repository' | 'no-commit' | 'unknown-revision' | 'unrelated-history';

/** The repository is not in a state to answer: no repository, no commit yet, an unknown revision, no shared history. */
export class GitRepositoryError extends GitError {
  readonly problem: RepositoryProblem;

  constructor(
    message: string,
    problem: RepositoryProblem,
    options: { cause?: unknown; args?: readonly string[]; dir?: string } = {},
  ) {
    super(message, options);
    this.problem = problem;
  }
}
