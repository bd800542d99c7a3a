/**
 * What a run says about its failures, planned from audit rows and manifest
 * nodes (pure): the compiled SQL's path as dbt writes it, the line where a
 * YAML file declares a generic test, the stored failing rows, which nodes
 * each failure skipped, and the lines people read (counts that say what they
 * count, a failure's block).
 */
import { describe, expect, it } from 'vitest';
import type { AuditRow } from '../../src/audit/columns.js';
import type { ManifestNode } from '../../src/dbt/artifacts.js';
import { compiledPathOf, planFailures, yamlTestLine, yamlTestLocation } from '../../src/run/failures.js';
import { auditText, countsText, failureLines, finalText } from '../../src/run/report-text.js';
import { nodeAndHookCounts } from '../../src/run/summary.js';

function node(uniqueId: string, extra: Partial<ManifestNode> = {}): ManifestNode {
  const [resourceType = 'model', packageName = 'shop', name = uniqueId] = uniqueId.split('.');
  return {
    unique_id: uniqueId,
    name,
    resource_type: resourceType,
    package_name: packageName,
    original_file_path: `models/${name}.sql`,
    path: `${name}.sql`,
    depends_on: { nodes: [] },
    tags: [],
    meta: {},
    config: {},
    ...extra,
  };
}

function row(uniqueId: string, status: string, extra: Partial<AuditRow> = {}): AuditRow {
  const [resourceType = 'model', , name = uniqueId] = uniqueId.split('.');
  return { unique_id: uniqueId, name, resource_type: resourceType, status, message: null, ...extra } as AuditRow;
}

describe('compiled SQL paths, as dbt writes them', () => {
  it('a file of its own, and a generic test inside its YAML file; none for a seed', () => {
    expect(compiledPathOf(node('model.shop.orders', { original_file_path: 'models/marts/orders.sql' }), 'target')).toBe(
      'target/compiled/shop/models/marts/orders.sql',
    );
    const generic = node('test.shop.unique_orders_id.ab12', {
      original_file_path: 'models/marts/_marts.yml',
      path: 'unique_orders_id.sql',
    });
    expect(compiledPathOf(generic, 'build/target')).toBe(
      'build/target/compiled/shop/models/marts/_marts.yml/unique_orders_id.sql',
    );
    expect(compiledPathOf(node('seed.shop.raw', { original_file_path: 'seeds/raw.csv' }), 'target')).toBeNull();
  });
});

describe('which failure skipped which node', () => {
  // broken → after_broken → after_after; checked (success) has a failing test → after_checked.
  const nodes = Object.fromEntries(
    [
      node('model.shop.broken'),
      node('model.shop.after_broken', { depends_on: { nodes: ['model.shop.broken'] } }),
      node('model.shop.after_after', { depends_on: { nodes: ['model.shop.after_broken'] } }),
      node('model.shop.checked'),
      node('test.shop.accepted_values_checked_id', {
        original_file_path: 'models/_models.yml',
        path: 'accepted_values_checked_id.sql',
        depends_on: { nodes: ['model.shop.checked'] },
      }),
      node('model.shop.after_checked', { depends_on: { nodes: ['model.shop.checked'] } }),
      node('model.shop.lonely'),
    ].map((entry) => [entry.unique_id, entry]),
  );
  const rows = [
    row('model.shop.broken', 'error', { message: 'Database Error' }),
    row('model.shop.after_broken', 'skipped'),
    row('model.shop.after_after', 'skipped'),
    row('model.shop.checked', 'success'),
    row('test.shop.accepted_values_checked_id', 'fail', {
      message: 'Got 1 result, configured to fail if != 0',
      relation_name: '"wh"."shop_dbt_test__audit"."accepted_values_checked_id"',
    }),
    row('model.shop.after_checked', 'skipped'),
    row('model.shop.lonely', 'skipped'),
    row('operation.shop.shop-on-run-end-0', 'success', { resource_type: 'operation' }),
  ];

  it('names each skipped node under the failure above it, through skipped ones and failed tests', () => {
    const report = planFailures(rows, nodes, 'target');
    expect(
      report.failures.map((failure) => [failure.uniqueId, failure.skipped.map((skipped) => skipped.name)]),
    ).toEqual([
      ['model.shop.broken', ['after_broken', 'after_after']],
      ['test.shop.accepted_values_checked_id', ['after_checked']],
    ]);
    expect(report.skippedUnexplained.map((skipped) => skipped.uniqueId)).toEqual(['model.shop.lonely']);
    expect(report.failures[1]).toMatchObject({
      file: 'models/_models.yml',
      line: null, // found in the YAML file by the collect step
      compiledPath: 'target/compiled/shop/models/_models.yml/accepted_values_checked_id.sql',
      failingRowsQuery: 'select * from "wh"."shop_dbt_test__audit"."accepted_values_checked_id"',
    });
    expect(report.failures[0]).toMatchObject({ line: 1, failingRowsQuery: null });
  });

  it('prints a block per failure: where, why, the compiled SQL, the failing rows, what it skipped', () => {
    const [broken, test] = planFailures(rows, nodes, 'target').failures;
    expect(failureLines(broken as NonNullable<typeof broken>)).toEqual([
      '✗ error model broken (models/broken.sql)',
      '    Database Error',
      '    compiled SQL: target/compiled/shop/models/broken.sql',
      '    skipped because of it (2): model after_broken, model after_after',
    ]);
    expect(failureLines({ ...(test as NonNullable<typeof test>), line: 12 })).toEqual([
      '✗ fail test accepted_values_checked_id (models/_models.yml:12)',
      '    Got 1 result, configured to fail if != 0',
      '    compiled SQL: target/compiled/shop/models/_models.yml/accepted_values_checked_id.sql',
      '    failing rows: select * from "wh"."shop_dbt_test__audit"."accepted_values_checked_id"',
      '    skipped because of it (1): model after_checked',
    ]);
    expect(failureLines({ ...(test as NonNullable<typeof test>), failingRowsQuery: null, skipped: [] })).toContain(
      '    failing rows: not stored (the test has no store_failures); the compiled SQL selects them',
    );
  });

  it('counts nodes apart from the on-run-end hook, and says what the audit rows are', () => {
    const { counts, hooks } = nodeAndHookCounts(rows);
    expect(countsText(counts, hooks)).toBe('7 nodes: 1 success, 1 error, 1 fail, 4 skipped; 1 hook: 1 success');
    expect(countsText({}, {})).toBe('no nodes');
    expect(auditText({ rows: 8, location: 'duckdb /w.duckdb', error: null, nodes: counts, hooks })).toBe(
      'audit: 8 rows written to duckdb /w.duckdb (7 nodes, 1 hook) with the invocation row',
    );
    // An errored run wrote no node row, but its invocation row.
    expect(auditText({ rows: 0, location: 'duckdb /w.duckdb', error: null, nodes: {}, hooks: {} })).toBe(
      'audit: the invocation row written to duckdb /w.duckdb (no node ran)',
    );
    expect(finalText({ status: 'failed', exitCode: 1, elapsedSeconds: 3.21, counts, hooks, invocationId: 'inv' })).toBe(
      'dbt-run: failed (exit 1) in 3.2s; 7 nodes: 1 success, 1 error, 1 fail, 4 skipped; 1 hook: 1 success; invocation inv',
    );
  });
});

