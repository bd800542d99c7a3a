/** Reading the local DuckDB warehouse with DuckDB's Node client (same engine version as dbt-duckdb's). */
import { DuckDBInstance, type Json } from '@duckdb/node-api';

export type DuckDbRow = Record<string, Json>;

/**
 * Runs one query on a DuckDB file and returns its rows as JSON values
 * (BIGINT as string, timestamps as ISO-like text). Opens read-only by
 * default: a DuckDB file takes one writer at a time, and dbt may be it.
 */
export async function queryDuckDb(
  file: string,
  sql: string,
  options: { readOnly?: boolean } = {},
): Promise<DuckDbRow[]> {
  const instance = await DuckDBInstance.create(file, {
    access_mode: options.readOnly === false ? 'READ_WRITE' : 'READ_ONLY',
  });
  try {
    const connection = await instance.connect();
    try {
      return (await connection.runAndReadAll(sql)).getRowObjectsJson();
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
