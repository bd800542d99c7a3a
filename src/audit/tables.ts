/**
 * The audit tables, defined once: their dbt models, columns, Redshift table
 * design, where they live, which statuses count as failed, and the hook's
 * off switch. The sinks' DDL, the product's macros and models (rendered by
 * create-dbt-product: macros/audit/audit_schema.sql, models/audit/), the
 * views, the alerts and the READMEs all read these; nothing repeats them.
 */
import { AUDIT_COLUMNS, type AuditColumn, INVOCATION_COLUMNS } from './columns.js';
import type { AuditTables } from './sinks/types.js';

export interface AuditTableDefinition {
  /** The dbt model that creates the table (models/audit/<model>.sql). */
  readonly model: string;
  readonly columns: readonly AuditColumn[];
  /**
   * Redshift: COMPOUND SORTKEY. Almost every question is "recent runs", so
   * both tables sort by when the run started.
   */
  readonly sortKey: readonly string[];
}

export const AUDIT_TABLES = {
  log: { model: 'dbt_audit_log', columns: AUDIT_COLUMNS, sortKey: ['invocation_started_at', 'unique_id'] },
  invocations: { model: 'dbt_audit_invocations', columns: INVOCATION_COLUMNS, sortKey: ['started_at'] },
} as const satisfies Record<keyof AuditTables, AuditTableDefinition>;

/**
 * Redshift DISTSTYLE of both tables: AUTO, as they are small for a long
 * time, then large, and no join key dominates analysts' queries.
 */
export const AUDIT_DIST_STYLE = 'auto';

/** The Redshift table options of an audit table, as its DDL and the product's macros write them. */
export function redshiftTableOptions(table: AuditTableDefinition): string {
  return `diststyle ${AUDIT_DIST_STYLE}${table.sortKey.length ? ` compound sortkey (${table.sortKey.join(', ')})` : ''}`;
}

/** The audit models' custom schema: dbt puts them in `<target schema>_<this>` (dbt-product.yml audit.schema). */
export const DEFAULT_AUDIT_SCHEMA = 'audit';

/** Node statuses that count as failed: errors of any node (a test that could not run too) and failing tests. */
export const FAILED_STATUSES = ['error', 'fail', 'runtime error'] as const;

export function isFailedStatus(status: unknown): boolean {
  return (FAILED_STATUSES as readonly unknown[]).includes(status);
}

/**
 * The on-run-end hook's off switch. dbt-run sets the environment variable
 * when it records the audit itself: an environment variable, not a var,
 * because dbt re-parses the whole project when --vars change but reads
 * env_var() in the hook only at execution. The var switches it off too.
 */
export const AUDIT_HOOK_SWITCH = {
  env: 'DBT_PRODUCT_KIT_AUDIT_HOOK',
  var: 'audit_hook_enabled',
  /** What dbt-run sets. */
  offValue: 'off',
  /** Values (any case) that switch it off, in the variable or the var. */
  offValues: ['false', '0', 'no', 'off'],
} as const;

/** What decides where the audit tables are, from the most to the least certain. */
export interface AuditLocationSources {
  projectName: string;
  /** The target's schema (profiles.yml), which dbt prefixes custom schemas with; `public` when unset. */
  targetSchema: unknown;
  /** The audit models as dbt compiled them (manifest.json): where dbt really put them. */
  nodes?: Readonly<Record<string, { schema?: string | null; alias?: string | null } | undefined>> | undefined;
  /** dbt-product.yml's audit section: the custom schema and the log table's name. */
  declared?: { schema: string; table: string } | undefined;
}

/**
 * Where the audit tables are (pure): the audit models' relations when dbt
 * compiled them, else what dbt-product.yml declares (dbt's default naming,
 * `<target schema>_<audit.schema>`), else the defaults. The hook reads the
 * same models' relations (audit_relation()).
 */
/** The unique_ids of a project's audit models in manifest.json (pure). */
export function auditModelIds(projectName: string): string[] {
  return Object.values(AUDIT_TABLES).map((table) => `model.${projectName}.${table.model}`);
}

export function auditTablesFor(sources: AuditLocationSources): AuditTables {
  const schema = `${String(sources.targetSchema ?? 'public')}_${sources.declared?.schema ?? DEFAULT_AUDIT_SCHEMA}`;
  const ref = (key: keyof AuditTables) => {
    const model = AUDIT_TABLES[key].model;
    const node = sources.nodes?.[`model.${sources.projectName}.${model}`];
    const declaredTable = key === 'log' ? sources.declared?.table : undefined;
    return { schema: node?.schema ?? schema, table: node?.alias ?? declaredTable ?? model };
  };
  return { log: ref('log'), invocations: ref('invocations') };
}
