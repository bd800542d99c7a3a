/**
 * `dbt-run audit runs|failures|slowest|history|flaky|freshness`: the
 * target's audit tables read through the same sink the runner writes with
 * (DuckDB, Postgres, Redshift through the Data API), answered as an aligned
 * table, JSON or CSV. Flags are checked before anything is opened.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type AskOptions, ask } from '../audit/queries/ask.js';
import type { QueryRequest } from '../audit/queries/plan.js';
import { QUESTIONS, type QuestionDefinition, type QuestionName } from '../audit/queries/questions.js';
import { type OutputFormat, parseFormat, renderRows } from '../audit/queries/render.js';
import { auditWindow, parseTop } from '../audit/queries/window.js';
import { type SinkContext, sinkForTarget } from '../audit/sinks/index.js';
import { auditTablesFor } from '../audit/tables.js';
import { compiledPathOf } from '../dbt/compiled-path.js';
import { readKept } from '../dbt/json-members.js';
import { readProjectFile, resolveTarget } from '../dbt/profiles.js';
import { UsageError } from '../errors.js';
import { readProductManifest } from '../product/read.js';
import { redshiftOverrides } from '../redshift/target.js';
import type { RunnerIo } from './io.js';
import { type AuditQueryFlags, type AuditRedshiftFlags, auditRedshiftFlags, type ProjectFlags } from './options.js';

/** What tests inject: the clock, and the Data API client and polling. */
export interface AuditQueryDeps extends Pick<SinkContext, 'redshiftClient' | 'dataApiOptions'> {
  now?: () => Date;
}

interface Checked {
  request: QueryRequest;
  format: OutputFormat;
}

const nonEmpty = (flag: string, value: string | undefined) => {
  if (value !== undefined && value.trim() === '')
    throw new UsageError(`${flag} is empty: give a value or leave it out`);
  return value;
};

/** The flags as a request (pure but for the clock); every mistake is one UsageError. */
export function checkQueryFlags(
  name: QuestionName,
  args: readonly string[],
  flags: AuditQueryFlags,
  now: Date,
): Checked {
  const format = parseFormat(flags.format);
  const node = args[0];
  if (name === 'history' && !node?.trim())
    throw new UsageError('audit history needs a node: dbt-run audit history <unique_id or name>');
  const request: QueryRequest = {
    since: flags.since,
    now,
    product: nonEmpty('--product', flags.product),
    env: nonEmpty('--env', flags.env),
    node: node?.trim(),
    top: flags.top === undefined ? undefined : parseTop(flags.top),
  };
  auditWindow(request.since, now); // --since checked here, before any connection
  return { request, format };
}

/** The manifest's nodes (only what the audit tables' place and compiled paths need), or undefined. */
async function manifestNodes(file: string): Promise<Record<string, Record<string, unknown>> | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    const kept = await readKept(file, {
      nodes: ['schema', 'alias', 'package_name', 'original_file_path', 'path', 'compiled_path'],
    });
    return kept.nodes as Record<string, Record<string, unknown>>;
  } catch {
    return undefined; // It only refines where the tables are and the failures' paths.
  }
}

/** The target's audit tables, the sink that reads them, and the failures' compiled paths. */
export interface AuditSource {
  reader: AskOptions['reader'];
  tables: AskOptions['tables'];
  compiledPath: AskOptions['compiledPath'];
}

/** Opens what every audit question reads (shared with `dbt-run audit report`). */
export async function openAuditSource(
  flags: ProjectFlags & AuditRedshiftFlags,
  io: RunnerIo,
  deps: AuditQueryDeps = {},
): Promise<AuditSource> {
  const projectDir = path.resolve(io.cwd, flags.projectDir ?? '.');
  const project = await readProjectFile(projectDir, io.env);
  const target = await resolveTarget({
    projectDir,
    profilesDir: flags.profilesDir ? path.resolve(io.cwd, flags.profilesDir) : undefined,
    target: flags.target,
    env: io.env,
  });
  const targetPath = project.targetPath;
  const nodes = await manifestNodes(path.join(path.resolve(projectDir, targetPath), 'manifest.json'));
  const product = await readProductManifest(projectDir);
  const tables = auditTablesFor({
    projectName: project.name,
    targetSchema: target.fields.schema,
    nodes: nodes as Parameters<typeof auditTablesFor>[0]['nodes'],
    declared: product?.audit,
  });
  const sink = await sinkForTarget({
    target,
    tables,
    projectDir,
    env: io.env,
    redshift: redshiftOverrides(product, auditRedshiftFlags(flags)),
    redshiftClient: deps.redshiftClient,
    dataApiOptions: deps.dataApiOptions,
  });
  if (!sink)
    throw new UsageError(
      `dbt-run audit reads DuckDB, Postgres and Redshift targets; target ${target.targetName} is ${target.type}`,
    );
  const compiledPath: AskOptions['compiledPath'] = (uniqueId) => {
    const node = nodes?.[uniqueId];
    return node ? compiledPathOf(node, targetPath) : undefined;
  };
  return { reader: sink, tables, compiledPath };
}

export async function runAuditQuestion(
  name: QuestionName,
  args: readonly string[],
  flags: AuditQueryFlags,
  io: RunnerIo,
  deps: AuditQueryDeps = {},
): Promise<number> {
  const question: QuestionDefinition | undefined = QUESTIONS.find((candidate) => candidate.name === name);
  if (!question) throw new UsageError(`no audit question ${name}`);
  const { request, format } = checkQueryFlags(name, args, flags, (deps.now ?? (() => new Date()))());
  const { reader, tables, compiledPath } = await openAuditSource(flags, io, deps);
  const answer = await ask(question, { reader, tables, request, compiledPath });
  if (answer.rows.length === 0) {
    // The answer itself in a table; beside the (empty) machine output on stderr.
    if (format === 'table') {
      io.stdout.write(`${answer.nothing}\n`);
      return 0;
    }
    io.stderr.write(`${answer.nothing}\n`);
  }
  io.stdout.write(renderRows(format, answer.rows, answer.columns));
  return 0;
}
