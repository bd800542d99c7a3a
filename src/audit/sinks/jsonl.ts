/**
 * The JSONL copy of every upload under target/: one line for the invocation,
 * then one per node. It ends in the audit folder once a sink has the upload
 * (spool.ts: where it waits until then). Files are written atomically (temp
 * file, rename): a half-written copy never exists.
 */
import path from 'node:path';
import { writeLinesAtomically } from '../../atomic-file.js';
import { KitError } from '../../errors.js';
import type { AuditRow, InvocationRow } from '../columns.js';
import type { AuditBatch, AuditDestination } from './types.js';

export const AUDIT_JSONL_DIR = 'dbt-product-kit/audit';

export const inFolder = (targetDir: string, folder: string, invocationId: string) =>
  path.join(targetDir, ...folder.split('/'), `${invocationId}.jsonl`);

/** Where an upload's copy is once recorded. */
export function auditJsonlPath(targetDir: string, invocationId: string): string {
  return inFolder(targetDir, AUDIT_JSONL_DIR, invocationId);
}

/** The lines of an upload's copy (pure): the invocation with where it was going, then one per node. */
export function* auditJsonlLines(batch: AuditBatch): Generator<string> {
  yield `${JSON.stringify({
    kind: 'invocation',
    row: batch.invocation,
    ...(batch.destination ? { destination: batch.destination } : {}),
  })}\n`;
  for (const row of batch.nodes) yield `${JSON.stringify({ kind: 'node', row })}\n`;
}

export function auditJsonl(batch: AuditBatch): string {
  return [...auditJsonlLines(batch)].join('');
}

/** Writes an upload's copy to `file`, atomically and a little at a time. */
export function writeJsonlFile(file: string, batch: AuditBatch): Promise<string> {
  return writeLinesAtomically(file, auditJsonlLines(batch));
}

/** Text that is not an upload's JSONL copy (dbt-run audit flush names the file and leaves it). */
export class AuditJsonlError extends KitError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 2 });
  }
}

function parseLine(line: string, index: number): { kind?: string; row?: unknown; destination?: AuditDestination } {
  try {
    return JSON.parse(line) as { kind?: string; row?: unknown; destination?: AuditDestination };
  } catch (cause) {
    throw new AuditJsonlError(`line ${index + 1} is not JSON (${(cause as Error).message})`, { cause });
  }
}

/** The batch a JSONL copy holds (pure); throws AuditJsonlError on anything else. */
export function parseAuditJsonl(text: string): AuditBatch {
  let invocation: InvocationRow | undefined;
  let destination: AuditDestination | undefined;
  const nodes: AuditRow[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const entry = parseLine(line, index);
    if (entry.kind === 'invocation') {
      invocation = entry.row as InvocationRow;
      destination = entry.destination;
    } else if (entry.kind === 'node') nodes.push(entry.row as AuditRow);
    else throw new AuditJsonlError(`unknown line kind ${JSON.stringify(entry.kind)}`);
  }
  if (!invocation || typeof invocation.invocation_id !== 'string') throw new AuditJsonlError('no invocation line');
  return { invocationId: invocation.invocation_id, invocation, nodes, ...(destination ? { destination } : {}) };
}

/** The copy of an upload with no sink to wait for (no-audit runs, adapters without a runner sink). */
export async function writeAuditJsonl(targetDir: string, batch: AuditBatch): Promise<string> {
  return writeJsonlFile(auditJsonlPath(targetDir, batch.invocationId), batch);
}
