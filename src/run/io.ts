/**
 * What dbt-run's commands talk to: output streams, environment, working
 * directory and signals. A module of its own so every command can take it
 * without importing the CLI that dispatches to them.
 */
import { quietWhenPipeCloses } from '../closed-pipe.js';

export interface RunnerIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Subscribes to SIGINT/SIGTERM; the returned function unsubscribes. */
  onInterrupt?: (handler: (signal: NodeJS.Signals) => void) => () => void;
}

function processSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  const listener = (signal: NodeJS.Signals) => handler(signal);
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}

/** The real process's streams, environment and signals. */
export function processIo(): RunnerIo {
  return {
    stdout: quietWhenPipeCloses(process.stdout),
    stderr: quietWhenPipeCloses(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    onInterrupt: processSignals,
  };
}
