import { describe, expect, it } from 'vitest';
import { runOrigin } from '../../src/audit/origin.js';
import { auditRows, auditTimestamp, invocationRow } from '../../src/audit/rows.js';
import { parseRunResults, runResultsVersionWarning } from '../../src/dbt/artifacts.js';

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
