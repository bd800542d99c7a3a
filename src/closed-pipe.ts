/**
 * Output into a pipe whose reader has gone (`dbt-run --json | head -1`,
 * `dbt-run --help | head -5`). Node reports the write's EPIPE as an 'error'
 * event on the stream, which nothing handles: the CLI would crash mid-run,
 * leaving dbt orphaned and the run unrecorded. Instead the output ends
 * quietly, the run goes on, is recorded, and exits with its own code.
 */
export interface Writable {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
}

/** A writer over `stream` that stops writing, quietly, once its reader is gone (EPIPE). */
export function quietWhenPipeCloses(stream: NodeJS.WriteStream): Writable {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    // Any other write error is as final for this output: nothing more can be shown there.
    closed = true;
    if (error.code !== 'EPIPE') process.emitWarning(`output stream failed: ${error.message}`);
  });
  return {
    write: (text: string) => (closed ? false : stream.write(text)),
    isTTY: stream.isTTY,
  };
}

/** Output gathered for a moment and written at once; flush() writes what waits (before the process ends). */
export interface GatheredOutput {
  write(text: string): void;
  flush(): void;
}

/**
 * Lines written within `intervalMs` of the first go out in one write. A run
 * writes a line per node into a pipe (a CI log, `--json | jq`), and each
 * write is a system call that wakes the reader: about 0.1 ms of the runner's
 * CPU per node while dbt needs the cores (profiled on a 1,000-view build). A
 * tenth of a second later is still live for whoever reads.
 */
export function gatheredOutput(target: Writable, intervalMs = 100): GatheredOutput {
  let parts: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (parts.length === 0) return;
    const text = parts.join('');
    parts = [];
    target.write(text);
  };
  return {
    write: (text: string) => {
      parts.push(text);
      timer ??= setTimeout(flush, intervalMs);
    },
    flush,
  };
}
