/**
 * A question's rows as people and machines read them (pure): an aligned
 * table (numbers to the right, long text cut, one line per row), JSON (one
 * array of objects) or CSV (RFC 4180, a header line, empty for null).
 */
import { UsageError } from '../../errors.js';
import type { ResultColumn } from './questions.js';

export const OUTPUT_FORMATS = ['table', 'json', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseFormat(text: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(text)) return text as OutputFormat;
  throw new UsageError(`--format ${JSON.stringify(text)} is not a format: use table, json or csv`);
}

/** Widest a text cell gets in a table; JSON and CSV keep the whole value. */
const MAX_CELL = 72;

type Row = Readonly<Record<string, unknown>>;

function tableCell(value: unknown, column: ResultColumn): string {
  if (value === null || value === undefined) return '';
  if (column.type === 'float' && typeof value === 'number') return value.toFixed(column.digits ?? 3);
  const text = String(value).replace(/\s+/g, ' ').trim();
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

const isNumeric = (column: ResultColumn) => column.type === 'integer' || column.type === 'float';

export function renderTable(rows: readonly Row[], columns: readonly ResultColumn[]): string {
  const cells = rows.map((row) => columns.map((column) => tableCell(row[column.name], column)));
  const widths = columns.map((column, index) =>
    Math.max(column.name.length, ...cells.map((line) => (line[index] as string).length)),
  );
  const line = (values: readonly string[]) =>
    values
      .map((value, index) => {
        const column = columns[index] as ResultColumn;
        const width = widths[index] as number;
        return isNumeric(column) ? value.padStart(width) : value.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return `${[line(columns.map((column) => column.name)), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n')}\n`;
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function renderCsv(rows: readonly Row[], columns: readonly ResultColumn[]): string {
  const lines = [
    columns.map((column) => csvField(column.name)),
    ...rows.map((row) => columns.map((column) => csvField(row[column.name]))),
  ];
  return lines.map((line) => `${line.join(',')}\r\n`).join('');
}

export function renderJson(rows: readonly Row[], columns: readonly ResultColumn[]): string {
  // Keys in the columns' order, whatever built the rows.
  const ordered = rows.map((row) =>
    Object.fromEntries(columns.map((column) => [column.name, row[column.name] ?? null])),
  );
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

export function renderRows(format: OutputFormat, rows: readonly Row[], columns: readonly ResultColumn[]): string {
  if (format === 'json') return renderJson(rows, columns);
  if (format === 'csv') return renderCsv(rows, columns);
  return renderTable(rows, columns);
}
