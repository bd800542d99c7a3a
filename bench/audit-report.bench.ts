/**
 * `dbt-run audit report` on a large audit log (npm run bench; node rows from
 * BENCH_AUDIT_ROWS, default 100,000): 200 invocations over the last 30 days,
 * each running 400 models, 90 tests (some flapping, some models erroring)
 * and 10 source freshness checks, written through the DuckDB and Postgres
 * sinks as a run writes them (test/harness/audit-history.ts's seedBatch).
 * Then the whole command in-process (project, profile, sink, seven
 * questions, render, atomic write), timed the first time and as the median
 * of BENCH_AUDIT_REPEATS more; and the file's size. Goal: ≤ 5 s and ≤ 5 MB.
 * Results: bench/results/audit-report.json (or BENCH_AUDIT_REPORT_RESULTS).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, inject, it } from 'vitest';
import { DuckDbAuditSink } from '../src/audit/sinks/duckdb.js';
import { PostgresAuditSink } from '../src/audit/sinks/postgres.js';
import type { AuditSink, AuditTables } from '../src/audit/sinks/types.js';
import { main } from '../src/run/cli.js';
import { kitVersion } from '../src/version.js';
import { type SeedNode, type SeedRun, seedBatch } from '../test/harness/audit-history.js';
import { scaffoldTestProduct } from '../test/harness/product.js';
import { median, seconds } from './stats.js';

const ROWS = Number(process.env.BENCH_AUDIT_ROWS ?? 100_000);
const REPEATS = Number(process.env.BENCH_AUDIT_REPEATS ?? 5);
const MODELS = 400;
const TESTS = 90;
const SOURCES = 10;
const PER_RUN = MODELS + TESTS + SOURCES;
const GOAL_S = 5;
const GOAL_MB = 5;
const RESULTS = path.resolve(
  process.env.BENCH_AUDIT_REPORT_RESULTS ?? fileURLToPath(new URL('./results/audit-report.json', import.meta.url)),
);

/** Run `index`'s nodes: deterministic noise, a model error now and then, tests that flap. */
function nodes(index: number): SeedNode[] {
  const result: SeedNode[] = [];
  for (let model = 0; model < MODELS; model++) {
    const failed = (index * 7 + model * 13) % 997 === 0;
    result.push({
      unique_id: `model.shop.m_${model}`,
      name: `m_${model}`,
      resource_type: 'model',
      status: failed ? 'error' : 'success',
      execution_time: (model % 50) / 10 + ((index * 7919 + model * 104_729) % 1000) / 1000,
      rows_affected: model * 10 + (index % 7),
      ...(failed ? { message: `Database Error in model m_${model}: division by zero` } : {}),
    });
  }
  for (let test = 0; test < TESTS; test++) {
    const failed = (index * 31 + test * 17) % 23 === 0;
    result.push({
      unique_id: `test.shop.t_${test}`,
      name: `t_${test}`,
      resource_type: 'test',
      status: failed ? 'fail' : 'pass',
      execution_time: 0.05,
      failures: failed ? 3 : 0,
      ...(failed ? { message: 'Got 3 results, configured to fail if != 0' } : {}),
    });
  }
  for (let source = 0; source < SOURCES; source++)
    result.push({
      unique_id: `source.shop.raw.s_${source}`,
      name: `s_${source}`,
      resource_type: 'source',
      status: (index + source) % 9 === 0 ? 'warn' : 'pass',
      execution_time: 0.1,
    });
  return result;
}

/** ROWS node rows: ROWS / PER_RUN invocations spread evenly over the last 30 days. */
function history(): SeedRun[] {
  const invocations = Math.ceil(ROWS / PER_RUN);
  const spanHours = 30 * 24 - 2;
  return Array.from({ length: invocations }, (_, index) => ({
    invocationId: `bench-${String(index).padStart(4, '0')}`,
    product: 'shop',
    target: 'prod',
    hoursAgo: 1 + (spanHours * index) / invocations,
    elapsed: 60 + (index % 17),
    runUrl: `https://github.com/acme/shop/actions/runs/${5000 + index}`,
    nodes: nodes(index).slice(0, Math.max(0, ROWS - index * PER_RUN)),
  }));
}

