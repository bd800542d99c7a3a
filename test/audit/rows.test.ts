import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runOrigin, runOriginFor } from '../../src/audit/origin.js';
import { auditRows, auditTimestamp, invocationRow } from '../../src/audit/rows.js';
import { parseRunResults, runResultsVersionWarning } from '../../src/dbt/artifacts.js';
import { commitAll } from '../harness/git.js';
import { tempDir } from '../harness/product.js';

describe('auditTimestamp', () => {
  it.each([
    ['2026-11-21T00:19:35.133327Z', '2026-11-21 00:19:35.133327'],
    ['2026-11-21T00:19:35Z', '2026-11-21 00:19:35.000000'],
    ['2026-11-21 00:19:35.1', '2026-11-21 00:19:35.100000'],
    ['not a time', null],
  ])('%s → %s', (input, output) => {
    expect(auditTimestamp(input)).toBe(output);
  });
});

describe('runOrigin', () => {
  it('reads GitHub Actions, Airflow and local runs', () => {
    expect(
      runOrigin({ GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'a/b', GITHUB_RUN_ID: '7', GITHUB_SHA: 's' }),
    ).toMatchObject({
      run_source: 'github',
      run_url: 'https://github.com/a/b/actions/runs/7',
      git_sha: 's',
    });
    expect(runOrigin({ AIRFLOW_CTX_DAG_ID: 'd', AIRFLOW_CTX_TASK_ID: 't', AIRFLOW_CTX_DAG_RUN_ID: 'r' })).toMatchObject(
      {
        run_source: 'airflow',
        run_id: 'r',
        actor: 'd.t',
      },
    );
    expect(runOrigin({}, { gitSha: 'l', user: 'me' })).toMatchObject({
      run_source: 'local',
      git_sha: 'l',
      actor: 'me',
    });
  });

  it("takes an orchestrator's word over what it detects: source, run id and link", () => {
    // The MWAA Serverless workflow's container, outside Airflow's task environment, is told.
    const told = { DBT_PRODUCT_RUN_SOURCE: 'airflow', DBT_PRODUCT_RUN_ID: 'scheduled__2026-12-02T03:00:00+00:00' };
    expect(runOrigin(told, { user: 'root' })).toMatchObject({
      run_source: 'airflow',
      run_id: 'scheduled__2026-12-02T03:00:00+00:00',
      run_url: null,
    });
    const url = 'https://airflow.example.com/dags/shop/runs/manual__1';
    expect(
      runOrigin({ AIRFLOW_CTX_DAG_ID: 'shop', AIRFLOW_CTX_DAG_RUN_ID: 'manual__1', DBT_PRODUCT_RUN_URL: url }),
    ).toMatchObject({ run_source: 'airflow', run_id: 'manual__1', run_url: url });
  });
});

describe('git_dirty: whether git_sha is what ran', () => {
  it("is the checkout's state only when git_sha is the checkout's HEAD", () => {
    expect(runOrigin({}, { gitSha: 'l', dirty: true })).toMatchObject({ git_sha: 'l', git_dirty: true });
    expect(runOrigin({}, { gitSha: 'l', dirty: false })).toMatchObject({ git_sha: 'l', git_dirty: false });
    // An orchestrator named another commit: the checkout says nothing of it.
    expect(runOrigin({ DBT_PRODUCT_GIT_SHA: 'o' }, { gitSha: 'l', dirty: true })).toMatchObject({
      git_sha: 'o',
      git_dirty: null,
    });
    expect(runOrigin({})).toMatchObject({ git_sha: null, git_dirty: null });
  });

  it('reads a real checkout: clean after a commit; dirty with a changed or an untracked file of the product', async () => {
    const repository = await tempDir();
    const product = path.join(repository, 'products', 'shop');
    await mkdir(path.join(product, 'models'), { recursive: true });
    await writeFile(path.join(product, 'models', 'a.sql'), 'select 1\n');
    await writeFile(path.join(repository, 'README.md'), 'monorepo\n');
    const sha = await commitAll(repository, 'first');
    expect(await runOriginFor(product, {})).toMatchObject({ git_sha: sha, git_dirty: false });
    // Another folder of the repository: not this product's files.
    await writeFile(path.join(repository, 'README.md'), 'changed\n');
    expect(await runOriginFor(product, {})).toMatchObject({ git_dirty: false });
    await writeFile(path.join(product, 'models', 'b.sql'), 'select 2\n');
    expect(await runOriginFor(product, {})).toMatchObject({ git_sha: sha, git_dirty: true });
    // Not a repository: unknown.
    expect(await runOriginFor(await tempDir(), {})).toMatchObject({ git_sha: null, git_dirty: null });
  });

  it('is 1, 0 or null in the invocation row, next to git_sha', () => {
    const context = {
      productName: 'shop',
      targetName: 'local',
      command: 'build',
      selection: '',
      dbtVersion: null,
      startedAt: new Date('2026-11-21T00:00:00Z'),
      completedAt: new Date('2026-11-21T00:00:02Z'),
      recordedAt: new Date('2026-11-21T00:00:03Z'),
    };
    const outcome = { status: 'success', exitCode: 0, errorMessage: null } as const;
    const row = (dirty: boolean | null) =>
      invocationRow('inv', undefined, { ...context, origin: runOrigin({}, { gitSha: 's', dirty }) }, outcome);
    expect(row(true)).toMatchObject({ git_sha: 's', git_dirty: 1 });
    expect(row(false)).toMatchObject({ git_sha: 's', git_dirty: 0 });
    expect(row(null)).toMatchObject({ git_sha: 's', git_dirty: null });
    const keys = Object.keys(row(true));
    expect(keys.indexOf('git_dirty')).toBe(keys.indexOf('git_sha') + 1);
  });
});

