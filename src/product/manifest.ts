/**
 * `dbt-product.yml`: the product's own manifest, read by dbt-run, the DAG and
 * other products. This schema is its one definition: the scaffold writes
 * documents through it, and every reader validates through it.
 */
import { z } from 'zod';

export const PRODUCT_MANIFEST_FILE = 'dbt-product.yml';
export const PRODUCT_MANIFEST_VERSION = 1;

/** dbt's rule for project names, plus our length cap (schemas like `<name>_audit` must fit Postgres' 63 bytes). */
export const PRODUCT_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
export const PRODUCT_NAME_MAX_LENGTH = 40;

export const WAREHOUSES = ['redshift', 'redshift-serverless'] as const;
export const AUTH_METHODS = ['password', 'iam'] as const;
/** What schedules the product: a Cosmos DAG on MWAA, an MWAA Serverless workflow, or nothing generated. */
export const ORCHESTRATORS = ['mwaa', 'mwaa-serverless', 'none'] as const;
/**
 * How the MWAA DAG runs dbt: `watcher`, one `dbt build` per task group and DAG run, each node's
 * task taking that node's result (Cosmos ExecutionMode.WATCHER); `per-node`, one dbt process per
 * node's task (ExecutionMode.LOCAL).
 */
export const DAG_EXECUTIONS = ['watcher', 'per-node'] as const;

/**
 * How often the orchestrators (the MWAA DAG, the MWAA Serverless workflow) try a failed task again,
 * when dbt-product.yml does not say: twice, five minutes apart (Airflow's own default delay).
 */
export const DEFAULT_RETRIES = { count: 2, delay_seconds: 300 } as const;
/** Bounds that keep a typo from retrying for days: at most 10 retries, at most a day apart. */
export const MAX_RETRIES = 10;
export const MAX_RETRY_DELAY_SECONDS = 86_400;

const retries = z
  .object({
    /** Attempts after the first, per task (0: a failed task stays failed until cleared). */
    count: z.number().int().min(0).max(MAX_RETRIES).default(DEFAULT_RETRIES.count),
    /** Seconds between a task's failure and its next attempt. */
    delay_seconds: z.number().int().min(0).max(MAX_RETRY_DELAY_SECONDS).default(DEFAULT_RETRIES.delay_seconds),
  })
  // A misspelt key would otherwise fall back to a default unnoticed.
  .strict();

const topic = z.object({
  /** SNS topic ARN; the scaffold writes a placeholder to fill in. */
  topic_arn: z.string().min(1),
});

const alerts = topic.extend({
  /** Also alert when a test only warns (default: errors and test failures only). */
  include_warnings: z.boolean().optional(),
});

const environment = z.object({
  /** dbt target the environment runs (profiles.yml). */
  target: z.string().min(1),
  alerts: alerts.optional(),
  events: topic.optional(),
});

/** Where dbt-run writes the audit through the Redshift Data API, when the profile's host does not say. */
const redshiftAudit = z.object({
  cluster: z.string().min(1).optional(),
  workgroup: z.string().min(1).optional(),
  database: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  secret_arn: z.string().min(1).optional(),
  db_user: z.string().min(1).optional(),
  /** Provisioned: sign in as the caller's IAM identity instead of a database user. */
  iam_identity: z.boolean().optional(),
});

const upstream = z.object({
  /** dbt project name of the parent product. */
  name: z.string().regex(PRODUCT_NAME_PATTERN),
  /** Git URL of the parent's repository, without credentials. */
  git: z.string().min(1),
  /** Pinned commit (the full sha). */
  revision: z.string().min(1),
  /** The parent's completion events topic (its prod environment's), which this product's queue subscribes to. */
  events_topic_arn: z.string().min(1).optional(),
});

export const productManifestSchema = z.object({
  schema_version: z.literal(PRODUCT_MANIFEST_VERSION),
  name: z.string().regex(PRODUCT_NAME_PATTERN).max(PRODUCT_NAME_MAX_LENGTH),
  owner: z.string().min(1),
  description: z.string(),
  warehouse: z.object({
    type: z.enum(WAREHOUSES),
    auth: z.enum(AUTH_METHODS),
  }),
  orchestrator: z.enum(ORCHESTRATORS).default('mwaa'),
  /** How the MWAA DAG runs dbt (orchestrator mwaa only); absent means watcher. */
  execution: z.enum(DAG_EXECUTIONS).optional(),
  /**
   * Retries of the orchestrator's tasks (mwaa, mwaa-serverless); absent means DEFAULT_RETRIES, a key
   * left out its default. Nothing that succeeded is built again: the DAG never retries its one dbt
   * build (a retried node task runs dbt for its own node only).
   */
  retries: retries.optional(),
  environments: z.record(z.string(), environment),
  audit: z.object({
    /** Custom schema of the audit table (dbt makes it `<target schema>_<schema>`). */
    schema: z.string().min(1),
    table: z.string().min(1),
    redshift: redshiftAudit.optional(),
  }),
  upstream: z.array(upstream),
  /** What create-dbt-product generated: its version and a hash per file (upgrade merges against them). */
  kit: z
    .object({
      version: z.string().min(1),
      files: z.record(z.string(), z.string()),
    })
    .optional(),
});

export type ProductManifest = z.infer<typeof productManifestSchema>;
export type Warehouse = (typeof WAREHOUSES)[number];
export type AuthMethod = (typeof AUTH_METHODS)[number];
export type Orchestrator = (typeof ORCHESTRATORS)[number];
export type DagExecution = (typeof DAG_EXECUTIONS)[number];
export type Retries = z.infer<typeof retries>;

/** The retries the orchestrators use: the document's, else the defaults. */
export function retriesOf(manifest: Pick<ProductManifest, 'retries'>): Retries {
  return manifest.retries ?? { ...DEFAULT_RETRIES };
}

/** A topic ARN the scaffold wrote and nobody filled in yet. */
export function isPlaceholderArn(arn: string): boolean {
  return /:REGION:|:ACCOUNT_ID:/.test(arn);
}

/** The environment of dbt-product.yml that runs a dbt target, if one does. */
export function environmentForTarget(
  manifest: ProductManifest,
  targetName: string,
): { name: string; environment: ProductManifest['environments'][string] } | undefined {
  const found = Object.entries(manifest.environments).find(([, environment]) => environment.target === targetName);
  return found ? { name: found[0], environment: found[1] } : undefined;
}
