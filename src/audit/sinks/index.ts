/**
 * Sinks by adapter type: the runner writes the audit to the warehouse the
 * target points at (Redshift through the Data API). Each sink's client (a
 * native DuckDB binding, pg, the AWS SDK) is loaded only when used: it would
 * otherwise add to every run's start-up.
 */
import path from 'node:path';
import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { ResolvedTarget } from '../../dbt/profiles.js';
import type { DataApiOptions } from '../../redshift/data-api.js';
import type { DataApiOverrides } from '../../redshift/target.js';
import type { PostgresConnectionOptions } from './postgres.js';
import type { AuditDestination, AuditSink, AuditTables } from './types.js';

export { auditJsonl, auditJsonlPath, parseAuditJsonl, writeAuditJsonl } from './jsonl.js';
export {
  type ClaimedUpload,
  claimPath,
  claimSpooled,
  readClaimed,
  releaseAbandonedClaims,
  releaseClaimed,
  settleClaimed,
  spoolBatch,
  spoolClaimed,
  spooledIds,
  spoolPath,
} from './spool.js';
export type {
  AuditBatch,
  AuditDestination,
  AuditReadQuery,
  AuditReadRow,
  AuditSink,
  AuditTables,
} from './types.js';
export { AuditReadError, AuditWriteError } from './types.js';

/** The Postgres connection a dbt Postgres target describes (holds the password: never log it). */
export function postgresConnectionOf(target: ResolvedTarget): PostgresConnectionOptions {
  return {
    host: String(target.fields.host ?? 'localhost'),
    port: Number(target.fields.port ?? 5432),
    user: String(target.fields.user ?? ''),
    password: target.fields.password == null ? undefined : String(target.fields.password),
    database: String(target.fields.dbname ?? target.fields.database ?? ''),
  };
}

const LOADERS = {
  duckdb: () => import('./duckdb.js'),
  postgres: () => import('./postgres.js'),
  redshift: () => Promise.all([import('./redshift.js'), import('@aws-sdk/client-redshift-data')]),
};

/** What a sink is made from: the target, where the tables are, and for Redshift how to reach the Data API. */
export interface SinkContext {
  target: ResolvedTarget;
  tables: AuditTables;
  projectDir: string;
  env: NodeJS.ProcessEnv;
  /** dbt-product.yml's audit.redshift, then flags. */
  redshift?: DataApiOverrides | undefined;
  /** Tests inject a client (and faster polling); otherwise one is made from the environment. */
  redshiftClient?: RedshiftDataClient | undefined;
  dataApiOptions?: Partial<DataApiOptions> | undefined;
}

type SinkFactory = (context: SinkContext) => Promise<AuditSink>;

const SINKS: Record<string, SinkFactory> = {
  duckdb: async ({ target, tables, projectDir }) => {
    const { DuckDbAuditSink } = await LOADERS.duckdb();
    return new DuckDbAuditSink(path.resolve(projectDir, String(target.fields.path ?? ':memory:')), tables);
  },
  postgres: async ({ target, tables }) => {
    const { PostgresAuditSink } = await LOADERS.postgres();
    return new PostgresAuditSink(postgresConnectionOf(target), tables);
  },
  redshift: async ({ target, tables, env, redshift, redshiftClient, dataApiOptions }) => {
    const [{ RedshiftAuditSink }, { RedshiftDataClient }] = await LOADERS.redshift();
    const { dataApiTarget } = await import('../../redshift/target.js');
    const where = dataApiTarget(target.fields, redshift ?? {}, env);
    // The environment the runner was given (not necessarily process.env) picks the endpoint.
    const endpoint = env.AWS_ENDPOINT_URL_REDSHIFT_DATA ?? env.AWS_ENDPOINT_URL;
    const { awsTimeouts, requestHandlerOptions } = await import('../../aws/timeouts.js');
    const { boundCalls } = await import('../../aws/deadline.js');
    // Each call bounded, retries and credentials included: a DescribeStatement that never answers fails instead of hanging.
    const limits = awsTimeouts(env);
    const client =
      redshiftClient ??
      boundCalls(
        new RedshiftDataClient({
          region: where.region,
          requestHandler: requestHandlerOptions(limits),
          ...(endpoint ? { endpoint } : {}),
        }),
        limits,
      );
    return new RedshiftAuditSink(client, where, tables, dataApiOptions);
  },
};

/** Which sink and database a target's upload goes to (pure): a DuckDB file by its absolute path. */
export function sinkDatabaseOf(target: ResolvedTarget, projectDir: string): Omit<AuditDestination, 'tables'> {
  const { fields } = target;
  const database =
    target.type === 'duckdb'
      ? path.resolve(projectDir, String(fields.path ?? ':memory:'))
      : String(fields.dbname ?? fields.database ?? '');
  return { sink: target.type, database };
}

/** Where a target's upload goes (pure): its adapter, its database, the tables. */
export function destinationOf(target: ResolvedTarget, tables: AuditTables, projectDir: string): AuditDestination {
  return { ...sinkDatabaseOf(target, projectDir), tables };
}

/** The sink for a target's adapter, or undefined when the kit has none for it yet. */
export async function sinkForTarget(context: SinkContext): Promise<AuditSink | undefined> {
  return SINKS[context.target.type]?.(context);
}

/** Starts loading a sink's client early (while dbt runs), so writing does not wait for it. */
export function preloadSink(type: string): void {
  LOADERS[type as keyof typeof LOADERS]?.().catch(() => {});
}

export function supportedSinkTypes(): string[] {
  return Object.keys(SINKS);
}
