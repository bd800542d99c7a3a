/**
 * HTML pieces the report is built from (pure). Every value that came from
 * the audit log (node names, messages, URLs) is user text: it is escaped
 * where it becomes HTML, and made inert where it becomes a script's JSON.
 * Tables are plain HTML, readable without JavaScript; cells carry the raw
 * value the page's script sorts by.
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text (or an attribute value) as HTML. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] as string);
}

/**
 * A value as the body of `<script type="application/json">`: JSON where no
 * `<`, `>` or `&` is left (so no `</script>` or `<!--` can end or change the
 * element), nor the two line separators some parsers treat as line ends.
 */
export function jsonScriptText(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Only http(s) links become anchors: a `javascript:` run_url stays text. */
export function safeUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** `2026-12-01T13:45:00Z` → `2026-12-01 13:45` (every time in the report is UTC, as the heading says). */
export function shortTime(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, 16).replace('T', ' ') : '';
}

/** How a cell shows its value; `bar` is a percentage drawn as a CSS bar (no script needed). */
export type CellKind =
  | 'text'
  | 'integer'
  | 'number'
  | 'seconds'
  | 'percent'
  | 'bar'
  | 'time'
  | 'link'
  | 'status'
  | 'code';

const NUMERIC_KINDS: readonly CellKind[] = ['integer', 'number', 'seconds', 'percent', 'bar'];

export interface TableColumn<Row> {
  label: string;
  kind: CellKind;
  value(row: Row): unknown;
}

function cellText(kind: CellKind, value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  switch (kind) {
    case 'integer':
      return Number(value).toLocaleString('en-US');
    case 'number':
      return Number(value).toFixed(3);
    case 'seconds':
      return `${Number(value).toFixed(Number(value) < 10 ? 2 : 1)} s`;
    case 'percent':
      return `${Number(value) > 0 ? '+' : ''}${Number(value).toFixed(1)} %`;
    case 'time':
      return escapeHtml(shortTime(value));
    default:
      return escapeHtml(value);
  }
}

function cell(kind: CellKind, value: unknown): string {
  const numeric = NUMERIC_KINDS.includes(kind);
  const sortValue = value === null || value === undefined ? '' : String(value);
  const attributes = `data-sort="${escapeHtml(sortValue)}"${numeric ? ' class="num"' : ''}`;
  if (kind === 'link') {
    const url = safeUrl(value);
    if (url) return `<td ${attributes}><a href="${escapeHtml(url)}" rel="noopener noreferrer">run</a></td>`;
  }
  if (kind === 'status' && value) {
    const status = String(value);
    return `<td ${attributes}><span class="status status-${escapeHtml(status.replace(/[^a-z]+/gi, '-'))}">${escapeHtml(status)}</span></td>`;
  }
  if (kind === 'bar') {
    const percent = Math.min(100, Math.max(0, Number(value) || 0));
    return `<td ${attributes}><span class="bar" aria-hidden="true"><span style="width:${percent}%"></span></span> ${percent} %</td>`;
  }
  if (kind === 'code') return `<td ${attributes}><code>${cellText(kind, value)}</code></td>`;
  return `<td ${attributes}>${cellText(kind, value)}</td>`;
}

/**
 * A table: a header row the script makes sortable (`data-kind` says how to
 * compare), one row per item. Empty: the `nothing` sentence instead.
 */
export function renderTable<Row>(
  id: string,
  columns: readonly TableColumn<Row>[],
  rows: readonly Row[],
  nothing: string,
): string {
  if (rows.length === 0) return `<p class="nothing" id="${escapeHtml(id)}-nothing">${escapeHtml(nothing)}</p>`;
  const head = columns
    .map(
      (column) =>
        `<th scope="col" data-kind="${NUMERIC_KINDS.includes(column.kind) ? 'number' : 'text'}"${NUMERIC_KINDS.includes(column.kind) ? ' class="num"' : ''}>${escapeHtml(column.label)}</th>`,
    )
    .join('');
  const body = rows
    .map((row) => `<tr>${columns.map((column) => cell(column.kind, column.value(row))).join('')}</tr>`)
    .join('\n');
  return `<table id="${escapeHtml(id)}" class="data"><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}
