/**
 * dbt's artifacts, read loosely (unknown fields are tolerated and dropped:
 * keeping them costs time on manifests of thousands of nodes) and checked by
 * their `dbt_schema_version`: run_results v4-v6 (dbt 1.0-1.11+) and manifest
 * v10+ (dbt 1.6+). Only the fields the kit uses are typed.
 */
import { z } from 'zod';
import { KitError } from '../errors.js';
import { type JsonKeep, readKept } from './json-members.js';
import { favourMemoryFor } from './memory.js';

export const RUN_RESULTS_VERSIONS = [4, 5, 6] as const;

/** An artifact that is missing, not JSON, or of a schema version we cannot read. */
export class ArtifactError extends KitError {
  readonly path: string;

  constructor(message: string, options: { path: string; cause?: unknown }) {
    super(message, { cause: options.cause, exitCode: 2 });
    this.path = options.path;
  }
}

export const timing = z.object({
  name: z.string(),
  started_at: z.string().nullish(),
  completed_at: z.string().nullish(),
});

const runResult = z.object({
  unique_id: z.string(),
  status: z.string(),
  timing: z.array(timing).default([]),
  thread_id: z.string().nullish(),
  execution_time: z.number().nullish(),
  adapter_response: z.record(z.string(), z.unknown()).nullish(),
  message: z.string().nullish(),
  failures: z.number().nullish(),
  relation_name: z.string().nullish(),
});

/** The metadata of an invocation's results (run_results.json, sources.json). */
export const resultsMetadata = z.looseObject({
  dbt_schema_version: z.string(),
  dbt_version: z.string().nullish(),
  generated_at: z.string().nullish(),
  invocation_id: z.string(),
  /** dbt 1.9+: when dbt started the invocation (UTC, no zone). */
  invocation_started_at: z.string().nullish(),
});

const runResults = z.looseObject({
  metadata: resultsMetadata,
  results: z.array(runResult),
  elapsed_time: z.number().nullish(),
  args: z.record(z.string(), z.unknown()).nullish(),
});

export type RunResult = z.infer<typeof runResult>;
export type RunResults = z.infer<typeof runResults>;

/** A node as a run reads it: the audit row's columns, where the audit models went, what a failure needs to be acted on. */
const manifestNode = z.object({
  unique_id: z.string(),
  name: z.string(),
  resource_type: z.string(),
  package_name: z.string(),
  database: z.string().nullish(),
  schema: z.string().nullish(),
  alias: z.string().nullish(),
  relation_name: z.string().nullish(),
  original_file_path: z.string().nullish(),
  /** The node's path within its resource folder; a generic test's is its own (not its YAML file's). */
  path: z.string().nullish(),
  /** What a failure skipped, and the compiled path of tests (failures.ts). */
  depends_on: z.object({ nodes: z.array(z.string()).default([]) }).default({ nodes: [] }),
  /** A source's name in its YAML file (`sources: - name: shop`); its own name is the table's. */
  source_name: z.string().nullish(),
  /** A generic test: the YAML entry (`models.stg_orders`), column and test that declare it, for annotations' lines. */
  file_key_name: z.string().nullish(),
  column_name: z.string().nullish(),
  test_metadata: z.object({ name: z.string(), namespace: z.string().nullish() }).nullish(),
  tags: z.array(z.string()).default([]),
  meta: z.record(z.string(), z.unknown()).default({}),
  // z.object, not looseObject: dropping the other keys of config (dozens per node) halves the
  // parse time of a 5,000-model manifest.
  config: z
    .object({ materialized: z.string().nullish(), meta: z.record(z.string(), z.unknown()).nullish() })
    .default({}),
});

const manifestMetadata = z.looseObject({
  dbt_schema_version: z.string(),
  dbt_version: z.string().nullish(),
  project_name: z.string().nullish(),
  adapter_type: z.string().nullish(),
  invocation_id: z.string().nullish(),
});

/**
 * manifest.json as a run reads it: the nodes, to enrich audit rows. Macros,
 * sources and the parent and child maps (as large as the nodes on a big
 * project) are left unread.
 */
const manifest = z.looseObject({
  metadata: manifestMetadata,
  nodes: z.record(z.string(), manifestNode),
});

/** The manifest as a freshness check reads it: the sources too, read as nodes (they are the check's nodes). */
const manifestWithSources = manifest.extend({ sources: z.record(z.string(), manifestNode).default({}) });

export type ManifestNode = z.infer<typeof manifestNode>;
/** `sources` is read only for a freshness check (readManifest's `sources` option). */
export type Manifest = z.infer<typeof manifest> & { sources?: Record<string, ManifestNode> };

