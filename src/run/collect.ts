/**
 * Step 3 of a run: what dbt left (run_results.json of this invocation, else
 * the node results from its event stream, and manifest.json), turned into
 * the audit batch: one row per node and the invocation row.
 */
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RunOrigin } from '../audit/origin.js';
import { auditRows, type InvocationContext, invocationRow } from '../audit/rows.js';
import type { AuditBatch } from '../audit/sinks/types.js';
import { auditModelIds } from '../audit/tables.js';
import {
  ArtifactError,
  type Manifest,
  type ManifestNode,
  type RunResults,
  readManifestQuietly,
  readRunResults,
  runResultsVersionWarning,
} from '../dbt/artifacts.js';
import { FRESHNESS_COMMAND } from '../dbt/command.js';
import { freshnessRunResults, readSourcesResults } from '../dbt/freshness.js';
import type { Execution } from './execute.js';
import { type FailureReport, planFailures, yamlSourceLocation, yamlTestLine, yamlTestLocation } from './failures.js';
import type { Progress } from './progress.js';

/** What a node dbt started but never finished is recorded as, when dbt was stopped or killed. */
export const IN_FLIGHT_STATUS = 'interrupted';

/**
 * The message of a row rebuilt from dbt's events: they carry the status and
 * timing but not dbt's message, so the row says where it came from instead.
 */
export const FROM_EVENTS_MESSAGE = "recorded from dbt's events: no run_results.json of this invocation to read";

/**
 * The results dbt's node events tell: every node that finished and, when dbt
 * was stopped, the nodes it was running then, as interrupted (the audit then
 * says what never finished).
 */
