/**
 * Step 3 of a run: what dbt left (run_results.json of this invocation, else
 * the node results from its event stream, and manifest.json), turned into
 * the audit batch: one row per node and the invocation row.
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { RunOrigin } from '../audit/origin.js';
import { auditRows, type InvocationContext, invocationRow } from '../audit/rows.js';
import type { AuditBatch } from '../audit/sinks/types.js';
import {
  ArtifactError,
  type Manifest,
  type RunResults,
  readManifestQuietly,
  readRunResults,
} from '../dbt/artifacts.js';
import type { Execution } from './execute.js';
import type { Progress } from './progress.js';

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
  const manifest = (await manifestRead) ?? (await readManifestQuietly(path.join(targetDir, 'manifest.json')));
  return { runResults, manifest };
}

/** What the batch says about the run besides dbt's artifacts. */
export interface BatchFacts {
  productName: string;
  targetName: string;
  command: string;
  selection: string;
  origin: RunOrigin;
  recordedAt: Date;
}

/** The audit batch of one invocation (pure): node rows from the artifacts, and the invocation row. */
export function auditBatch(execution: Execution, artifacts: RunArtifacts, facts: BatchFacts): AuditBatch {
  const invocationId = artifacts.runResults?.metadata.invocation_id ?? execution.progress.invocationId ?? randomUUID();
  const context: InvocationContext = {
    ...facts,
    dbtVersion: execution.dbtVersion,
    startedAt: execution.startedAt,
    completedAt: execution.completedAt,
  };
  return {
    invocationId,
    nodes: artifacts.runResults ? auditRows(artifacts.runResults, artifacts.manifest, context) : [],
    invocation: invocationRow(invocationId, artifacts.runResults, context, execution),
  };
}

/** Everything the later steps read: dbt's artifacts and the batch made from them. */
export interface Collected extends RunArtifacts {
  batch: AuditBatch;
}

export async function collectResults(
  targetDir: string,
  execution: Execution,
  facts: Omit<BatchFacts, 'recordedAt'>,
  now: () => Date,
): Promise<Collected> {
  const artifacts = await readRunArtifacts(targetDir, execution.progress, execution.startedAt, execution.manifestRead, {
    interrupted: execution.interrupted,
  });
  return { ...artifacts, batch: auditBatch(execution, artifacts, { ...facts, recordedAt: now() }) };
}
