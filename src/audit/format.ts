/** Audit rows as a plain-text table for terminals and logs. */

export interface AuditTableRow {
  name?: unknown;
  resource_type?: unknown;
  status?: unknown;
  execution_time?: unknown;
  rows_affected?: unknown;
  message?: unknown;
}

const COLUMNS: { title: string; get(row: AuditTableRow): string; align?: 'right'; max?: number }[] = [
  { title: 'node', get: (row) => `${row.resource_type ?? ''} ${row.name ?? ''}`.trim(), max: 48 },
  { title: 'status', get: (row) => String(row.status ?? '') },
  {
    title: 'seconds',
    get: (row) => (row.execution_time == null ? '' : Number(row.execution_time).toFixed(2)),
    align: 'right',
  },
  { title: 'rows', get: (row) => (row.rows_affected == null ? '' : String(row.rows_affected)), align: 'right' },
  { title: 'message', get: (row) => String(row.message ?? '').replace(/\s+/g, ' '), max: 60 },
];

function cell(text: string, max = Number.POSITIVE_INFINITY): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Renders rows as an aligned text table with a header line. */
export function formatAuditTable(rows: AuditTableRow[]): string {
  const cells = rows.map((row) => COLUMNS.map((column) => cell(column.get(row), column.max)));
  const widths = COLUMNS.map((column, index) =>
    Math.max(column.title.length, ...cells.map((line) => line[index]?.length ?? 0)),
  );
  const render = (line: string[]) =>
    line
      .map((text, index) =>
        COLUMNS[index]?.align === 'right' ? text.padStart(widths[index] ?? 0) : text.padEnd(widths[index] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [
    render(COLUMNS.map((column) => column.title)),
    render(widths.map((width) => '-'.repeat(width))),
    ...cells.map(render),
  ].join('\n');
}
