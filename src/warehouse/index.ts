export type { DuckDbRow } from './duckdb.js';
export { queryDuckDb } from './duckdb.js';
