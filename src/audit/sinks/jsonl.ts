/**
 * The JSONL copy of every upload, always written under target/: one line for
 * the invocation, then one per node. Written atomically (temp file, rename)
 * so a half-written copy never exists; issue #4's spool reuses these files.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuditBatch } from './types.js';

export const AUDIT_JSONL_DIR = 'dbt-product-kit/audit';

export function auditJsonlPath(targetDir: string, invocationId: string): string {
  return path.join(targetDir, ...AUDIT_JSONL_DIR.split('/'), `${invocationId}.jsonl`);
}

export function auditJsonl(batch: AuditBatch): string {
  const lines = [
    JSON.stringify({ kind: 'invocation', row: batch.invocation }),
    ...batch.nodes.map((row) => JSON.stringify({ kind: 'node', row })),
  ];
  return `${lines.join('\n')}\n`;
}

export async function writeAuditJsonl(targetDir: string, batch: AuditBatch): Promise<string> {
  const file = auditJsonlPath(targetDir, batch.invocationId);
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, auditJsonl(batch));
  await rename(temporary, file);
  return file;
}