describe('rows from run_results', () => {
  const runResults = parseRunResults({
    metadata: {
      dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v5.json',
      invocation_id: 'inv',
      future_field: 1,
    },
    results: [
      {
        unique_id: 'model.shop.a',
        status: 'success',
        execution_time: 1.5,
        thread_id: 'Thread-1',
        adapter_response: { rows_affected: 3 },
        message: 'SELECT 3',
        failures: null,
        timing: [
          { name: 'compile', started_at: '2026-11-21T00:00:00.000000Z', completed_at: '2026-11-21T00:00:00.250000Z' },
          { name: 'execute', started_at: '2026-11-21T00:00:00.250000Z', completed_at: '2026-11-21T00:00:01.500000Z' },
        ],
      },
      {
        unique_id: 'test.shop.t.abc',
        status: 'fail',
        execution_time: 0.1,
        failures: 2,
        adapter_response: {},
        timing: [],
      },
    ],
  });
  const context = {
    productName: 'shop',
    targetName: 'local',
    command: 'build',
    selection: '',
    dbtVersion: '1.11.16',
    startedAt: new Date('2026-11-21T00:00:00Z'),
    completedAt: new Date('2026-11-21T00:00:02Z'),
    origin: runOrigin({}),
    recordedAt: new Date('2026-11-21T00:00:03Z'),
  };

  it('builds one row per result, without a manifest too', () => {
    const [model, test] = auditRows(runResults, undefined, context);
    expect(model).toMatchObject({
      load_id: 'inv.model.shop.a',
      name: 'a',
      resource_type: 'model',
      rows_affected: 3,
      compile_seconds: 0.25,
      execute_seconds: 1.25,
      started_at: '2026-11-21 00:00:00.000000',
      completed_at: '2026-11-21 00:00:01.500000',
      model_execution_date: '2026-11-21',
      recorded_by: 'runner',
    });
    expect(test).toMatchObject({ resource_type: 'test', status: 'fail', failures: 2, rows_affected: 0 });
  });

  it('counts statuses in the invocation row', () => {
    const row = invocationRow('inv', runResults, context, { status: 'failed', exitCode: 1, errorMessage: null });
    expect(row).toMatchObject({ nodes_total: 2, nodes_success: 1, nodes_fail: 1, exit_code: 1, elapsed_seconds: 2 });
  });

  it('reads run_results of a newer schema leniently, with a warning, and refuses one older than v4', () => {
    const newer = parseRunResults({
      metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v9.json', invocation_id: 'x' },
      results: [{ unique_id: 'model.p.a', status: 'success', timing: [], new_field: 1 }],
    });
    expect(newer.results[0]?.unique_id).toBe('model.p.a');
    expect(runResultsVersionWarning(newer)).toBe(
      'run_results.json has schema v9, newer than the v6 this dbt-run knows: read for the fields the audit uses; upgrade dbt-product-kit',
    );
    expect(runResultsVersionWarning(runResults)).toBeUndefined();
    expect(() =>
      parseRunResults({
        metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v3.json', invocation_id: 'x' },
        results: [],
      }),
    ).toThrow(/reads v4 and later/);
  });
});
