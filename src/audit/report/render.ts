/**
 * The report as one HTML file (pure: data and the chart library in, a string
 * out). Everything is inline: uPlot's script and style, the page's script,
 * the data as JSON. A Content-Security-Policy lets only those two scripts
 * run (by hash) and forbids every request, so the page works offline and a
 * node name that slipped through escaping still could not run or fetch.
 */
import { createHash } from 'node:crypto';
import type { FailuresRow, FlakyRow, FreshnessRow, RunsRow, SlowestRow } from '../queries/questions.js';
import type { ReportAssets } from './assets.js';
import { type ChartSpec, failuresChart, timelineChart, trendChart } from './charts.js';
import { CLIENT_SCRIPT } from './client.js';
import { isEmptyReport, type ReportData } from './gather.js';
import { escapeHtml, jsonScriptText, renderTable, shortTime, type TableColumn } from './html.js';
import type { RowsAffectedRow } from './questions.js';
import { PAGE_STYLE } from './style.js';

const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

function page(title: string, body: string, scripts: readonly string[], assets: Pick<ReportAssets, 'chartStyle'>) {
  const policy = [
    "default-src 'none'",
    `script-src ${scripts.length ? scripts.map(hash).join(' ') : "'none'"}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${policy}">
<title>${escapeHtml(title)}</title>
<style>${assets.chartStyle}</style>
<style>${PAGE_STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

function heading(data: ReportData): string {
  const filters = [
    data.filters.product ? `product ${escapeHtml(data.filters.product)}` : '',
    data.filters.env ? `target ${escapeHtml(data.filters.env)}` : '',
  ].filter(Boolean);
  const since = shortTime(data.window.since.toISOString());
  const until = shortTime(data.window.until.toISOString());
  return `<header>
<h1>dbt audit report</h1>
<p class="meta">Last ${escapeHtml(data.window.label)}: ${escapeHtml(since)} to ${escapeHtml(until)} UTC${filters.length ? `, ${filters.join(', ')}` : ''}.
Read from ${escapeHtml(data.source.kind)} (<code>${escapeHtml(data.source.invocations)}</code>, <code>${escapeHtml(data.source.log)}</code>); generated ${escapeHtml(shortTime(data.generatedAt))} UTC.</p>
</header>`;
}

function summary(runs: readonly RunsRow[]): string {
  const failed = runs.filter((run) => run.status !== 'success').length;
  const seconds = runs.map((run) => run.elapsed_seconds ?? 0).sort((a, b) => a - b);
  const median = seconds.length ? (seconds[Math.floor((seconds.length - 1) / 2)] as number) : 0;
  const tile = (label: string, value: string, id: string) =>
    `<div class="tile" id="${id}"><span class="value">${escapeHtml(value)}</span><span class="label">${escapeHtml(label)}</span></div>`;
  return `<section class="tiles">${[
    tile('runs', String(runs.length), 'tile-runs'),
    tile('did not succeed', String(failed), 'tile-failed'),
    tile('median run time', `${median.toFixed(1)} s`, 'tile-median'),
  ].join('')}</section>`;
}

function chartBlock(spec: ChartSpec, drawn: ChartSpec[], nothing: string): string {
  if (spec.x.length === 0 || spec.series.length === 0) return `<p class="nothing">${escapeHtml(nothing)}</p>`;
  drawn.push(spec);
  return `<div class="chart" id="${spec.id}" role="img" aria-label="${escapeHtml(spec.title)}"></div>
<noscript><p class="nothing">The chart needs JavaScript; the table below holds the same figures.</p></noscript>`;
}

/** The latest failure of each node that failed, most failures first. */
function failingNodes(failures: readonly FailuresRow[]) {
  const nodes = new Map<string, { latest: FailuresRow; count: number }>();
  for (const row of failures) {
    const entry = nodes.get(String(row.unique_id));
    if (entry) entry.count++;
    else nodes.set(String(row.unique_id), { latest: row, count: 1 }); // rows come newest first
  }
  return [...nodes.values()].sort(
    (a, b) => b.count - a.count || String(a.latest.unique_id).localeCompare(String(b.latest.unique_id)),
  );
}

const FAILING_COLUMNS: TableColumn<ReturnType<typeof failingNodes>[number]>[] = [
  { label: 'node', kind: 'code', value: (row) => row.latest.unique_id },
  { label: 'failures', kind: 'integer', value: (row) => row.count },
  { label: 'last failed', kind: 'time', value: (row) => row.latest.started_at },
  { label: 'status', kind: 'status', value: (row) => row.latest.status },
  { label: 'message', kind: 'text', value: (row) => row.latest.message },
  { label: 'compiled SQL', kind: 'code', value: (row) => row.latest.compiled_path },
  { label: 'link', kind: 'link', value: (row) => row.latest.run_url },
];

const SLOWEST_COLUMNS: TableColumn<SlowestRow>[] = [
  { label: 'model', kind: 'code', value: (row) => row.unique_id },
  { label: 'runs', kind: 'integer', value: (row) => row.runs },
  { label: 'median', kind: 'seconds', value: (row) => row.median_seconds },
  { label: 'p95', kind: 'seconds', value: (row) => row.p95_seconds },
  { label: 'median before', kind: 'seconds', value: (row) => row.previous_median_seconds },
  { label: 'change', kind: 'percent', value: (row) => row.change_percent },
];

const FLAKY_COLUMNS: TableColumn<FlakyRow>[] = [
  { label: 'test', kind: 'code', value: (row) => row.unique_id },
  { label: 'runs', kind: 'integer', value: (row) => row.runs },
  { label: 'flips', kind: 'integer', value: (row) => row.flips },
  { label: 'flip rate', kind: 'number', value: (row) => row.flip_rate },
  { label: 'last status', kind: 'status', value: (row) => row.last_status },
  { label: 'last run', kind: 'time', value: (row) => row.last_run_at },
];

const FRESHNESS_COLUMNS: TableColumn<FreshnessRow>[] = [
  { label: 'source', kind: 'code', value: (row) => row.unique_id },
  { label: 'status', kind: 'status', value: (row) => row.status },
  { label: 'checked', kind: 'time', value: (row) => row.checked_at },
  { label: 'target', kind: 'text', value: (row) => row.target_name },
  { label: 'message', kind: 'text', value: (row) => row.message },
  { label: 'link', kind: 'link', value: (row) => row.run_url },
];

function rowsAffectedColumns(rows: readonly RowsAffectedRow[]): TableColumn<RowsAffectedRow>[] {
  const most = Math.max(1, ...rows.map((row) => row.total_rows ?? 0));
  return [
    { label: 'model', kind: 'code', value: (row) => row.unique_id },
    { label: 'runs', kind: 'integer', value: (row) => row.runs },
    { label: 'latest run', kind: 'integer', value: (row) => row.last_rows },
    { label: 'in the window', kind: 'integer', value: (row) => row.total_rows },
    // A bar drawn by CSS alone: readable without the script.
    {
      label: 'share',
      kind: 'bar',
      value: (row) => Math.round((1000 * (row.total_rows ?? 0)) / most) / 10,
    },
    { label: 'last run', kind: 'time', value: (row) => row.last_run_at },
  ];
}

const INVOCATION_COLUMNS: TableColumn<RunsRow>[] = [
  { label: 'started', kind: 'time', value: (row) => row.started_at },
  { label: 'product', kind: 'text', value: (row) => row.product_name },
  { label: 'target', kind: 'text', value: (row) => row.target_name },
  { label: 'command', kind: 'text', value: (row) => row.command },
  { label: 'status', kind: 'status', value: (row) => row.status },
  { label: 'seconds', kind: 'seconds', value: (row) => row.elapsed_seconds },
  { label: 'nodes', kind: 'integer', value: (row) => row.nodes_total },
  { label: 'failed', kind: 'integer', value: (row) => row.nodes_failed },
  { label: 'skipped', kind: 'integer', value: (row) => row.nodes_skipped },
  { label: 'invocation', kind: 'code', value: (row) => row.invocation_id },
  { label: 'link', kind: 'link', value: (row) => row.run_url },
];

const section = (id: string, title: string, content: string) =>
  `<section id="${id}">\n<h2>${escapeHtml(title)}</h2>\n${content}\n</section>`;

/** The page for an audit log with nothing in the window: what to run to fill it. */
export function renderEmptyReport(data: ReportData, assets: Pick<ReportAssets, 'chartStyle'>): string {
  const body = `${heading(data)}
<section id="empty">
<h2>Nothing recorded yet</h2>
<p class="nothing">${escapeHtml(data.nothing)}.</p>
<p>Every <code>dbt-run build</code> (or run, test, seed, snapshot) records its invocation and nodes in the audit log;
run one, or widen the window with <code>--since</code> (e.g. <code>dbt-run audit report --since 90d</code>).</p>
</section>`;
  return page('dbt audit report: nothing recorded', body, [], assets);
}

/** The whole report page. */
export function renderReport(data: ReportData, assets: ReportAssets): string {
  if (isEmptyReport(data)) return renderEmptyReport(data, assets);
  const charts: ChartSpec[] = [];
  const order = data.slowest.map((row) => String(row.unique_id));
  const body = [
    heading(data),
    summary(data.runs),
    section(
      'timeline',
      'Run timeline',
      `<p>Each run: when it started, how long it took, coloured by how it ended.</p>
${chartBlock(timelineChart(data.runs), charts, 'No runs in the window.')}`,
    ),
    section(
      'failures',
      'Failures by node over time',
      `${data.failures.length ? chartBlock(failuresChart(data.failures, data.window), charts, '') : ''}
${renderTable('failing-nodes', FAILING_COLUMNS, failingNodes(data.failures), 'No node failed in the window.')}`,
    ),
    section(
      'slowest',
      'Duration trend of the slowest models',
      `${chartBlock(trendChart(data.trend, order), charts, 'No successful model runs in the window.')}
${renderTable('slowest-models', SLOWEST_COLUMNS, data.slowest, 'No successful model runs in the window.')}`,
    ),
    section(
      'flaky',
      'Flaky tests',
      `<p>Tests whose status changed from one run to the next (skipped runs left out).</p>
${renderTable('flaky-tests', FLAKY_COLUMNS, data.flaky, 'No test changed status in the window.')}`,
    ),
    section(
      'freshness',
      'Source freshness',
      renderTable('source-freshness', FRESHNESS_COLUMNS, data.freshness, 'No source freshness checks in the window.'),
    ),
    section(
      'rows',
      'Rows affected per model',
      renderTable(
        'rows-affected',
        rowsAffectedColumns(data.rowsAffected),
        data.rowsAffected,
        'No successful model runs in the window.',
      ),
    ),
    section(
      'runs',
      'Invocations',
      `<p><input type="search" id="invocation-search" placeholder="Search runs: product, status, invocation id..." aria-label="Search runs" hidden> <span id="invocation-count">${data.runs.length} runs</span></p>
${renderTable('invocations', INVOCATION_COLUMNS, data.runs, 'No runs in the window.')}`,
    ),
    `<footer>Charts drawn with ${escapeHtml(assets.chartLibrary)} (MIT), inlined. Times are UTC.</footer>`,
  ].join('\n');
  const dataScript = `<script type="application/json" id="report-data">${jsonScriptText({ charts })}</script>`;
  const scripts = [assets.chartScript, CLIENT_SCRIPT];
  return page(
    'dbt audit report',
    `${body}\n${dataScript}\n${scripts.map((script) => `<script>${script}</script>`).join('\n')}`,
    scripts,
    assets,
  );
}
