/**
 * `dbt-run audit flush`: first records runs whose dbt-run was killed
 * (recover.ts), then sends every upload waiting in the spool
 * (target/dbt-product-kit/spool), each to where its run was going. Each
 * upload is claimed before it is sent (spool.ts), so a flush racing a run or
 * another flush never writes one invocation twice; an upload is idempotent
 * besides, and a sent upload's copy moves to the audit folder.
 */
import path from 'node:path';
import {
  type AuditBatch,
  type AuditTables,
  type ClaimedUpload,
  claimSpooled,
  destinationOf,
  readClaimed,
  releaseAbandonedClaims,
  releaseClaimed,
  type SinkContext,
  settleClaimed,
  sinkForTarget,
  spooledIds,
  spoolPath,
} from '../audit/sinks/index.js';
import { auditTablesFor } from '../audit/tables.js';
import { readManifestQuietly } from '../dbt/artifacts.js';
import { type ResolvedTarget, readProjectFile, resolveTarget } from '../dbt/profiles.js';
import { formatError, UsageError } from '../errors.js';
import { readProductManifest } from '../product/read.js';
import { redshiftOverrides } from '../redshift/target.js';
import type { RunnerIo } from './io.js';
import { type AuditFlags, auditRedshiftFlags } from './options.js';
import { recoverAbandonedRuns } from './recover.js';