function eventResults(progress: Progress, stopped: boolean): RunResults['results'] {
  const inFlight = stopped
    ? [...progress.running.keys()].map((uniqueId) => ({
        unique_id: uniqueId,
        status: IN_FLIGHT_STATUS,
        execution_time: null,
        thread_id: null,
        message: 'dbt stopped before this node finished',
        failures: null,
        adapter_response: {},
        timing: [],
      }))
    : [];
  return [
    ...progress.finished.map((node) => ({
      unique_id: node.uniqueId,
      status: node.status,
      execution_time: node.seconds,
      thread_id: node.thread,
      message: progress.nodeErrors.get(node.uniqueId) ?? FROM_EVENTS_MESSAGE,
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
    ...inFlight,
  ];
}

/** Results rebuilt from the node events, for runs that ended before dbt wrote run_results.json. */
function resultsFromEvents(progress: Progress, invocationId: string, stopped: boolean): RunResults {
  return {
    metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v6.json', invocation_id: invocationId },
    results: eventResults(progress, stopped),
  };
}

export interface RunArtifacts {
  runResults: RunResults | undefined;
  manifest: Manifest | undefined;
  /** How the results were read, when not simply (an unreadable or newer run_results.json). */
  notes?: string[] | undefined;
}

/** What dbt wrote its results to: sources.json for a freshness check, else run_results.json. */
export function resultsFile(options: { freshness?: boolean | undefined }): string {
  return options.freshness ? 'sources.json' : 'run_results.json';
}

/** A freshness check's manifest: its sources are the nodes the rows, failures and annotations look up. */
function sourcesAsNodes(manifest: Manifest | undefined): Manifest | undefined {
  if (!manifest?.sources) return manifest;
  return { ...manifest, nodes: { ...manifest.nodes, ...manifest.sources } };
}

/**
 * run_results.json (sources.json for a freshness check) when it belongs to
 * this invocation, else what the events said. A run_results.json left by an earlier run (dbt died before writing
 * its own) is never taken for this one: it must carry this invocation's id
 * or, when dbt logged no id, be written after `startedAt`. A corrupt or
 * unreadable one (dbt killed while writing it, a full disk) is not a reason
 * to lose the run: the results come from the events dbt logged, and a note
 * says so (the invocation row keeps it). A newer schema is read leniently,
 * with a note.
 */
export async function readRunArtifacts(
  targetDir: string,
  progress: Progress,
  startedAt: Date,
  manifestRead?: Promise<Manifest | undefined>,
  options: { interrupted?: boolean; killed?: boolean; freshness?: boolean | undefined } = {},
): Promise<RunArtifacts> {
  let runResults: RunResults | undefined;
  const notes: string[] = [];
  const file = path.join(targetDir, resultsFile(options));
  try {
    if (options.freshness) runResults = freshnessRunResults(await readSourcesResults(file));
    else {
      runResults = await readRunResults(file);
      const newer = runResultsVersionWarning(runResults);
      if (newer) notes.push(newer);
    }
  } catch (error) {
    if (!(error instanceof ArtifactError)) throw error;
    const missing = /not found/.test(error.message);
    // Killed while dbt wrote it (an interrupted run) is expected; otherwise say what happened.
    if (!missing && !options.interrupted) {
      const rebuilt = progress.finished.length;
      notes.push(`${error.message}: ${rebuilt} result${rebuilt === 1 ? '' : 's'} recorded from dbt's events instead`);
    }
  }
  const ours =
    runResults &&
    (progress.invocationId
      ? runResults.metadata.invocation_id === progress.invocationId
      : (await stat(file)).mtimeMs >= startedAt.getTime());
  if (ours && options.freshness) {
    // dbt leaves the checks that could not run out of sources.json: their results are in its events.
    const listed = new Set(runResults?.results.map((result) => result.unique_id));
    const unlisted = eventResults(progress, false).filter((result) => !listed.has(result.unique_id));
    if (runResults && unlisted.length > 0)
      runResults = { ...runResults, results: [...runResults.results, ...unlisted] };
  }
  if (!ours) {
    runResults =
      progress.invocationId && progress.finished.length + progress.running.size > 0
        ? resultsFromEvents(progress, progress.invocationId, Boolean(options.interrupted || options.killed))
        : undefined;
  }
  const manifest = sourcesAsNodes(
    (await manifestRead) ??
      (await readManifestQuietly(path.join(targetDir, 'manifest.json'), { sources: options.freshness })),
  );
  return { runResults, manifest, ...(notes.length ? { notes } : {}) };
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
    invocation: invocationRow(invocationId, artifacts.runResults, context, {
      ...execution,
      // How the results were read belongs with the invocation, beside dbt's own error.
      errorMessage: [execution.errorMessage, ...(artifacts.notes ?? [])].filter(Boolean).join('\n') || null,
    }),
  };
}

/**
 * What the later steps read: the batch, and the little of the manifest they
 * need besides (the audit models, each node's file). dbt's artifacts
 * themselves are let go here: on a 50,000-node run they are as large as the
 * batch, and the upload that follows should not carry them.
 */
export interface Collected {
  batch: AuditBatch;
  notes?: string[] | undefined;
  /** The audit models as dbt compiled them (where the audit tables are), by unique_id. */
  auditModels: Record<string, ManifestNode>;
  /** Each recorded node's file (original_file_path), for annotations. */
  nodeFiles: ReadonlyMap<string, string>;
  /** The failures, with what a person needs to act on each, and what they skipped. */
  failures: FailureReport;
}

/** What a Collected keeps of the manifest (pure). */
export function manifestFacts(
  manifest: Manifest | undefined,
  rows: readonly { unique_id: string | null }[],
  projectName: string,
): Pick<Collected, 'auditModels' | 'nodeFiles'> {
  const nodeFiles = new Map<string, string>();
  const auditModels: Record<string, ManifestNode> = {};
  if (!manifest) return { auditModels, nodeFiles };
  for (const row of rows) {
    const file = row.unique_id ? manifest.nodes[row.unique_id]?.original_file_path : undefined;
    if (file && row.unique_id) nodeFiles.set(row.unique_id, file);
  }
  for (const id of auditModelIds(projectName)) {
    const node = manifest.nodes[id];
    if (node) auditModels[id] = node;
  }
  return { auditModels, nodeFiles };
}

/**
 * The failures of the batch (failures.ts), with the line of each generic test
 * in the YAML file that declares it, read from the project's files. A file
 * that cannot be read or parsed leaves the line unknown.
 */
export async function failureReport(
  rows: AuditBatch['nodes'],
  manifest: Manifest | undefined,
  dirs: { projectDir: string; targetDir: string },
): Promise<FailureReport> {
  const report = planFailures(rows, manifest?.nodes, path.relative(dirs.projectDir, dirs.targetDir) || 'target');
  // A row rebuilt from dbt's events has no message of dbt's: dbt's own error lines then say why.
  for (const failure of report.failures) if (failure.message === FROM_EVENTS_MESSAGE) failure.message = null;
  const texts = new Map<string, Promise<string | undefined>>();
  const read = (file: string) => {
    if (!texts.has(file)) {
      texts.set(
        file,
        readFile(path.join(dirs.projectDir, file), 'utf8').catch(() => undefined),
      );
    }
    return texts.get(file) as Promise<string | undefined>;
  };
  await Promise.all(
    report.failures.map(async (failure) => {
      const node = manifest?.nodes[failure.uniqueId];
      const location = yamlTestLocation(node) ?? yamlSourceLocation(node);
      if (failure.line !== null || !failure.file || !location) return;
      const text = await read(failure.file);
      if (text !== undefined) failure.line = yamlTestLine(text, location);
    }),
  );
  return report;
}

export async function collectResults(
  targetDir: string,
  execution: Execution,
  facts: Omit<BatchFacts, 'recordedAt'>,
  now: () => Date,
  projectDir = path.dirname(targetDir),
): Promise<Collected> {
  const artifacts = await readRunArtifacts(targetDir, execution.progress, execution.startedAt, execution.manifestRead, {
    interrupted: execution.interrupted,
    killed: execution.killed,
    freshness: facts.command === FRESHNESS_COMMAND,
  });
  const batch = auditBatch(execution, artifacts, { ...facts, recordedAt: now() });
  const failures = await failureReport(batch.nodes, artifacts.manifest, { projectDir, targetDir });
  return {
    batch,
    notes: artifacts.notes,
    failures,
    ...manifestFacts(artifacts.manifest, batch.nodes, facts.productName),
  };
}
