/**
 * The hook and the runner map a result to a row by the same rules. One
 * invocation of the real dbt is recorded twice: by the product's on-run-end
 * hook (in dbt) and by dbt-run's steps after dbt (collect → record-audit,
 * through the real sink, into a second schema). Read back from the
 * warehouse, the rows agree column by column.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_COLUMNS, INVOCATION_COLUMNS } from '../../src/audit/columns.js';
import { runOriginFor } from '../../src/audit/origin.js';
import { auditTablesFor } from '../../src/audit/tables.js';
import { readManifest, readRunResults } from '../../src/dbt/artifacts.js';
import { resolveTarget } from '../../src/dbt/profiles.js';
import { collectResults } from '../../src/run/collect.js';
import type { Execution } from '../../src/run/execute.js';
import { emptyProgress } from '../../src/run/progress.js';
import { recordAudit } from '../../src/run/record-audit.js';
import { runDbt, scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { WAREHOUSES } from '../harness/warehouse.js';

/** Columns that differ by what they are: who wrote the row, and when it was written. */
const WRITER_COLUMNS = new Set(['recorded_by', 'recorded_at']);
/**
 * When the invocation started by dbt's clock: the hook has dbt's run_started_at, the runner
 * run_results.json's invocation_started_at; dbt takes the two microseconds apart at start-up.
 */
const DBT_CLOCK_COLUMNS = new Set(['invocation_started_at']);
/**
 * The invocation row's columns each writer times by its own clock: dbt-run times the dbt
 * process, the hook dbt's run from run_started_at to on-run-end.
 */
const PROCESS_CLOCK_COLUMNS = new Set(['started_at', 'completed_at', 'elapsed_seconds', 'recorded_at']);

let product: TestProduct;
beforeAll(async () => {
  product = await scaffoldTestProduct({ name: 'parity' });
  // A node with meta and tags to serialise (non-ASCII, nested, unsorted keys) and a failing test.
  await writeFile(
    path.join(product.dir, 'models', 'marts', 'parity_meta.sql'),
    `{{ config(materialized='table', tags=['nightly', 'Zoë'], meta={'tier': 1, 'owner': 'Zoë "data"', 'nested': {'b': [1, 'x\\\\y'], 'a': true}}) }}\nselect 1 as id\n`,
  );
  await mkdir(path.join(product.dir, 'tests'), { recursive: true });
  await writeFile(
    path.join(product.dir, 'tests', 'parity_always_fails.sql'),
    "select 1 as id, 'it''s \\\\ red' as why\n",
  );
});
afterAll(() => product?.cleanup());

