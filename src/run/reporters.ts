/**
 * How a run shows itself, chosen by environment (listr2's habit): a live
 * listr2 task in a terminal, one line per node elsewhere (folded into a log
 * group on GitHub Actions), NDJSON under --json.
 */

import { isFailedStatus } from '../audit/tables.js';
import type { DbtEvent } from '../dbt/events.js';
import { type FinishedNode, type Progress, progressLine } from './progress.js';

export interface RunReport {
  exitCode: number;
  status: string;
  invocationId: string;
  counts: Record<string, number>;
  auditRows: number;
  auditLocation: string | null;
  auditError: string | null;
  elapsedSeconds: number;
}

export interface RunReporter {
  start(title: string): void;
  /** Extra information (selection explanations, which dbt). */
  info(line: string): void;
  warn(line: string): void;
  /** Why the run failed, when dbt-run decided it (dbt's own errors come as events). */
  error(line: string): void;
  event(event: DbtEvent, progress: Progress, finished: FinishedNode | undefined): void;
  /** A line of dbt output that was not an event (Python warnings, tracebacks). */
  output(line: string): void;
  finish(report: RunReport): Promise<void>;
}

type Write = (text: string) => void;

function nodeLine(node: FinishedNode): string {
  const mark = isFailedStatus(node.status) ? '✗' : node.status === 'skipped' ? '-' : node.status === 'warn' ? '!' : '✓';
  const seconds = node.seconds === null ? '' : ` (${node.seconds.toFixed(2)}s)`;
  return `${mark} ${node.status.padEnd(7)} ${node.resourceType} ${node.name}${seconds}`;
}

function finalLine(report: RunReport): string {
  const counts = Object.entries(report.counts)
    .map(([status, count]) => `${status}=${count}`)
    .join(' ');
  return `dbt-run: ${report.status} (exit ${report.exitCode}) in ${report.elapsedSeconds.toFixed(1)}s; ${counts || 'no nodes'}; invocation ${report.invocationId}`;
}

function auditLine(report: RunReport): string | undefined {
  if (report.auditError) return `audit: NOT written: ${report.auditError}`;
  if (report.auditLocation) return `audit: ${report.auditRows} rows written to ${report.auditLocation}`;
  return undefined;
}

/** dbt's own error messages (why a node failed, why dbt stopped): node results have their own line. */
function dbtError(event: DbtEvent, finished: FinishedNode | undefined): string | undefined {
  return !finished && event.level === 'error' && event.msg.trim() ? event.msg : undefined;
}

/** One line per finished node; GitHub log groups fold dbt's part. */
export class PlainReporter implements RunReporter {
  private grouped = false;
  /** Shown after the run, outside any log group, so they are never folded away. */
  private readonly errors: string[] = [];

  constructor(
    private readonly write: Write,
    private readonly writeError: Write,
    private readonly github = false,
  ) {}

  start(title: string): void {
    if (this.github) {
      this.write(`::group::${title}\n`);
      this.grouped = true;
    } else this.write(`${title}\n`);
  }

  info(line: string): void {
    this.write(`${line}\n`);
  }

  warn(line: string): void {
    this.writeError(`warning: ${line}\n`);
  }

  error(line: string): void {
    this.writeError(`error: ${line}\n`);
  }

  event(event: DbtEvent, _progress: Progress, finished: FinishedNode | undefined): void {
    if (finished) this.write(`${nodeLine(finished)}\n`);
    const error = dbtError(event, finished);
    if (error) this.errors.push(error);
  }

  output(line: string): void {
    this.write(`${line}\n`);
  }

  async finish(report: RunReport): Promise<void> {
    if (this.grouped) this.write('::endgroup::\n');
    for (const error of this.errors) this.writeError(`${error}\n`);
    const audit = auditLine(report);
    if (audit) (report.auditError ? this.writeError : this.write)(`${audit}\n`);
    this.write(`${finalLine(report)}\n`);
  }
}