const selectionNode = z.object({
  unique_id: z.string(),
  resource_type: z.string(),
  package_name: z.string(),
  original_file_path: z.string().nullish(),
  patch_path: z.string().nullish(),
  depends_on: z.object({ macros: z.array(z.string()).default([]) }).default({ macros: [] }),
});

const manifestMacro = z.object({
  unique_id: z.string(),
  package_name: z.string(),
  original_file_path: z.string().nullish(),
  depends_on: z.object({ macros: z.array(z.string()).default([]) }).default({ macros: [] }),
});

const manifestSource = z.object({
  unique_id: z.string(),
  name: z.string(),
  package_name: z.string(),
  original_file_path: z.string().nullish(),
});

/**
 * The part of the manifest --changed-since reads (files, packages, macro
 * calls): checking only these fields halves the time on 5,000 models, where
 * selection must stay far under `dbt ls`'s seconds.
 */
const selectionManifest = z.object({
  metadata: manifestMetadata,
  nodes: z.record(z.string(), selectionNode),
  sources: z.record(z.string(), manifestSource).default({}),
  macros: z.record(z.string(), manifestMacro).default({}),
});

export type SelectionManifest = z.infer<typeof selectionManifest>;

/** The number in ".../run-results/v6.json". */
export function schemaVersion(url: string): number | undefined {
  const match = /\/v(\d+)\.json$/.exec(url);
  return match ? Number(match[1]) : undefined;
}

/**
 * How an artifact is read (json-members.ts): the document's schema, and its
 * members whose entries (nodes, results) are projected to their schema's keys
 * and checked one at a time as they are read. Everything else in the file
 * (compiled SQL, columns, docs, parent maps...) is skipped unparsed: a
 * 50,000-node run is recorded in a fraction of the memory a whole
 * JSON.parse takes, and no second, checked copy of the document is made.
 */
export interface ArtifactReading {
  what: string;
  document: z.ZodObject;
  entries: Record<string, { entry: z.ZodObject; container: 'array' | 'record' }>;
}

const RUN_RESULTS_READING: ArtifactReading = {
  what: 'run_results.json',
  document: runResults,
  entries: { results: { entry: runResult, container: 'array' } },
};
const MANIFEST_READING: ArtifactReading = {
  what: 'manifest.json',
  document: manifest,
  entries: { nodes: { entry: manifestNode, container: 'record' } },
};
const MANIFEST_WITH_SOURCES_READING: ArtifactReading = {
  what: 'manifest.json',
  document: manifestWithSources,
  entries: {
    nodes: { entry: manifestNode, container: 'record' },
    sources: { entry: manifestNode, container: 'record' },
  },
};
const SELECTION_MANIFEST_READING: ArtifactReading = {
  what: 'manifest.json',
  document: selectionManifest,
  entries: {
    nodes: { entry: selectionNode, container: 'record' },
    sources: { entry: manifestSource, container: 'record' },
    macros: { entry: manifestMacro, container: 'record' },
  },
};

function parseWith<T>(schema: z.ZodType<T>, value: unknown, path: string, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArtifactError(
      `${what} at ${path} is not a dbt ${what}: ${issue?.path.join('.') || 'root'} ${issue?.message}`,
      { path, cause: parsed.error },
    );
  }
  return parsed.data;
}

/** An entry that does not match its schema: where (results.3.status) and what. */
class InvalidEntry extends Error {
  constructor(
    readonly where: string,
    readonly issue: string,
  ) {
    super(`${where} ${issue}`);
  }
}

function notArtifact(reading: ArtifactReading, path: string, where: string, issue: string, cause?: unknown) {
  return new ArtifactError(`${reading.what} at ${path} is not a dbt ${reading.what}: ${where} ${issue}`, {
    path,
    cause,
  });
}

