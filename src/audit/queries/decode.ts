/**
 * Result values as each driver gives them (DuckDB's JSON values, pg's
 * strings for bigint and numeric, the Data API's typed fields) made one typed
 * row (pure): numbers as numbers, floats rounded to their column's digits,
 * timestamps as ISO 8601 UTC. The same rows whichever warehouse answered.
 */
import type { ResultColumn } from './questions.js';

/** One value as read: what a driver returns for a cell. */
export type RawValue = string | number | bigint | boolean | null | undefined;

function decodeValue(value: RawValue, column: ResultColumn): string | number | null {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'integer':
      return Number(value);
    case 'float': {
      const number = Number(value);
      if (!Number.isFinite(number)) return null;
      const scale = 10 ** (column.digits ?? 3);
      // Rounded to its digits, and -0 made 0.
      return Math.round(number * scale) / scale || 0;
    }
    case 'timestamp':
      // `2026-12-01 13:45:00` (the SQL's text) → `2026-12-01T13:45:00Z`.
      return `${String(value).slice(0, 19).replace(' ', 'T')}Z`;
    default:
      return String(value);
  }
}

/** Rows of values in the columns' order → objects keyed by column name. */
export function decodeRows<Row>(raw: readonly (readonly RawValue[])[], columns: readonly ResultColumn[]): Row[] {
  return raw.map(
    (values) =>
      Object.fromEntries(columns.map((column, index) => [column.name, decodeValue(values[index], column)])) as Row,
  );
}
