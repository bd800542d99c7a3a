/**
 * `--resume`: a run tried again by its orchestrator (an MWAA Serverless or
 * Airflow task retry, a cleared DAG run, a re-run GitHub workflow) builds only
 * what an earlier try of the same run did not. The nodes the audit log records
 * as built or passed under this run id, product and target are left out of
 * dbt's selection, as `dbt retry` leaves out what succeeded; but read from the
 * audit log, because a new container or runner has no earlier target/ folder.
 * A scheduled Airflow run id (`scheduled__2026-12-02T00:00:00+00:00`) is the
 * same in every DAG: the product and target keep other products' rows out.
 */
import type { AuditReader } from '../audit/queries/ask.js';
import type { AuditReadQuery, AuditTables } from '../audit/sinks/types.js';
import { type SqlDialect, tableSql } from '../audit/sql.js';
import { auditTablesFor } from '../audit/tables.js';
import type { ResolvedTarget } from '../dbt/profiles.js';
import { UsageError } from '../errors.js';
import type { RunDependencies } from './types.js';

/** What an earlier try left behind that this one need not build again. */
export interface Resumed {
  runId: string;
  /** Nodes of the selection an earlier try built or passed. */
  leftOut: number;
  /**
   * dbt --select for what is left (exact fqns; empty: nothing is), or undefined when no earlier
   * try built anything, and the run goes as asked.
   */
  select?: string[] | undefined;
  /** Why nothing is left out, when the audit could not say: said to the user. */
  note?: string | undefined;
}

/** A node as `dbt ls` lists it for resuming. */
export interface ListedForResume {
  unique_id: string;
  fqn: readonly string[];
  resource_type: string;
}

/** What dbt builds (hooks, sources, exposures... are not): the nodes a try can leave done. */
const BUILT_TYPES = new Set(['model', 'seed', 'snapshot', 'test', 'unit_test']);

/** The statuses of a node done right: built (models, seeds, snapshots) or passed (tests). */
const DONE_STATUSES = ['success', 'pass'] as const;

/** The unique_ids an earlier try of this run built or passed (pure): hooks and freshness checks are not built. */
export function succeededNodesQuery(
  tables: Pick<AuditTables, 'log' | 'invocations'>,
  dialect: SqlDialect,
  facts: { runId: string; product: string; target: string },
): AuditReadQuery {
  const parameters = [
    { name: 'run_id', value: facts.runId },
    { name: 'product', value: facts.product },
    { name: 'target', value: facts.target },
  ];
  const bind = (name: string) =>
    dialect === 'redshift' ? `:${name}` : `$${parameters.findIndex((each) => each.name === name) + 1}`;
  const statuses = DONE_STATUSES.map((status) => `'${status}'`).join(', ');
  const sql = `select distinct n.unique_id
from ${tableSql(tables.log)} n
join ${tableSql(tables.invocations)} i on i.invocation_id = n.invocation_id
where i.run_id = ${bind('run_id')}
  and n.product_name = ${bind('product')}
  and n.target_name = ${bind('target')}
  and n.status in (${statuses})
  and n.resource_type not in ('operation', 'source')`;
  return { sql, parameters };
}

/**
 * What is left of the selection (pure): every listed node no earlier try built or passed, each
 * by its exact fqn, which matches that node and nothing beside it (a name alone would also match
 * a node of that name in a parent package, or every version of a model). The run then selects
 * exactly these with dbt's indirect selection off: a test of a done model and a failed one (a
 * relationship) stays in, where excluding the done model would have taken it out too.
 */
export function resumeSelection(
  listed: readonly ListedForResume[],
  done: ReadonlySet<string>,
): { select: string[]; leftOut: number } {
  const built = listed.filter((node) => BUILT_TYPES.has(node.resource_type));
  const left = built.filter((node) => !done.has(node.unique_id));
  return {
    select: [...new Set(left.map((node) => `fqn:${node.fqn.join('.')}`))].sort(),
    leftOut: built.length - left.length,
  };
}

/** The run id the audit rows of every try of this run carry (DBT_PRODUCT_RUN_ID, else GitHub's). */
async function currentRunId(env: NodeJS.ProcessEnv): Promise<string> {
  const { RUN_ORIGIN_ENV, runOrigin } = await import('../audit/origin.js');
  const runId = runOrigin(env).run_id;
  if (!runId)
    throw new UsageError(
      `--resume needs the run's id: set ${RUN_ORIGIN_ENV.runId} (the generated DAG and workflow do), or run under GitHub Actions`,
    );
  return runId;
}

/** The run being planned, as much of it as resuming reads. */
interface PlannedRun {
  projectName: string;
  target: ResolvedTarget;
}

export interface ResumeContext {
  /** The manifest's nodes (schema and alias: where the audit tables are), when there is one. */
  manifestNodes: () => Promise<Record<string, Record<string, unknown>> | undefined>;
  /** The sink that reads the target's audit tables (the runner's, in read mode). */
  openReader: (tables: AuditTables) => Promise<AuditReader | undefined>;
  /** `dbt ls` of the selection as asked. */
  listSelection: () => Promise<ListedForResume[]>;
  declaredAudit?: { schema: string; table: string } | undefined;
}

/** What an earlier try of this run already did, and what is left to select (the I/O shell). */
export async function planResume(
  plan: PlannedRun,
  deps: Pick<RunDependencies, 'env'>,
  context: ResumeContext,
): Promise<Resumed> {
  const runId = await currentRunId(deps.env);
  const tables = auditTablesFor({
    projectName: plan.projectName,
    targetSchema: plan.target.fields.schema,
    nodes: (await context.manifestNodes()) as Parameters<typeof auditTablesFor>[0]['nodes'],
    declared: context.declaredAudit,
  });
  const reader = await context.openReader(tables);
  if (!reader) return { runId, leftOut: 0, note: `no audit sink for ${plan.target.type} targets` };
  let rows: Awaited<ReturnType<AuditReader['read']>>;
  try {
    rows = await reader.read(
      succeededNodesQuery(tables, reader.dialect, {
        runId,
        product: plan.projectName,
        target: plan.target.targetName,
      }),
    );
  } catch (error) {
    // No audit table yet: no try of anything was recorded. Otherwise building all is safe, only slower.
    if ((error as { missingRelation?: boolean }).missingRelation) return { runId, leftOut: 0 };
    return { runId, leftOut: 0, note: `could not read the audit (${(error as Error).message.split('\n')[0]})` };
  }
  // The first try (the usual case) pays no dbt ls.
  if (rows.length === 0) return { runId, leftOut: 0 };
  const done = new Set(rows.map((row) => String(row[0])));
  return { runId, ...resumeSelection(await context.listSelection(), done) };
}

/** The line dbt-run says before dbt starts (pure). */
export function resumeLine(resumed: Resumed): string {
  if (resumed.note) return `--resume: ${resumed.note}: building everything selected`;
  if (!resumed.select) return `--resume: no earlier try of run ${resumed.runId} recorded: building everything selected`;
  const done = resumed.leftOut === 1 ? '1 node' : `${resumed.leftOut} nodes`;
  const left = resumed.select.length === 0 ? 'nothing left to build' : `building the ${resumed.select.length} left`;
  return `--resume: ${done} built or passed by an earlier try of run ${resumed.runId}: ${left}`;
}