describe('the line of a generic test in its YAML file', () => {
  const yaml = [
    'version: 2', // 1
    '', // 2
    'models:', // 3
    '  - name: orders', // 4
    '    data_tests:', // 5
    '      - dbt_utils.expression_is_true:', // 6
    '          arguments: {expression: "total >= 0"}', // 7
    '    columns:', // 8
    '      - name: id', // 9
    '        data_tests:', // 10
    '          - unique', // 11
    '          - accepted_values:', // 12
    '              arguments: {values: [1]}', // 13
    '      - name: status', // 14
    '        tests: [not_null]', // 15
    '      - name: note', // 16
    'sources:', // 17
    '  - name: raw', // 18
    '    tables:', // 19
    '      - name: payments', // 20
    '        columns:', // 21
    '          - name: id', // 22
    '            data_tests: [not_null]', // 23
  ].join('\n');

  it('is the test entry under its column or model, else the column, else the model; null when not there', () => {
    const at = (location: Parameters<typeof yamlTestLine>[1]) => yamlTestLine(yaml, location);
    expect(at({ fileKeyName: 'models.orders', columnName: 'id', testNames: ['unique'] })).toBe(11);
    expect(at({ fileKeyName: 'models.orders', columnName: 'id', testNames: ['accepted_values'] })).toBe(12);
    expect(at({ fileKeyName: 'models.orders', columnName: 'status', testNames: ['not_null'] })).toBe(15);
    expect(
      at({ fileKeyName: 'models.orders', testNames: ['dbt_utils.expression_is_true', 'expression_is_true'] }),
    ).toBe(6);
    expect(at({ fileKeyName: 'models.orders', columnName: 'note', testNames: ['unique'] })).toBe(16);
    expect(at({ fileKeyName: 'models.orders', columnName: 'gone', testNames: ['unique'] })).toBe(4);
    expect(at({ fileKeyName: 'sources.raw', sourceTable: 'payments', columnName: 'id', testNames: ['not_null'] })).toBe(
      23,
    );
    expect(at({ fileKeyName: 'models.missing', testNames: ['unique'] })).toBeNull();
    expect(yamlTestLine('models: [', { fileKeyName: 'models.orders', testNames: ['unique'] })).toBeNull();
  });

  it("is located from the test's manifest node", () => {
    expect(
      yamlTestLocation(
        node('test.shop.not_null_payments_id', {
          file_key_name: 'sources.raw',
          column_name: 'id',
          test_metadata: { name: 'not_null', namespace: null },
          depends_on: { nodes: ['source.shop.raw.payments'] },
        }),
      ),
    ).toEqual({ fileKeyName: 'sources.raw', sourceTable: 'payments', columnName: 'id', testNames: ['not_null'] });
    expect(yamlTestLocation(node('test.shop.singular'))).toBeUndefined();
  });
});
