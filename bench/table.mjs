#!/usr/bin/env node
// Prints the README's runner benchmark table from bench/results/runner.json
// (or the file given): `node bench/table.mjs [results.json]`; given
// bench/results/uploads.json, the concurrent uploads tables; given
// bench/results/audit-queries.json, the audit slowest table; given
// bench/results/audit-report.json, the audit report table; given
// bench/results/dag-run.json or airflow.json, the DAG run or parse table.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? new URL('./results/runner.json', import.meta.url);
const results = JSON.parse(readFileSync(file, 'utf8'));

/** A Markdown table: the first column left-aligned, the others right-aligned. */
function printTable(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row) =>
    `| ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ')} |`;
  console.log(line(rows[0]));
  console.log(
    `| ${widths.map((width, column) => (column === 0 ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`,
  );
  for (const row of rows.slice(1)) console.log(line(row));
}

// `node bench/table.mjs bench/results/audit-queries.json`: dbt-run audit slowest on a large log.
if (results.benchmark === 'audit-queries') {
  const s = (value) => `${value.toFixed(3)} s`;
  printTable([
    ['warehouse', 'rows', 'load', 'first query', 'query (median)', 'command (median)', 'command (max)', 'goal'],
    ...results.results.map((entry) => [
      entry.warehouse,
      entry.rows.toLocaleString('en-US'),
      `${entry.load_s.toFixed(1)} s`,
      s(entry.first_query_s),
      s(entry.query_median_s),
      s(entry.command_median_s),
      s(entry.command_max_s),
      entry.within_goal ? `≤ ${results.goal.slowest_s} s: met` : `≤ ${results.goal.slowest_s} s: missed`,
    ]),
  ]);
  process.exit(0);
}
// `node bench/table.mjs bench/results/audit-report.json`: dbt-run audit report on a large log.
if (results.benchmark === 'audit-report') {
  const s = (value) => `${value.toFixed(2)} s`;
  const { seconds, megabytes } = results.goal;
  printTable([
    [
      'warehouse',
      'node rows',
      'invocations',
      'load',
      'first report',
      'report (median)',
      'report (max)',
      'file',
      'goal',
    ],
    ...results.results.map((entry) => [
      entry.warehouse,
      entry.rows.toLocaleString('en-US'),
      String(entry.invocations),
      `${entry.load_s.toFixed(1)} s`,
      s(entry.first_s),
      s(entry.command_median_s),
      s(entry.command_max_s),
      `${(entry.file_bytes / 1e6).toFixed(2)} MB`,
      entry.within_goal ? `≤ ${seconds} s, ≤ ${megabytes} MB: met` : `≤ ${seconds} s, ≤ ${megabytes} MB: missed`,
    ]),
  ]);
  process.exit(0);
}
// `node bench/table.mjs bench/results/dag-run.json`: the generated DAG's run time against one dbt build (issue 18).
if (results.benchmark === 'dag-run') {
  const s = (value) => `${value.toFixed(1)} s`;
  const ratio = (value) => `${value.toFixed(2)}×`;
  const range = (values) => `${ratio(Math.min(...values))}–${ratio(Math.max(...values))}`;
  const goal = results.goals.dag_run_ratio_over_floor;
  printTable([
    [
      'models',
      'tasks',
      'rounds',
      '`dbt build`',
      'DAG run',
      'floor',
      'DAG run / build',
      '(DAG run − floor) / build',
      'per round',
      'dbt processes',
      'load average',
      'goal',
    ],
    ...results.sizes.map((size) => {
      const loads = size.samples.map((sample) => sample.load_average[0]);
      return [
        size.models.toLocaleString('en-US'),
        String(size.tasks),
        String(size.rounds),
        s(size.dbt_build_s),
        s(size.dag_run_s),
        s(size.floor_s),
        ratio(size.dag_run_ratio),
        ratio(size.dag_run_ratio_over_floor),
        range(size.dag_run_ratio_over_floor_rounds),
        String(size.dbt_processes_per_dag_run),
        `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
        size.within_goal ? `≤ ${goal}: met` : `≤ ${goal}: missed`,
      ];
    }),
  ]);
  process.exit(0);
}
// `node bench/table.mjs bench/results/airflow.json`: the generated DAG's parse time (issue 18's bounds).
if (results.benchmark === 'airflow-dag-parse') {
  const s = (value) => `${value.toFixed(2)} s`;
  printTable([
    [
      'models',
      'tasks',
      'Airflow (processor)',
      'DagBag',
      'project load',
      'task build',
      'process',
      'runs',
      'load average',
      'goal',
    ],
    ...results.sizes.map((size) => {
      const manifest = size.dbt_manifest;
      const loads = manifest.samples.map((sample) => sample.load_average[0]);
      return [
        size.models.toLocaleString('en-US'),
        size.tasks.toLocaleString('en-US'),
        s(manifest.processor_s),
        s(manifest.dagbag_s),
        s(manifest.cosmos_load_s),
        s(manifest.cosmos_build_s),
        s(manifest.process_s),
        String(manifest.samples.length),
        `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
        size.goal_processor_s === null ? '' : `≤ ${size.goal_processor_s} s: ${size.within_goal ? 'met' : 'missed'}`,
      ];
    }),
  ]);
  process.exit(0);
}
// `node bench/table.mjs bench/results/uploads.json`: the concurrent uploads benchmark's two tables.
if (results.benchmark === 'uploads') {
  const count = (value) => value.toLocaleString('en-US');
  printTable([
    ['sink, round', 'uploads', 'invocations', 'failed uploads', 'invocations not exactly once', 'wall', 'rows/s'],
    ...results.rounds.map((round) => [
      `${round.sink}, ${round.round} ids`,
      `${round.uploads} × ${count(round.nodes_per_upload)}`,
      String(round.invocations),
      String(round.failed_uploads),
      String(round.not_exactly_once.length),
      `${round.wall_s.toFixed(1)} s`,
      count(round.rows_per_s),
    ]),
  ]);
  console.log('');
  printTable([
    ['sink', 'nodes', 'manifest.json', 'collect', 'write', 'rows/s', 'peak RSS after collect', 'peak RSS', 'goal'],
    ...results.record.map((entry) => [
      entry.sink,
      count(entry.nodes),
      `${(entry.manifest_bytes / 1e6).toFixed(0)} MB`,
      `${entry.collect_s.toFixed(1)} s`,
      `${entry.write_s.toFixed(1)} s`,
      count(entry.rows_per_s),
      `${entry.collect_peak_rss_mb} MB`,
      `${entry.peak_rss_mb} MB`,
      entry.within_goal ? '≤ 300 MB: met' : '≤ 300 MB: missed',
    ]),
  ]);
  process.exit(0);
}
const seconds = (value, digits = 2) =>
  value === null || value === undefined ? '–' : `${value.toFixed(digits).replace('-0.00', '0.00')} s`;
