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
  /** Subscribes to SIGINT/SIGTERM/SIGHUP; the returned function unsubscribes. */
  onInterrupt?: (handler: (signal: NodeJS.Signals) => void) => () => void;
}

/** The signals that ask a run to stop: Ctrl-C, a CI runner's cancel, a closed terminal. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function processSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  const listener = (signal: NodeJS.Signals) => handler(signal);
  for (const signal of STOP_SIGNALS) process.on(signal, listener);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, listener);
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