it('audit report on 100,000 node rows, DuckDB and Postgres', async () => {
  const product = await scaffoldTestProduct({ name: 'shop' });
  const base = new Date(Math.floor(Date.now() / 1000) * 1000);
  const runs = history();
  const rows = runs.reduce((sum, run) => sum + run.nodes.length, 0);
  const results: { command_median_s: number; file_bytes: number }[] = [];
  try {
    const warehouses: { name: string; target: string; schema: string; sink: (tables: AuditTables) => AuditSink }[] = [
      {
        name: 'DuckDB',
        target: 'local',
        schema: `b_${randomBytes(4).toString('hex')}`,
        sink: (tables) => new DuckDbAuditSink(product.duckdbPath, tables),
      },
      {
        name: 'Postgres',
        target: 'postgres',
        schema: `b_${randomBytes(4).toString('hex')}`,
        sink: (tables) => new PostgresAuditSink(inject('postgres'), tables),
      },
    ];
    for (const warehouse of warehouses) {
      const sink = warehouse.sink({
        log: { schema: `${warehouse.schema}_audit`, table: 'dbt_audit_log' },
        invocations: { schema: `${warehouse.schema}_audit`, table: 'dbt_audit_invocations' },
      });
      const load_s = await seconds(async () => {
        for (const run of runs) await sink.write(seedBatch(run, base));
      });
      const out = path.join(product.dir, `report-${warehouse.name}.html`);
      const command = async () => {
        let stdout = '';
        let stderr = '';
        const code = await main(['audit', 'report', '--out', out, '--target', warehouse.target], {
          stdout: { write: (text: string) => (stdout += text) },
          stderr: { write: (text: string) => (stderr += text) },
          env: { ...product.env, DBT_SCHEMA: warehouse.schema },
          cwd: product.dir,
        });
        expect(code, stderr).toBe(0);
        expect(stdout).toContain(`audit report: ${runs.length} runs since`);
      };
      const first_s = await seconds(command);
      const commands: number[] = [];
      for (let round = 0; round < REPEATS; round++) commands.push(await seconds(command));
      const bytes = (await stat(out)).size;
      const entry = {
        warehouse: warehouse.name,
        rows,
        invocations: runs.length,
        load_s,
        first_s,
        command_median_s: median(commands),
        command_max_s: Math.max(...commands),
        file_bytes: bytes,
        within_goal: Math.max(first_s, median(commands)) <= GOAL_S && bytes <= GOAL_MB * 1e6,
      };
      console.log(JSON.stringify(entry));
      results.push(entry);
    }
  } finally {
    await product.cleanup();
  }
  await mkdir(path.dirname(RESULTS), { recursive: true });
  await writeFile(
    RESULTS,
    `${JSON.stringify(
      {
        benchmark: 'audit-report',
        kit_version: kitVersion(),
        measured_at: new Date().toISOString(),
        machine: { cpus: os.cpus().length, node: process.version },
        goal: { seconds: GOAL_S, megabytes: GOAL_MB, rows: ROWS },
        repeats: REPEATS,
        note: `command: dbt-run audit report --out (default --since 30d) in-process: project, profile, target, sink, seven questions, render, atomic write. Rows: ${MODELS} models, ${TESTS} tests and ${SOURCES} source checks per invocation over 30 days.`,
        results,
      },
      null,
      2,
    )}\n`,
  );
  // Recorded first, judged after: a missed goal is in the results file too.
  for (const entry of results) {
    expect(entry.command_median_s).toBeLessThanOrEqual(GOAL_S);
    expect(entry.file_bytes).toBeLessThanOrEqual(GOAL_MB * 1e6);
  }
});
