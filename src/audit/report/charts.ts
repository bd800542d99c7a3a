/**
 * The report's charts as data (pure): x values (Unix seconds, ascending) and
 * one series of y values per line, the shape uPlot draws. The page's script
 * only hands these to uPlot; every choice (buckets, which nodes, colours) is
 * made here, where it is tested.
 */
import type { FailuresRow, RunsRow } from '../queries/questions.js';
import type { AuditWindow } from '../queries/window.js';
import type { DurationTrendRow } from './questions.js';

export interface ChartSeries {
  label: string;
  color: string;
  /** What is drawn: for stacked bars, this series' value plus every one after it. */
  values: (number | null)[];
  /** Stacked bars: the series' own values, which the legend shows. */
  own?: number[];
}

export interface ChartSpec {
  id: string;
  title: string;
  yLabel: string;
  /**
   * points: one dot per value (the run timeline); lines: dots joined, gaps
   * spanned; stacked: bars, the first series on top (drawn first, tallest).
   */
  style: 'points' | 'lines' | 'stacked';
  x: number[];
  series: ChartSeries[];
}

/** Invocation statuses, in the order their series are drawn; an unknown one is grey. */
export const STATUS_COLORS: Record<string, string> = {
  success: '#2e7d32',
  failed: '#c62828',
  error: '#8e24aa',
  interrupted: '#ef6c00',
};
const OTHER_COLOR = '#757575';

/** Distinct lines: a colour-blind-friendly set (Okabe and Ito), then grey for "other". */
export const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000', '#f0e442'];

/** How many failing nodes the failures chart draws apart; the rest share one line. */
export const FAILURE_LINES = 7;

const seconds = (iso: string | null) => (iso ? Math.floor(Date.parse(iso) / 1000) : Number.NaN);

/** Each run a dot: when it started, how long it took, coloured by how it ended. */
export function timelineChart(runs: readonly RunsRow[]): ChartSpec {
  const sorted = runs
    .filter((run) => Number.isFinite(seconds(run.started_at)))
    .sort((a, b) => seconds(a.started_at) - seconds(b.started_at));
  const statuses = [...new Set(sorted.map((run) => run.status ?? 'unknown'))].sort((a, b) => {
    const order = Object.keys(STATUS_COLORS);
    const rank = (status: string) => (order.includes(status) ? order.indexOf(status) : order.length);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  return {
    id: 'chart-timeline',
    title: 'Run timeline',
    yLabel: 'seconds',
    style: 'points',
    x: sorted.map((run) => seconds(run.started_at)),
    series: statuses.map((status) => ({
      label: status,
      color: STATUS_COLORS[status] ?? OTHER_COLOR,
      values: sorted.map((run) => ((run.status ?? 'unknown') === status ? (run.elapsed_seconds ?? 0) : null)),
    })),
  };
}

/** Hours for a window of two days or less, days beyond. */
export function bucketSeconds(window: AuditWindow): number {
  return window.until.getTime() - window.since.getTime() <= 2 * 86_400_000 ? 3600 : 86_400;
}

/**
 * Failed runs per node per bucket over the whole window (zeros included, so
 * a quiet day shows as one), as stacked bars: the nodes that failed most
 * each a colour, the rest summed as "other nodes". Stacked, as lines of
 * nodes that failed on the same days would hide each other.
 */
export function failuresChart(failures: readonly FailuresRow[], window: AuditWindow): ChartSpec {
  const size = bucketSeconds(window);
  const first = Math.floor(window.since.getTime() / 1000 / size) * size;
  const last = Math.floor((window.until.getTime() - 1) / 1000 / size) * size;
  const x: number[] = [];
  for (let bucket = first; bucket <= last; bucket += size) x.push(bucket);
  const totals = new Map<string, number>();
  for (const row of failures) totals.set(String(row.unique_id), (totals.get(String(row.unique_id)) ?? 0) + 1);
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const apart = ranked.length > FAILURE_LINES + 1 ? ranked.slice(0, FAILURE_LINES) : ranked;
  const lineOf = new Map(apart.map(([node], index) => [node, index]));
  const series: ChartSeries[] = apart.map(([node], index) => ({
    label: node,
    color: PALETTE[index % PALETTE.length] as string,
    values: x.map(() => 0),
  }));
  if (apart.length < ranked.length)
    series.push({ label: `other nodes (${ranked.length - apart.length})`, color: OTHER_COLOR, values: x.map(() => 0) });
  for (const row of failures) {
    const at = seconds(row.started_at);
    if (!Number.isFinite(at)) continue;
    const index = Math.floor((at - first) / size);
    if (index < 0 || index >= x.length) continue;
    const line = series[lineOf.get(String(row.unique_id)) ?? series.length - 1] as ChartSeries;
    (line.values[index] as number)++;
  }
  // Each bar reaches the sum of its own series and those below it (drawn after, over it).
  for (const line of series) line.own = [...(line.values as number[])];
  for (let at = series.length - 2; at >= 0; at--) {
    const line = series[at] as ChartSeries;
    const below = series[at + 1] as ChartSeries;
    line.values = line.values.map((value, index) => (value as number) + (below.values[index] as number));
  }
  return {
    id: 'chart-failures',
    title: `Failures by node, per ${size === 3600 ? 'hour' : 'day'}`,
    yLabel: 'failed runs',
    style: 'stacked',
    x,
    series,
  };
}

/** Each run of the slowest models: one line per model, in the order `slowest` ranks them. */
export function trendChart(trend: readonly DurationTrendRow[], order: readonly string[]): ChartSpec {
  const x = [...new Set(trend.map((row) => seconds(row.started_at)).filter(Number.isFinite))].sort((a, b) => a - b);
  const position = new Map(x.map((value, index) => [value, index]));
  const nodes = [...new Set(trend.map((row) => String(row.unique_id)))].sort((a, b) => {
    const rank = (node: string) => (order.includes(node) ? order.indexOf(node) : order.length);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  const series: ChartSeries[] = nodes.map((node, index) => ({
    label: node,
    color: PALETTE[index % PALETTE.length] as string,
    values: x.map(() => null),
  }));
  const seriesOf = new Map(nodes.map((node, index) => [node, series[index] as ChartSeries]));
  for (const row of trend) {
    const index = position.get(seconds(row.started_at));
    const line = seriesOf.get(String(row.unique_id));
    if (index !== undefined && line) line.values[index] = row.execution_seconds;
  }
  return {
    id: 'chart-duration',
    title: 'Duration of the slowest models',
    yLabel: 'seconds',
    style: 'lines',
    x,
    series,
  };
}