const rows = [
  [
    'models',
    'warehouse',
    'rounds',
    'bare `dbt build`',
    'dbt JSON logs add',
    'dbt as dbt-run starts it adds',
    'hook adds',
    'dbt-run adds',
    'quiet / busy rounds',
    'dbt-run − its dbt',
    'dbt-run own time',
    'before dbt / after dbt',
    'its CPU while dbt runs',
    'own time + CPU while dbt runs',
    'record phase',
  ],
];
for (const build of results.builds) {
  rows.push([
    build.models.toLocaleString('en-US'),
    build.warehouse,
    String(build.rounds),
    seconds(build.bare_s, 1),
    seconds(build.dbt_json_log_added_s),
    seconds(build.launched_added_s),
    seconds(build.hook_added_s),
    seconds(build.runner_added_s),
    // Rounds beside a CPU-bound neighbour (busy) and without (quiet), when the run had both.
    build.busy_rounds ? `${seconds(build.runner_added_quiet_s)} / ${seconds(build.runner_added_busy_s)}` : '–',
    seconds(build.runner_minus_launched_s),
    seconds(build.runner_own_s),
    build.runner_before_dbt_s === undefined
      ? '–'
      : `${seconds(build.runner_before_dbt_s)} / ${seconds(build.runner_after_dbt_s)}`,
    seconds(build.runner_cpu_during_dbt_s),
    seconds(build.runner_accounted_s),
    seconds(build.runner_record_phase_s),
  ]);
}
const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
const line = (row) =>
  `| ${row.map((cell, column) => (column === 1 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ')} |`;
console.log(line(rows[0]));
console.log(
  `| ${widths.map((width, column) => (column === 1 ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`,
);
for (const row of rows.slice(1)) console.log(line(row));
if (results.selection) {
  const { models, changed_since_cold_s, changed_since_warm_s, dbt_ls_state_modified_s } = results.selection;
  const times = (value) => `${(dbt_ls_state_modified_s / value).toFixed(0)}×`;
  console.log(
    `\nSelection at ${models.toLocaleString('en-US')} models: dbt ls --select state:modified+ ${dbt_ls_state_modified_s.toFixed(2)} s; --changed-since ${changed_since_cold_s.toFixed(3)} s on a manifest no dbt-run indexed (${times(changed_since_cold_s)}), ${changed_since_warm_s.toFixed(3)} s after a dbt-run or an earlier selection (${times(changed_since_warm_s)})`,
  );
}