export async function readArtifact(path: string, reading: ArtifactReading): Promise<unknown> {
  const { what, document, entries } = reading;
  const keep: JsonKeep = Object.fromEntries(
    Object.keys(document.shape).map((key) => [key, entries[key] ? Object.keys(entries[key].entry.shape) : true]),
  );
  const onEntry = (member: string, key: string | number, value: unknown) => {
    const schema = entries[member]?.entry;
    if (!schema) return value;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new InvalidEntry([member, key, ...(issue?.path ?? [])].join('.'), issue?.message ?? 'is not valid');
  };
  await favourMemoryFor(path);
  let value: Record<string, unknown>;
  try {
    value = await readKept(path, keep, { onEntry });
  } catch (cause) {
    if (cause instanceof InvalidEntry) throw notArtifact(reading, path, cause.where, cause.issue);
    if (cause instanceof SyntaxError)
      throw new ArtifactError(`${what} at ${path} is not valid JSON (corrupt or cut short): rerun dbt`, {
        path,
        cause,
      });
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ArtifactError(`${what} not found at ${path}: dbt did not write it`, { path, cause });
    throw new ArtifactError(`${what} at ${path} cannot be read: ${(cause as Error).message}`, { path, cause });
  }
  // The rest of the document is checked as usual; the members read entry by entry are already checked.
  const members = Object.keys(entries);
  const rest = parseWith(
    document.omit(Object.fromEntries(members.map((member) => [member, true])) as never),
    value,
    path,
    what,
  ) as Record<string, unknown>;
  for (const [member, { container }] of Object.entries(entries)) {
    const found = value[member];
    if (found === undefined) {
      const absent = document.shape[member]?.safeParse(undefined);
      if (!absent?.success) throw notArtifact(reading, path, member, `is missing`);
      rest[member] = absent.data;
    } else if (typeof found !== 'object' || found === null || Array.isArray(found) !== (container === 'array')) {
      throw notArtifact(reading, path, member, `is not ${container === 'array' ? 'an array' : 'an object'}`);
    } else rest[member] = found;
  }
  return rest;
}

/**
 * run_results.json of v4 or later. A newer version than the kit knows is
 * read leniently: the fields the audit uses are checked as for v6, the rest
 * passes through (runResultsVersionWarning says so once). Older ones are refused.
 */
export function parseRunResults(value: unknown, path = 'run_results.json'): RunResults {
  return checkRunResultsVersion(parseWith(runResults, value, path, 'run_results.json'), path);
}

function checkRunResultsVersion(parsed: RunResults, path: string): RunResults {
  const version = schemaVersion(parsed.metadata.dbt_schema_version);
  if (!version || version < (RUN_RESULTS_VERSIONS[0] as number)) {
    throw new ArtifactError(
      `run_results.json at ${path} has schema ${parsed.metadata.dbt_schema_version}; dbt-run reads v4 and later (dbt 1.0 and later)`,
      { path },
    );
  }
  return parsed;
}

/** The warning for run_results.json of a schema newer than the kit knows, or undefined (pure). */
export function runResultsVersionWarning(results: RunResults): string | undefined {
  const version = schemaVersion(results.metadata.dbt_schema_version) ?? 0;
  const newest = RUN_RESULTS_VERSIONS.at(-1) as number;
  if (version <= newest) return undefined;
  return `run_results.json has schema v${version}, newer than the v${newest} this dbt-run knows: read for the fields the audit uses; upgrade dbt-product-kit`;
}

export function parseManifest(value: unknown, path = 'manifest.json'): Manifest {
  return checkManifestVersion(parseWith(manifest, value, path, 'manifest.json'), path);
}

function checkManifestVersion<T extends { metadata: { dbt_schema_version: string } }>(parsed: T, path: string): T {
  const version = schemaVersion(parsed.metadata.dbt_schema_version);
  if (!version || version < 10) {
    throw new ArtifactError(
      `manifest.json at ${path} has schema ${parsed.metadata.dbt_schema_version}; dbt-run reads v10 and later (dbt 1.6+)`,
      { path },
    );
  }
  return parsed;
}

export async function readRunResults(path: string): Promise<RunResults> {
  return checkRunResultsVersion((await readArtifact(path, RUN_RESULTS_READING)) as RunResults, path);
}

/** manifest.json; `sources` reads the sources too (a freshness check's nodes), which a build does not need. */
export async function readManifest(path: string, options: { sources?: boolean } = {}): Promise<Manifest> {
  const reading = options.sources ? MANIFEST_WITH_SOURCES_READING : MANIFEST_READING;
  return checkManifestVersion((await readArtifact(path, reading)) as Manifest, path);
}

/** manifest.json, or undefined when it is missing or unreadable: callers for whom it only enriches. */
export async function readManifestQuietly(
  path: string,
  options: { sources?: boolean } = {},
): Promise<Manifest | undefined> {
  try {
    return await readManifest(path, options);
  } catch {
    return undefined;
  }
}

/** manifest.json as --changed-since needs it (see SelectionManifest). */
export async function readSelectionManifest(path: string): Promise<SelectionManifest> {
  return checkManifestVersion((await readArtifact(path, SELECTION_MANIFEST_READING)) as SelectionManifest, path);
}
