/**
 * After dbt exits: read what it left (run_results.json of this invocation,
 * else the node results from its event stream), turn it into audit rows, and
 * write them: the JSONL copy first, then the target's sink.
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SNSClient } from '@aws-sdk/client-sns';
import {
  auditRows,
  type InvocationContext,
  type InvocationStatus,
  invocationRow,
  type RunOrigin,
  runOrigin,
} from '../audit/rows.js';
import {
  preloadSink,
  type SinkContext,
  settleSpooled,
  sinkForTarget,
  spoolBatch,
  writeAuditJsonl,
} from '../audit/sinks/index.js';

export { preloadSink };

import { notifyRun, type TopicFlags, topicsFor } from '../alerts/notify.js';
import type { AuditBatch, AuditTables } from '../audit/sinks/types.js';
import { ArtifactError, type Manifest, type RunResults, readManifest, readRunResults } from '../dbt/artifacts.js';
import type { ResolvedTarget } from '../dbt/profiles.js';
import type { ProductManifest } from '../product/manifest.js';
import type { DataApiOverrides } from '../redshift/target.js';
import type { RunPlan } from './plan.js';
import type { Progress } from './progress.js';

/** Where the audit tables are: the audit models' own relations, else <target schema>_audit. */
export function auditTables(manifest: Manifest | undefined, projectName: string, target: ResolvedTarget): AuditTables {
  const fallback = `${String(target.fields.schema ?? 'public')}_audit`;
  const ref = (model: string) => {
    const node = manifest?.nodes[`model.${projectName}.${model}`];
    return { schema: node?.schema ?? fallback, table: node?.alias ?? model };
  };
  return { log: ref('dbt_audit_log'), invocations: ref('dbt_audit_invocations') };
}

/** Results rebuilt from the node events, for runs that ended before dbt wrote run_results.json. */
function resultsFromEvents(progress: Progress, invocationId: string): RunResults {
  return {
    metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v6.json', invocation_id: invocationId },
    results: progress.finished.map((node) => ({
      unique_id: node.uniqueId,
      status: node.status,
      execution_time: node.seconds,
      thread_id: node.thread,
      message: null,
      failures: null,
      adapter_response: {},
      timing: node.startedAt
        ? [
            {
              name: 'execute',
              started_at: `${node.startedAt}Z`,
              completed_at: node.finishedAt ? `${node.finishedAt}Z` : null,
            },
          ]
        : [],
    })),
  };
}

export interface RunArtifacts {
  runResults: RunResults | undefined;
  manifest: Manifest | undefined;
}

/**
 * run_results.json when it belongs to this invocation, else what the events
 * said. A corrupt run_results.json throws (ArtifactError): recording a guess
 * would be a partial audit. A run_results.json left by an earlier run (dbt
 * died before writing its own) is never taken for this one: it must carry
 * this invocation's id or, when dbt logged no id, be written after `startedAt`.
 * When the run was interrupted, a corrupt file is one dbt was killed writing,
 * and the events are used instead.
 */
export async function readRunArtifacts(
  targetDir: string,
  progress: Progress,
  startedAt: Date,
  manifestRead?: Promise<Manifest | undefined>,
  options: { interrupted?: boolean } = {},
): Promise<RunArtifacts> {
  let runResults: RunResults | undefined;
  try {
    runResults = await readRunResults(path.join(targetDir, 'run_results.json'));
  } catch (error) {
    // A run stopped by a signal may have been killed while dbt wrote the file: its events tell.
    const missing = error instanceof ArtifactError && /not found/.test(error.message);
    const cutShort = error instanceof ArtifactError && options.interrupted;
    if (!missing && !cutShort) throw error;
  }
  const ours =
    runResults &&
    (progress.invocationId
      ? runResults.metadata.invocation_id === progress.invocationId
      : (await stat(path.join(targetDir, 'run_results.json'))).mtimeMs >= startedAt.getTime());
  if (!ours) {
    runResults =
      progress.invocationId && progress.finished.length > 0
        ? resultsFromEvents(progress, progress.invocationId)
        : undefined;
  }
  const manifest = (await manifestRead) ?? (await readManifestQuietly(targetDir));
  return { runResults, manifest };
}

/** manifest.json, or undefined: it only enriches the rows. */
export async function readManifestQuietly(targetDir: string): Promise<Manifest | undefined> {
  try {
    return await readManifest(path.join(targetDir, 'manifest.json'));
  } catch {
    return undefined;
  }
}

/** Where the run came from: the environment, else the local git commit and user. */
export async function runOriginFor(projectDir: string, env: NodeJS.ProcessEnv): Promise<RunOrigin> {
  return runOrigin(env, { ...(await localGit(projectDir)), user: os.userInfo().username });
}

async function localGit(projectDir: string): Promise<{ gitSha: string | null; gitRef: string | null }> {
  try {
    const { simpleGit } = await import('simple-git');
    const git = simpleGit(projectDir);
    const [sha, ref] = await Promise.all([git.revparse(['HEAD']), git.revparse(['--abbrev-ref', 'HEAD'])]);
    return { gitSha: sha.trim() || null, gitRef: ref.trim() || null };
  } catch {
    return { gitSha: null, gitRef: null };
  }
}

