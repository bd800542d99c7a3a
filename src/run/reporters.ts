/**
 * How a run shows itself, chosen by environment (listr2's habit): a live
 * listr2 task in a terminal, one line per node elsewhere (folded into a log
 * group on GitHub Actions), NDJSON under --json.
 */

import { isFailedStatus } from '../audit/tables.js';
import type { DbtEvent } from '../dbt/events.js';
import type { FailureReport } from './failures.js';
import { type FinishedNode, type Progress, progressLine } from './progress.js';
import { auditText, failureReportLines, finalText } from './report-text.js';

export interface RunReport {
  exitCode: number;
  status: string;
  invocationId: string;
  /** Nodes by status; dbt's on-run-start/end hooks are counted apart, in `hooks`. */
  counts: Record<string, number>;
  hooks: Record<string, number>;
  /** What failed, with what to act on, and what it skipped. */
  failures: FailureReport;
  /** Rows written to the audit log (nodes and hooks; the invocation row apart). */
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

function auditLine(report: RunReport): string | undefined {
  return auditText({
    rows: report.auditRows,
    location: report.auditLocation,
    error: report.auditError,
    nodes: report.counts,
    hooks: report.hooks,
  });
}

/** One of dbt's own error messages, and the node it is about, if any. */
interface DbtErrorLine {
  message: string;
  uniqueId: string | null;
}

/** dbt's own error messages (why a node failed, why dbt stopped): node results have their own line. */
function dbtError(event: DbtEvent, finished: FinishedNode | undefined): DbtErrorLine | undefined {
  return !finished && event.level === 'error' && event.msg.trim()
    ? { message: event.msg, uniqueId: event.node?.uniqueId ?? null }
    : undefined;
}

/**
 * What a run ends with on stderr: each failure's block, then dbt's error
 * messages that no block already says (dbt's summary repeats each node's
 * error; a block has it from run_results.json, with the compiled SQL).
 */
function closingErrors(errors: readonly DbtErrorLine[], report: RunReport): string[] {
  const explained = new Set(
    report.failures.failures.filter((failure) => failure.message).map((failure) => failure.uniqueId),
  );
  return [
    ...failureReportLines(report.failures),
    ...errors.filter((error) => !error.uniqueId || !explained.has(error.uniqueId)).map((error) => error.message),
  ];
}

/** One line per finished node; GitHub log groups fold dbt's part. */
export class PlainReporter implements RunReporter {
  private grouped = false;
  /** Shown after the run, outside any log group, so they are never folded away. */
  private readonly errors: DbtErrorLine[] = [];

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
    for (const line of closingErrors(this.errors, report)) this.writeError(`${line}\n`);
    const audit = auditLine(report);
    if (audit) (report.auditError ? this.writeError : this.write)(`${audit}\n`);
    this.write(`${finalText(report)}\n`);
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
    if (error) this.emit({ type: 'dbt_error', code: event.code, uniqueId: error.uniqueId, message: error.message });
  }

  output(line: string): void {
    this.emit({ type: 'output', line });
  }

  /**
   * A `failure` per failed node (from run_results.json: dbt's message, file
   * and line, compiled SQL, failing rows, what it skipped), then the summary.
   * `node` events come live, before dbt has said why a node failed.
   */
  async finish(report: RunReport): Promise<void> {
    const { failures, ...summary } = report;
    for (const failure of failures.failures) {
      this.emit({ type: 'failure', ...failure, skipped: failure.skipped.map((node) => node.uniqueId) });
    }
    this.emit({
      type: 'summary',
      ...summary,
      skippedUnexplained: failures.skippedUnexplained.map((node) => node.uniqueId),
    });
  }
}

/** A live listr2 task: counts, running nodes, failures as they happen. */
export class TtyReporter implements RunReporter {
  private update: ((line?: string) => void) | undefined;
  /** Failure lines written before listr2 was ready. */
  private pending: string[] = [];
  private complete: (() => void) | undefined;
  private fail: ((error: Error) => void) | undefined;
  /** How the run ended, once it has: listr2 shows ✔ for a resolved task, ✖ for a rejected one. */
  private ended: { failed: boolean } | undefined;
  private rendering: Promise<unknown> | undefined;
  private progress: Progress | undefined;
  private readonly errors: DbtErrorLine[] = [];

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
            new Promise<void>((resolve, reject) => {
              // Each output line is one entry of listr2's bottom bar: give it only new lines.
              this.update = (line) => {
                if (this.progress) task.title = progressLine(this.progress, this.command);
                if (line !== undefined) task.output = line;
              };
              for (const line of this.pending.splice(0)) this.update(line);
              this.complete = resolve;
              // The task's error is what listr2 shows after ✖: the final progress line.
              this.fail = (error) => {
                task.title = error.message;
                reject(error);
              };
              // The run may end before listr2 has even loaded.
              if (this.ended) this.settle();
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

  /** Ends the listr2 task as the run ended: a green tick only for a run that passed. */
  private settle(): void {
    if (!this.ended?.failed) this.complete?.();
    else
      this.fail?.(new Error(this.progress ? progressLine(this.progress, this.command) : `dbt ${this.command} failed`));
  }

  async finish(report: RunReport): Promise<void> {
    this.ended = { failed: report.exitCode !== 0 };
    this.update?.();
    this.settle();
    await this.rendering;
    for (const line of closingErrors(this.errors, report)) this.writeError(`${line}\n`);
    const audit = auditLine(report);
    if (audit) (report.auditError ? this.writeError : this.write)(`${audit}\n`);
    this.write(`${finalText(report)}\n`);
  }
}
