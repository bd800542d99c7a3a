/**
 * `dbt-run audit flush`: sends every upload a failed audit write left in the
 * spool (target/dbt-product-kit/spool), each to the target it was recorded
 * for (the invocation row's target_name). An upload is idempotent per
 * invocation, so flushing twice, or a flush racing a rerun, never duplicates
 * rows; a sent upload's copy moves to the audit folder.
 */
import path from 'node:path';
import {
  type AuditBatch,
  type AuditTables,
  destinationOf,
  readSpooled,
  type SinkContext,
  settleSpooled,
  sinkForTarget,
  spooledFiles,
} from '../audit/sinks/index.js';
import { auditTablesFor } from '../audit/tables.js';
import { readManifestQuietly } from '../dbt/artifacts.js';
import { type ResolvedTarget, readProjectFile, resolveTarget } from '../dbt/profiles.js';
import { formatError, UsageError } from '../errors.js';
import { readProductManifest } from '../product/read.js';
import { redshiftOverrides } from '../redshift/target.js';
import type { RunnerIo } from './io.js';
import { type AuditFlags, auditRedshiftFlags } from './options.js';

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

export async function flushSpool(options: FlushOptions): Promise<FlushedUpload[]> {
  const projectDir = path.resolve(options.projectDir);
  const project = await readProjectFile(projectDir);
  const targetDir = path.resolve(projectDir, project.targetPath);
  const manifest = await readManifestQuietly(path.join(targetDir, 'manifest.json'));
  const product = await readProductManifest(projectDir);
  const results: FlushedUpload[] = [];
  for (const file of await spooledFiles(targetDir)) {
    let batch: Awaited<ReturnType<typeof readSpooled>>;
    try {
      batch = await readSpooled(file);
    } catch (error) {
      results.push({
        invocationId: path.basename(file, '.jsonl'),
        target: '?',
        rows: 0,
        location: null,
        error: `${path.relative(projectDir, file)} is not an audit upload (${(error as Error).message}): move it away`,
      });
      continue;
    }
    const targetName = String(batch.invocation.target_name ?? '');
    try {
      const target = await resolveTarget({
        projectDir,
        profilesDir: options.profilesDir,
        target: targetName || undefined,
        env: options.env,
      });
      const tables =
        spooledDestination(batch, target, projectDir) ??
        auditTablesFor({
          projectName: project.name,
          targetSchema: target.fields.schema,
          nodes: manifest?.nodes,
          declared: product?.audit,
        });
      const sink = await sinkForTarget({
        target,
        tables,
        projectDir,
        env: options.env,
        redshift: redshiftOverrides(product, options.redshift),
        redshiftClient: options.redshiftClient,
        dataApiOptions: options.dataApiOptions,
      });
      if (!sink) throw new UsageError(`no dbt-run audit sink for ${target.type} targets`);
      await sink.write(batch);
      await settleSpooled(targetDir, batch.invocationId);
      results.push({
        invocationId: batch.invocationId,
        target: targetName,
        rows: batch.nodes.length,
        location: `${sink.kind} ${sink.location}`,
        error: null,
      });
    } catch (error) {
      results.push({
        invocationId: batch.invocationId,
        target: targetName,
        rows: 0,
        location: null,
        error: (error as Error).message,
      });
    }
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
    else io.stdout.write(`audit flush: ${result.invocationId} (${result.rows} rows) written to ${result.location}\n`);
  }
  const failed = results.filter((result) => result.error).length;
  io.stdout.write(`audit flush: ${results.length - failed} sent, ${failed} still spooled\n`);
  return failed ? 2 : 0;
}
