/**
 * Sinks by adapter type: the runner writes the audit to the warehouse the
 * target points at. Redshift (through the Data API) comes in its own module.
 * Each sink's client (a native DuckDB binding, pg) is loaded only when used:
 * it would otherwise add to every run's start-up.
 */
import path from 'node:path';
import type { ResolvedTarget } from '../../dbt/profiles.js';
import type { PostgresConnectionOptions } from './postgres.js';
import type { AuditSink, AuditTables } from './types.js';

export { auditJsonl, auditJsonlPath, writeAuditJsonl } from './jsonl.js';
export type { AuditBatch, AuditSink, AuditTables } from './types.js';
export { AuditWriteError } from './types.js';

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
};

type SinkFactory = (target: ResolvedTarget, tables: AuditTables, projectDir: string) => Promise<AuditSink>;

const SINKS: Record<string, SinkFactory> = {
  duckdb: async (target, tables, projectDir) => {
    const { DuckDbAuditSink } = await LOADERS.duckdb();
    return new DuckDbAuditSink(path.resolve(projectDir, String(target.fields.path ?? ':memory:')), tables);
  },
  postgres: async (target, tables) => {
    const { PostgresAuditSink } = await LOADERS.postgres();
    return new PostgresAuditSink(postgresConnectionOf(target), tables);
  },
};

/** The sink for a target's adapter, or undefined when the kit has none for it yet. */
export async function sinkForTarget(
  target: ResolvedTarget,
  tables: AuditTables,
  projectDir: string,
): Promise<AuditSink | undefined> {
  return SINKS[target.type]?.(target, tables, projectDir);
}

/** Starts loading a sink's client early (while dbt runs), so writing does not wait for it. */
export function preloadSink(type: string): void {
  LOADERS[type as keyof typeof LOADERS]?.().catch(() => {});
}

export function supportedSinkTypes(): string[] {
  return Object.keys(SINKS);
}
