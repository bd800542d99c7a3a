/**
 * What create-dbt-product's commands talk to. A module of its own so the
 * upgrade command can take it without importing the CLI that dispatches to it.
 */
import { writeSync } from 'node:fs';
import { quietWhenPipeCloses } from '../closed-pipe.js';
import type { ScaffoldInput } from './options.js';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Whether a person can answer prompts. */
  interactive: boolean;
  cwd: string;
  /** Asks for what the flags left out; injected so tests can answer. */
  prompt?: (input: ScaffoldInput) => Promise<ScaffoldInput>;
  /** Subscribes to SIGINT/SIGTERM while the product is written; the returned function unsubscribes. */
  onInterrupt?: (handler: (signal: NodeJS.Signals) => void) => () => void;
  /** Prints one last line on stderr and ends the process now with this code (a second signal). */
  exitNow?: (code: number, lastLine: string) => void;
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

/** The real process's streams; prompts only in a terminal outside CI. */
export function processIo(): CliIo {
  return {
    stdout: quietWhenPipeCloses(process.stdout),
    stderr: quietWhenPipeCloses(process.stderr),
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI,
    cwd: process.cwd(),
    onInterrupt: processSignals,
    exitNow: (code, lastLine) => {
      // Written past process.stderr: listr2's terminal renderer holds that stream while it draws
      // and would drop the line when the process ends under it.
      try {
        writeSync(2, `${lastLine}\n`);
      } catch {} // stderr gone: the exit code still says it
      const leave = process.exit;
      leave(code);
    },
  };
}