/** NDJSON: one object per event of interest, then a summary object. */
export class JsonReporter implements RunReporter {
  constructor(private readonly write: Write) {}

  private emit(value: object): void {
    this.write(`${JSON.stringify(value)}\n`);
  }

  start(title: string): void {
    this.emit({ type: 'start', title });
  }

  info(line: string): void {
    this.emit({ type: 'info', message: line });
  }

  warn(line: string): void {
    this.emit({ type: 'warning', message: line });
  }

  error(line: string): void {
    this.emit({ type: 'error', message: line });
  }

  event(event: DbtEvent, _progress: Progress, finished: FinishedNode | undefined): void {
    if (finished) this.emit({ type: 'node', ...finished });
    const error = dbtError(event, finished);
    if (error) this.emit({ type: 'dbt_error', code: event.code, message: error });
  }

  output(line: string): void {
    this.emit({ type: 'output', line });
  }

  async finish(report: RunReport): Promise<void> {
    this.emit({ type: 'summary', ...report });
  }
}

/** A live listr2 task: counts, running nodes, failures as they happen. */
export class TtyReporter implements RunReporter {
  private update: ((line?: string) => void) | undefined;
  /** Failure lines written before listr2 was ready. */
  private pending: string[] = [];
  private complete: (() => void) | undefined;
  private ended = false;
  private rendering: Promise<unknown> | undefined;
  private progress: Progress | undefined;
  private readonly errors: string[] = [];

  constructor(
    private readonly write: Write,
    private readonly writeError: Write,
    private readonly command: string,
  ) {}

  start(title: string): void {
    // listr2 is loaded only for terminals: CI runs never pay for it.
    this.rendering = import('listr2').then(({ Listr }) => this.render(Listr, title));
  }

  private render(Listr: typeof import('listr2').Listr, title: string): Promise<unknown> {
    const list = new Listr(
      [
        {
          title,
          task: (_context, task) =>
            new Promise<void>((resolve) => {
              // Each output line is one entry of listr2's bottom bar: give it only new lines.
              this.update = (line) => {
                if (this.progress) task.title = progressLine(this.progress, this.command);
                if (line !== undefined) task.output = line;
              };
              for (const line of this.pending.splice(0)) this.update(line);
              this.complete = resolve;
              // The run may end before listr2 has even loaded.
              if (this.ended) resolve();
            }),
          rendererOptions: { persistentOutput: true, bottomBar: 10 },
        },
      ],
      // registerSignalListeners off: listr2's own SIGINT listener ends the process with code 127
      // before dbt-run has cancelled dbt and recorded what finished; dbt-run's handlers
      // (RunnerIo.onInterrupt) own SIGINT and SIGTERM in every renderer.
      { renderer: 'default', exitOnError: false, registerSignalListeners: false },
    );
    return list.run();
  }

  info(line: string): void {
    this.write(`${line}\n`);
  }

  warn(line: string): void {
    this.writeError(`warning: ${line}\n`);
  }

  error(line: string): void {
    this.writeError(`error: ${line}\n`);
  }

  private show(line?: string): void {
    if (this.update) this.update(line);
    else if (line !== undefined) this.pending.push(line);
  }

  event(event: DbtEvent, progress: Progress, finished: FinishedNode | undefined): void {
    this.progress = progress;
    const error = dbtError(event, finished);
    if (error) this.errors.push(error);
    this.show(finished && isFailedStatus(finished.status) ? nodeLine(finished) : undefined);
  }

  output(line: string): void {
    this.show(line);
  }

  async finish(report: RunReport): Promise<void> {
    this.ended = true;
    this.update?.();
    this.complete?.();
    await this.rendering;
    for (const error of this.errors) this.writeError(`${error}\n`);
    const audit = auditLine(report);
    if (audit) (report.auditError ? this.writeError : this.write)(`${audit}\n`);
    this.write(`${finalLine(report)}\n`);
  }
}