/** dbt-product.yml's audit.redshift, with each flag given winning over it. */
export function redshiftOverrides(
  product: ProductManifest | undefined,
  flags: DataApiOverrides | undefined,
): DataApiOverrides {
  const file = product?.audit.redshift;
  const defined = Object.fromEntries(Object.entries(flags ?? {}).filter(([, value]) => value !== undefined));
  return {
    cluster: file?.cluster,
    workgroup: file?.workgroup,
    database: file?.database,
    region: file?.region,
    secretArn: file?.secret_arn,
    dbUser: file?.db_user,
    iamIdentity: file?.iam_identity,
    // A flag for one kind of Redshift, or one way to sign in, replaces the file's others.
    ...(defined.cluster ? { workgroup: undefined } : {}),
    ...(defined.workgroup ? { cluster: undefined } : {}),
    ...(defined.secretArn || defined.dbUser || defined.iamIdentity
      ? { secretArn: undefined, dbUser: undefined, iamIdentity: undefined }
      : {}),
    ...defined,
  };
}

/** Sends the failure alert and the completion event, as the run's environment configures them. */
export async function notify(
  plan: RunPlan,
  batch: AuditBatch,
  manifest: Manifest | undefined,
  product: ProductManifest | undefined,
  flags: TopicFlags,
  env: NodeJS.ProcessEnv,
  sns: SNSClient | undefined,
): Promise<{ sent: string[]; skipped: string[]; failed: string[] }> {
  const topics = topicsFor(product, plan.target.targetName, flags, env);
  if (!topics.alerts && !topics.events) return { sent: [], skipped: topics.skipped, failed: [] };
  const { snsPublisher } = await import('../alerts/publish.js');
  const notified = await notifyRun(
    batch,
    { product: plan.projectName, topics, auditTable: auditTables(manifest, plan.projectName, plan.target).log },
    snsPublisher(env, sns),
  );
  return { sent: notified.sent, skipped: topics.skipped, failed: notified.failed };
}

export interface Execution {
  progress: Progress;
  startedAt: Date;
  completedAt: Date;
  dbtVersion: string | null;
  status: InvocationStatus;
  exitCode: number;
  errorMessage: string | null;
}

export async function buildBatch(
  plan: RunPlan,
  execution: Execution,
  artifacts: RunArtifacts,
  origin: RunOrigin,
  selection: string,
  now: () => Date,
): Promise<AuditBatch> {
  const invocationId = artifacts.runResults?.metadata.invocation_id ?? execution.progress.invocationId ?? randomUUID();
  const context: InvocationContext = {
    productName: plan.projectName,
    targetName: plan.target.targetName,
    command: plan.invocation.command,
    selection,
    dbtVersion: execution.dbtVersion,
    startedAt: execution.startedAt,
    completedAt: execution.completedAt,
    origin,
    recordedAt: now(),
  };
  return {
    invocationId,
    nodes: artifacts.runResults ? auditRows(artifacts.runResults, artifacts.manifest, context) : [],
    invocation: invocationRow(invocationId, artifacts.runResults, context, execution),
  };
}

export interface Recorded {
  rows: number;
  location: string | null;
  error: string | null;
  jsonlPath: string;
}

/**
 * Where the upload goes: the target's sink, spooled first so that nothing is
 * lost when it fails (the copy moves to the audit folder once the sink has
 * it). A sink failure is reported, never thrown: it must not change dbt's result.
 */
export async function recordBatch(
  plan: RunPlan,
  batch: AuditBatch,
  manifest: Manifest | undefined,
  sinkOptions: Pick<SinkContext, 'redshift' | 'redshiftClient' | 'dataApiOptions'> = {},
): Promise<Recorded> {
  if (!plan.runnerAudit) {
    return { rows: 0, location: null, error: null, jsonlPath: await writeAuditJsonl(plan.targetDir, batch) };
  }
  const spooled = await spoolBatch(plan.targetDir, batch);
  try {
    const sink = await sinkForTarget({
      target: plan.target,
      tables: auditTables(manifest, plan.projectName, plan.target),
      projectDir: plan.projectDir,
      env: plan.dbtEnv,
      ...sinkOptions,
    });
    if (!sink) throw new Error(`no audit sink for ${plan.target.type}`);
    await sink.write(batch);
    const jsonlPath = await settleSpooled(plan.targetDir, batch.invocationId);
    return { rows: batch.nodes.length, location: `${sink.kind} ${sink.location}`, error: null, jsonlPath };
  } catch (error) {
    return {
      rows: 0,
      location: null,
      error: `${(error as Error).message} (rows kept in ${path.relative(plan.projectDir, spooled)}: dbt-run audit flush sends them)`,
      jsonlPath: spooled,
    };
  }
}
