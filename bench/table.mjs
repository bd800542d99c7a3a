#!/usr/bin/env node
// Prints the README's runner benchmark table from bench/results/runner.json
// (or the file given): `node bench/table.mjs [results.json]`.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? new URL('./results/runner.json', import.meta.url);
const results = JSON.parse(readFileSync(file, 'utf8'));
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
    'dbt-run − its dbt',
    'dbt-run own time',
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
    seconds(build.runner_minus_launched_s),
    seconds(build.runner_own_s),
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
