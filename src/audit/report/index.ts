/**
 * The audit report as a library: gather its data through any sink with
 * ask(), render the self-contained page (pure), with uPlot read from the
 * installed package. `dbt-run audit report` is these three and an atomic write.
 */
export { loadReportAssets, type ReportAssets } from './assets.js';
export { type ChartSeries, type ChartSpec, failuresChart, timelineChart, trendChart } from './charts.js';
export { type GatherOptions, gatherReport, isEmptyReport, type ReportData } from './gather.js';
export {
  DURATION_TREND,
  type DurationTrendRow,
  REPORT_SINCE,
  REPORT_TOP,
  ROWS_AFFECTED,
  type RowsAffectedRow,
} from './questions.js';
export { renderEmptyReport, renderReport } from './render.js';
