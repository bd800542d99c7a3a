/**
 * `dbt-run audit report --out report.html`: the audit questions asked
 * through the target's sink (gatherReport), the page rendered (pure), then
 * written atomically: a missing table or a failed read leaves no file, and
 * an existing report is replaced whole or not at all.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../atomic-file.js';
import type { QueryRequest } from '../audit/queries/plan.js';
import { auditWindow, parseTop } from '../audit/queries/window.js';
import { loadReportAssets } from '../audit/report/assets.js';
import { gatherReport, isEmptyReport } from '../audit/report/gather.js';
import { renderReport } from '../audit/report/render.js';
import { UsageError } from '../errors.js';
import { type AuditQueryDeps, openAuditSource } from './audit-queries.js';
import type { RunnerIo } from './io.js';
import type { AuditReportFlags } from './options.js';

const nonEmpty = (flag: string, value: string | undefined) => {
  if (value !== undefined && value.trim() === '')
    throw new UsageError(`${flag} is empty: give a value or leave it out`);
  return value;
};

/** The flags as a request and an output path (pure but for the clock); every mistake is one UsageError. */
export function checkReportFlags(
  flags: AuditReportFlags,
  cwd: string,
  now: Date,
): { request: QueryRequest; out: string } {
  if (!flags.out?.trim()) throw new UsageError('--out is required: the HTML file to write (--out report.html)');
  const out = path.resolve(cwd, flags.out);
  if (out.endsWith(path.sep) || flags.out.endsWith('/'))
    throw new UsageError(`--out ${JSON.stringify(flags.out)} is a directory: name the HTML file to write`);
  const request: QueryRequest = {
    since: flags.since,
    now,
    product: nonEmpty('--product', flags.product),
    env: nonEmpty('--env', flags.env),
    top: flags.top === undefined ? undefined : parseTop(flags.top),
  };
  auditWindow(request.since, now); // --since checked before any connection
  return { request, out };
}

export async function runAuditReport(
  flags: AuditReportFlags,
  io: RunnerIo,
  deps: AuditQueryDeps = {},
): Promise<number> {
  const started = Date.now();
  const { request, out } = checkReportFlags(flags, io.cwd, (deps.now ?? (() => new Date()))());
  if ((await stat(out).catch(() => undefined))?.isDirectory())
    throw new UsageError(`--out ${JSON.stringify(flags.out)} is a directory: name the HTML file to write`);
  const assets = await loadReportAssets();
  const source = await openAuditSource(flags, io, deps);
  const data = await gatherReport({ ...source, request });
  const html = renderReport(data, assets);
  await writeFileAtomically(out, html);
  const size = `${(Buffer.byteLength(html) / 1024).toFixed(0)} KB`;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (isEmptyReport(data)) {
    io.stdout.write(`${data.nothing}: wrote a report saying so to ${out} (${size})\n`);
    return 0;
  }
  io.stdout.write(
    `audit report: ${data.runs.length} runs since ${data.window.since.toISOString().slice(0, 16).replace('T', ' ')} UTC, written to ${out} (${size}, ${seconds} s)\n`,
  );
  return 0;
}