export interface FlushOptions {
  projectDir: string;
  profilesDir?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Redshift audit flags (over dbt-product.yml's audit.redshift). */
  redshift?: SinkContext['redshift'];
  redshiftClient?: SinkContext['redshiftClient'];
  dataApiOptions?: SinkContext['dataApiOptions'];
}

export interface FlushedUpload {
  invocationId: string;
  target: string;
  rows: number;
  /** Where it went, or null when it is still spooled. */
  location: string | null;
  error: string | null;
  /** A run whose dbt-run was killed, recovered from this (run_results.json, dbt's events...). */
  recoveredFrom?: string;
}

/**
 * The tables a spooled upload was going to, when it says (uploads spooled
 * before the kit kept it do not): its target must still point at the same
 * database, or the upload stays spooled with a line naming both (flushing
 * into where today's environment points would put the rows in the wrong place).
 */
function spooledDestination(batch: AuditBatch, target: ResolvedTarget, projectDir: string): AuditTables | undefined {
  const spooled = batch.destination;
  if (!spooled) return undefined;
  const now = destinationOf(target, spooled.tables, projectDir);
  if (now.sink !== spooled.sink || now.database !== spooled.database) {
    throw new UsageError(
      `spooled for ${spooled.sink} ${spooled.database}, but target ${target.targetName} now points at ${now.sink} ${now.database}: flush with the environment the run had`,
    );
  }
  return spooled.tables;
}

interface FlushContext extends FlushOptions {
  targetDir: string;
  projectName: string;
  manifest: Awaited<ReturnType<typeof readManifestQuietly>>;
  product: Awaited<ReturnType<typeof readProductManifest>>;
}

/** Sends one claimed upload where it was going; settles it when the sink has it. */
async function sendClaimed(claim: ClaimedUpload, context: FlushContext): Promise<FlushedUpload> {
  const { projectDir, targetDir } = context;
  let batch: AuditBatch;
  try {
    batch = await readClaimed(claim);
  } catch (error) {
    return {
      invocationId: claim.invocationId,
      target: '?',
      rows: 0,
      location: null,
      error: `${path.relative(projectDir, spoolPath(targetDir, claim.invocationId))} is not an audit upload (${(error as Error).message}): move it away`,
    };
  }
  const targetName = String(batch.invocation.target_name ?? '');
  try {
    const target = await resolveTarget({
      projectDir,
      profilesDir: context.profilesDir,
      target: targetName || undefined,
      env: context.env,
    });
    const tables =
      spooledDestination(batch, target, projectDir) ??
      auditTablesFor({
        projectName: context.projectName,
        targetSchema: target.fields.schema,
        nodes: context.manifest?.nodes,
        declared: context.product?.audit,
      });
    const sink = await sinkForTarget({
      target,
      tables,
      projectDir,
      env: context.env,
      redshift: redshiftOverrides(context.product, context.redshift),
      redshiftClient: context.redshiftClient,
      dataApiOptions: context.dataApiOptions,
    });
    if (!sink) throw new UsageError(`no dbt-run audit sink for ${target.type} targets`);
    await sink.write(batch);
    await settleClaimed(targetDir, claim);
    return {
      invocationId: batch.invocationId,
      target: targetName,
      rows: batch.nodes.length,
      location: `${sink.kind} ${sink.location}`,
      error: null,
    };
  } catch (error) {
    return {
      invocationId: batch.invocationId,
      target: targetName,
      rows: 0,
      location: null,
      error: (error as Error).message,
    };
  }
}

export async function flushSpool(options: FlushOptions): Promise<FlushedUpload[]> {
  const projectDir = path.resolve(options.projectDir);
  const project = await readProjectFile(projectDir, options.env);
  const targetDir = path.resolve(projectDir, project.targetPath);
  const manifest = await readManifestQuietly(path.join(targetDir, 'manifest.json'));
  const product = await readProductManifest(projectDir);
  const results: FlushedUpload[] = [];
  // Runs whose dbt-run was killed before recording them are spooled from what they left.
  const recovered = new Map(
    (
      await recoverAbandonedRuns({
        projectDir,
        targetDir,
        projectName: project.name,
        declared: product?.audit,
        recoveredBy: 'dbt-run audit flush',
      })
    ).map((run) => [run.invocationId, run.source]),
  );
  // Uploads whose sender died mid-upload (kill -9) are waiting again.
  await releaseAbandonedClaims(targetDir);
  for (const invocationId of await spooledIds(targetDir)) {
    // Claimed first: a run or another flush sending it now keeps it, and it is skipped here.
    const claim = await claimSpooled(targetDir, invocationId);
    if (!claim) continue;
    const result = await sendClaimed(claim, {
      ...options,
      projectDir,
      targetDir,
      projectName: project.name,
      manifest,
      product,
    });
    if (result.error) await releaseClaimed(targetDir, claim);
    const source = recovered.get(invocationId);
    results.push(source ? { ...result, recoveredFrom: source } : result);
  }
  return results;
}

/**
 * `dbt-run audit flush`: the spooled uploads, then the alerts and events the
 * outbox kept (src/alerts/resend.ts); exit 0 when everything was sent (or
 * nothing waited), 2 otherwise.
 */
export async function runAuditFlush(flags: AuditFlags, io: RunnerIo): Promise<number> {
  const audit = await flushSpooledUploads(flags, io);
  const { runOutboxFlush } = await import('../alerts/resend.js');
  const alerts = await runOutboxFlush(path.resolve(io.cwd, flags.projectDir ?? '.'), io.env, io);
  return Math.max(audit, alerts);
}

async function flushSpooledUploads(flags: AuditFlags, io: RunnerIo): Promise<number> {
  const projectDir = path.resolve(io.cwd, flags.projectDir ?? '.');
  const results = await flushSpool({
    projectDir,
    profilesDir: flags.profilesDir ? path.resolve(io.cwd, flags.profilesDir) : undefined,
    env: io.env,
    redshift: auditRedshiftFlags(flags),
  });
  if (results.length === 0) {
    io.stdout.write('audit flush: nothing spooled\n');
    return 0;
  }
  for (const result of results) {
    if (result.error) io.stderr.write(`${formatError(new UsageError(`${result.invocationId}: ${result.error}`))}\n`);
    else
      io.stdout.write(
        `audit flush: ${result.invocationId} (${result.rows} rows${result.recoveredFrom ? `, a killed run recovered from ${result.recoveredFrom}` : ''}) written to ${result.location}\n`,
      );
  }
  const failed = results.filter((result) => result.error).length;
  io.stdout.write(`audit flush: ${results.length - failed} sent, ${failed} still spooled\n`);
  return failed ? 2 : 0;
}
