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