describe.each(WAREHOUSES)('the hook and the runner on $label', (warehouse) => {
  it('record the same invocation as the same rows', async () => {
    const env = {
      DBT_PRODUCT_GIT_SHA: '0123abcd',
      DBT_PRODUCT_RUN_URL: 'https://ci.example/runs/7',
      DBT_PRODUCT_RUN_ID: 'scheduled__2026-12-02T03:00:00+00:00',
      // The hook knows the local user from the environment only; dbt-run reads it there first.
      USER: 'parity-user',
    };
    const build = await runDbt(product, ['build', '--target', warehouse.target], env);
    expect(build.exitCode, build.output).toBe(1); // the failing test

    // The runner's steps after dbt, over the same invocation's artifacts.
    const targetDir = path.join(product.dir, 'target');
    const runResults = await readRunResults(path.join(targetDir, 'run_results.json'));
    const invocationId = runResults.metadata.invocation_id;
    const progress = emptyProgress();
    progress.invocationId = invocationId;
    const execution: Execution = {
      progress,
      startedAt: new Date(),
      completedAt: new Date(),
      dbtVersion: runResults.metadata.dbt_version ?? null,
      status: 'failed',
      exitCode: 1,
      errorMessage: null,
      interrupted: false,
      killed: false,
      manifestRead: readManifest(path.join(targetDir, 'manifest.json')),
    };
    const runEnv = { ...process.env, ...product.env, ...env };
    const target = await resolveTarget({ projectDir: product.dir, target: warehouse.target, env: runEnv });
    const collected = await collectResults(
      targetDir,
      execution,
      {
        productName: 'parity',
        targetName: target.targetName,
        command: 'build',
        selection: '',
        origin: await runOriginFor(product.dir, runEnv),
      },
      () => new Date(),
    );
    const hookTables = auditTablesFor({
      projectName: 'parity',
      targetSchema: target.fields.schema,
      nodes: collected.auditModels,
    });
    const runnerTables = {
      log: { schema: `${hookTables.log.schema}_runner`, table: hookTables.log.table },
      invocations: { schema: `${hookTables.log.schema}_runner`, table: hookTables.invocations.table },
    };
    const recorded = await recordAudit(
      { runnerAudit: true, targetDir, projectDir: product.dir, target, dbtEnv: runEnv },
      collected.batch,
      runnerTables,
    );
    expect(recorded.error).toBeNull();

    // Every column as the warehouse itself spells it (text): no driver rounding of timestamps or floats.
    const columns = AUDIT_COLUMNS.map(({ name }) => `cast(${name} as varchar) as ${name}`).join(', ');
    const read = (table: { schema: string; table: string }) =>
      warehouse.query(
        product,
        `select ${columns} from "${table.schema}"."${table.table}" where invocation_id = '${invocationId}' order by unique_id`,
      );
    // The hook cannot record its own operation: the runner's row for it is the only extra one.
    const hookRows = await read(hookTables.log);
    const runnerRows = (await read(runnerTables.log)).filter((row) => row.resource_type !== 'operation');
    expect(hookRows.length).toBeGreaterThan(10);
    expect(runnerRows.map((row) => row.unique_id)).toEqual(hookRows.map((row) => row.unique_id));

    const text = (value: unknown) => (value == null ? null : String(value));
    hookRows.forEach((hook, index) => {
      const runner = runnerRows[index] as Record<string, unknown>;
      for (const { name } of AUDIT_COLUMNS) {
        if (WRITER_COLUMNS.has(name) || DBT_CLOCK_COLUMNS.has(name)) continue;
        expect(text(runner[name]), `${hook.unique_id}.${name}`).toBe(text(hook[name]));
      }
      expect(hook.recorded_by).toBe('hook');
      expect(runner.recorded_by).toBe('runner');
      const started = (row: Record<string, unknown>) =>
        Date.parse(`${String(row.invocation_started_at).replace(' ', 'T')}Z`);
      expect(Math.abs(started(runner) - started(hook)), `${hook.unique_id}.invocation_started_at`).toBeLessThan(1000);
    });

    // What the comparison covered: the meta, tags, failing test and origin variables really reached the rows.
    const meta = hookRows.find((row) => row.unique_id === 'model.parity.parity_meta');
    expect(JSON.parse(String(meta?.meta))).toEqual({
      nested: { a: true, b: [1, 'x\\y'] },
      owner: 'Zoë "data"',
      tier: 1,
    });
    expect(JSON.parse(String(meta?.tags))).toEqual(['nightly', 'Zoë']);
    const failed = hookRows.find((row) => row.unique_id === 'test.parity.parity_always_fails');
    expect(failed).toMatchObject({ status: 'fail', git_sha: '0123abcd', run_url: 'https://ci.example/runs/7' });

    // The invocation row: the hook writes dbt-run's, so a run without dbt-run (an orchestrator) has one too.
    const invocationColumns = INVOCATION_COLUMNS.map(({ name }) => `cast(${name} as varchar) as ${name}`).join(', ');
    const readInvocation = async (table: { schema: string; table: string }) =>
      warehouse.query(
        product,
        `select ${invocationColumns} from "${table.schema}"."${table.table}" where invocation_id = '${invocationId}'`,
      );
    const [hookInvocation, ...moreHook] = await readInvocation(hookTables.invocations);
    const [runnerInvocation, ...moreRunner] = await readInvocation(runnerTables.invocations);
    expect([moreHook, moreRunner]).toEqual([[], []]);
    for (const { name } of INVOCATION_COLUMNS) {
      if (PROCESS_CLOCK_COLUMNS.has(name)) continue;
      expect(text(hookInvocation?.[name]), `invocation.${name}`).toBe(text(runnerInvocation?.[name]));
    }
    expect(hookInvocation).toMatchObject({
      command: 'build',
      status: 'failed',
      run_id: 'scheduled__2026-12-02T03:00:00+00:00',
      run_url: 'https://ci.example/runs/7',
      actor: 'parity-user',
    });
    // Nodes, the hook not among them: as many as the hook's node rows.
    expect(Number(hookInvocation?.nodes_total)).toBe(hookRows.length);
    expect(Number(hookInvocation?.nodes_fail)).toBe(1);
    const seconds = Number(hookInvocation?.elapsed_seconds);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(600);
  });
});
