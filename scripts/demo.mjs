#!/usr/bin/env node
// The README's first command (npm run demo): scaffold a demo product into a
// fresh ./demo directory, build it with the real dbt on the embedded DuckDB
// target through dbt-run, and print the audit log it recorded. Exits with dbt-run's exit code.
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createProduct, ensureVenv, formatAuditTable, normaliseOptions, queryDuckDb } from '../dist/index.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const demoDir = path.join(root, 'demo');
const log = (line) => console.log(`[demo] ${line}`);

const venv = await ensureVenv({ onProgress: log });
log(`dbt from ${venv.dir}${venv.built ? ' (just built)' : ''}`);

await rm(demoDir, { recursive: true, force: true });
await mkdir(demoDir, { recursive: true });
const options = normaliseOptions({ dir: 'orders', owner: 'demo@example.com', git: false }, demoDir);
const product = await createProduct(options);
log(`scaffolded ${product.files.length} files into ${path.relative(root, product.dir)}`);

// A warehouse file of the demo's own, so every run starts from nothing.
const warehouse = path.join(demoDir, 'warehouse.duckdb');
const env = { ...process.env, DBT_PRODUCT_DUCKDB_PATH: warehouse };
log('dbt-run build (dbt build on the local DuckDB target, audit recorded after dbt exits)');
const dbtRun = path.join(root, 'packages/dbt-run/bin/dbt-run.js');
const build = await execa(process.execPath, [dbtRun, 'build', '--project-dir', product.dir], {
  cwd: product.dir,
  env,
  stdio: 'inherit',
  reject: false,
});

const runResults = JSON.parse(await readFile(path.join(product.dir, 'target', 'run_results.json'), 'utf8'));
const invocationId = runResults.metadata.invocation_id;
const rows = await queryDuckDb(
  warehouse,
  `select name, resource_type, status, execution_time, rows_affected, message
   from orders_audit.dbt_audit_log
   where invocation_id = '${invocationId}'
   order by started_at, name`,
);
console.log(`\nAudit log of invocation ${invocationId} (${rows.length} rows, ${warehouse}):\n`);
console.log(formatAuditTable(rows));
const [invocation] = await queryDuckDb(
  warehouse,
  // BIGINT columns come back from DuckDB's reader as strings (they may pass 2^53): the counts are
  // small, so they are cast to integers and the line shows numbers, as the invocation row holds them.
  `select command, status, exit_code::integer as exit_code, nodes_total::integer as nodes_total,
          git_sha, git_dirty::integer as git_dirty, elapsed_seconds
   from orders_audit.dbt_audit_invocations
   where invocation_id = '${invocationId}'`,
);
console.log(`\nInvocation: ${JSON.stringify(invocation)}`);

// What an analyst asks next, through dbt-run's own audit questions.
console.log('\ndbt-run audit runs:\n');
await execa(process.execPath, [dbtRun, 'audit', 'runs'], { cwd: product.dir, env, stdio: 'inherit', reject: false });
const productDir = path.relative(root, product.dir);
console.log(
  `\nExplore (dbt-run exit code ${build.exitCode}): cd ${productDir} && export DBT_PRODUCT_DUCKDB_PATH=${path.relative(product.dir, warehouse)}`,
);
console.log(
  'then: npx dbt-run audit runs | failures | slowest | history <node> | flaky | freshness (--format json|csv)',
);
process.exitCode = build.exitCode;
