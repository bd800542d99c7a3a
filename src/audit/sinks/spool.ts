/**
 * Where an upload waits until a sink has it, and who may send it. An upload
 * is in exactly one of three folders under target/dbt-product-kit/:
 *
 *   spool/<id>.jsonl           waiting: anyone may claim it
 *   sending/<id>.<pid>.jsonl   claimed by process <pid>, which is writing it to the sink
 *   audit/<id>.jsonl           a sink has it (jsonl.ts)
 *
 * Moving between them is a rename, which is atomic: of a run and a flush (or
 * two flushes) reaching for one upload, exactly one gets it, so one
 * invocation is never written twice at once. A run's own upload starts out
 * claimed. A claim whose process died (kill -9 in mid-upload) goes back to
 * the spool at the next flush.
 */
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive } from '../../process-alive.js';
import { auditJsonlPath, inFolder, parseAuditJsonl, writeJsonlFile } from './jsonl.js';
import type { AuditBatch } from './types.js';

export const AUDIT_SPOOL_DIR = 'dbt-product-kit/spool';
export const AUDIT_SENDING_DIR = 'dbt-product-kit/sending';

const folderOf = (targetDir: string, folder: string) => path.join(targetDir, ...folder.split('/'));

/** Where an upload waits until a sink has it. */
export function spoolPath(targetDir: string, invocationId: string): string {
  return inFolder(targetDir, AUDIT_SPOOL_DIR, invocationId);
}

/** Where process `pid` keeps an upload it is sending. */
export function claimPath(targetDir: string, invocationId: string, pid = process.pid): string {
  return path.join(folderOf(targetDir, AUDIT_SENDING_DIR), `${invocationId}.${pid}.jsonl`);
}

/** An upload this process holds: nobody else sends it until it is settled or released. */
export interface ClaimedUpload {
  invocationId: string;
  file: string;
}

const ignoreMissing = (error: NodeJS.ErrnoException) => {
  if (error.code === 'ENOENT') return undefined;
  throw error;
};

/** Spools a run's own upload already claimed by this process. */
export async function spoolClaimed(targetDir: string, batch: AuditBatch): Promise<ClaimedUpload> {
  const file = await writeJsonlFile(claimPath(targetDir, batch.invocationId), batch);
  return { invocationId: batch.invocationId, file };
}

/** Spools an upload nobody is sending (recovered runs): flush sends it. */
export async function spoolBatch(targetDir: string, batch: AuditBatch): Promise<string> {
  return writeJsonlFile(spoolPath(targetDir, batch.invocationId), batch);
}

/** Claims a waiting upload; undefined when another process got it first (or it was sent meanwhile). */
export async function claimSpooled(targetDir: string, invocationId: string): Promise<ClaimedUpload | undefined> {
  const file = claimPath(targetDir, invocationId);
  await mkdir(path.dirname(file), { recursive: true });
  return rename(spoolPath(targetDir, invocationId), file).then(() => ({ invocationId, file }), ignoreMissing);
}

/** A sink has the claimed upload: its copy moves to the audit folder. */
export async function settleClaimed(targetDir: string, claim: ClaimedUpload): Promise<string> {
  const file = auditJsonlPath(targetDir, claim.invocationId);
  await mkdir(path.dirname(file), { recursive: true });
  await rename(claim.file, file);
  return file;
}

/** The upload could not be sent: back to the spool, for the next flush. */
export async function releaseClaimed(targetDir: string, claim: ClaimedUpload): Promise<string> {
  const file = spoolPath(targetDir, claim.invocationId);
  await mkdir(path.dirname(file), { recursive: true });
  await rename(claim.file, file);
  return file;
}

const CLAIM_NAME = /^(.+)\.(\d+)\.jsonl$/;

/** Claims whose process is gone go back to the spool; returns how many did. */
export async function releaseAbandonedClaims(targetDir: string): Promise<number> {
  const folder = folderOf(targetDir, AUDIT_SENDING_DIR);
  let released = 0;
  for (const name of await readdir(folder).catch(() => [] as string[])) {
    const match = CLAIM_NAME.exec(name);
    if (!match || isProcessAlive(Number(match[2]))) continue;
    const claim = { invocationId: match[1] as string, file: path.join(folder, name) };
    // Another flush may release (or claim) it at the same moment: only one rename succeeds.
    if (await releaseClaimed(targetDir, claim).catch(ignoreMissing)) released++;
  }
  return released;
}

/** The invocation ids waiting in the spool (order does not matter: uploads are idempotent). */
export async function spooledIds(targetDir: string): Promise<string[]> {
  const names = await readdir(folderOf(targetDir, AUDIT_SPOOL_DIR)).catch(() => [] as string[]);
  return names
    .filter((name) => name.endsWith('.jsonl') && !name.includes('.tmp'))
    .sort()
    .map((name) => name.slice(0, -'.jsonl'.length));
}

export async function readClaimed(claim: ClaimedUpload): Promise<AuditBatch> {
  return parseAuditJsonl(await readFile(claim.file, 'utf8'));
}
