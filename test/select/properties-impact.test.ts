/**
 * A properties YAML change, entry by entry (pure): a test's change selects
 * that test, a node's properties that node (its downstream too only when
 * the change moves its relation), and each line says why.
 */
import { describe, expect, it } from 'vitest';
import { diffProperties } from '../../src/select/properties-diff.js';
import { propertiesImpact } from '../../src/select/properties-impact.js';
import { node, selectionManifest } from './selection-manifest.js';

const STAGING = `version: 2
models:
  - name: stg_customers
    description: One row per customer.
    columns:
      - name: customer_id
        data_tests: [unique, not_null]
  - name: stg_orders
    description: One row per order.
    columns:
      - name: status
        data_tests:
          - accepted_values:
              arguments:
                values: [placed, shipped, completed, returned]
`;

const manifest = selectionManifest(
  [
    node('model.shop.stg_customers', 'models/staging/stg_customers.sql', [], 'models/staging/_staging.yml'),
    node('model.shop.stg_orders', 'models/staging/stg_orders.sql', [], 'models/staging/_staging.yml'),
    node('test.shop.unique_stg_customers_customer_id.c7614daada', 'models/staging/_staging.yml'),
  ],
  [],
  [{ unique_id: 'source.shop.raw.orders', file: 'models/staging/_sources.yml' }],
);

const impact = (before: string | undefined, after: string | undefined, deleted: string[] = []) =>
  propertiesImpact('models/staging/_staging.yml', { before, after }, manifest, 'shop', new Set(deleted));

describe('diffProperties', () => {
  it('a tightened accepted_values test is one changed test, named as dbt will name it; the models are untouched', () => {
    const after = STAGING.replace('returned]', 'returned, return_pending]');
    expect(diffProperties(STAGING, after)).toEqual([
      {
        kind: 'test',
        change: 'changed',
        name: 'accepted_values_stg_orders_status__placed__shipped__completed__returned__return_pending',
        type: 'accepted_values',
        on: 'stg_orders.status',
      },
    ]);
  });

  it('key order, comments and layout are no change', () => {
    const after = `# comment\nmodels:\n  - description: One row per customer.\n    name: stg_customers\n    columns:\n      - data_tests: [unique, not_null]\n        name: customer_id\n${STAGING.slice(STAGING.indexOf('  - name: stg_orders'))}version: 2\n`;
    expect(diffProperties(STAGING, after)).toEqual([]);
  });

  it('added, removed and moved tests; a column stated only for its tests is not a property', () => {
    const after = STAGING.replace('[unique, not_null]', '[not_null, unique, not_null]').replace(
      '    columns:\n      - name: status',
      '    columns:\n      - name: order_id\n        data_tests: [unique]\n      - name: status',
    );
    expect(diffProperties(STAGING, after)).toEqual([
      {
        kind: 'test',
        change: 'added',
        name: 'not_null_stg_customers_customer_id',
        type: 'not_null',
        on: 'stg_customers.customer_id',
      },
      { kind: 'test', change: 'added', name: 'unique_stg_orders_order_id', type: 'unique', on: 'stg_orders.order_id' },
    ]);
    expect(diffProperties(after, STAGING).map((change) => change.change)).toEqual(['removed', 'removed']);
  });

  it("a node's own keys: description, config keys one by one, columns", () => {
    const after = STAGING.replace('One row per order.', 'Orders.\n    config:\n      alias: orders\n      tags: [x]');
    expect(diffProperties(STAGING, after)).toEqual([
      {
        kind: 'node',
        resourceType: 'model',
        name: 'stg_orders',
        change: 'changed',
        keys: ['config.alias', 'config.tags', 'description'],
      },
    ]);
  });

  it("sources: a table's identifier, a description, a test on a source column", () => {
    const before =
      'sources:\n  - name: raw\n    tables:\n      - name: orders\n        columns:\n          - name: id\n';
    const after =
      'sources:\n  - name: raw\n    description: Raw.\n    tables:\n      - name: orders\n        identifier: orders_v2\n        columns:\n          - name: id\n            data_tests: [unique]\n';
    expect(diffProperties(before, after)).toEqual([
      { kind: 'source', source: 'raw', change: 'changed', keys: ['description'] },
      { kind: 'source', source: 'raw', table: 'orders', change: 'changed', keys: ['identifier'] },
      {
        kind: 'test',
        change: 'added',
        name: 'source_unique_raw_orders_id',
        type: 'unique',
        on: 'source raw.orders.id',
      },
    ]);
  });

  it('unit tests, and what dbt build builds nothing for', () => {
    const after = 'unit_tests:\n  - name: ut_orders\n    model: stg_orders\nexposures:\n  - name: dashboard\n';
    expect(diffProperties(undefined, after)).toEqual([
      { kind: 'unit-test', name: 'ut_orders', change: 'added' },
      { kind: 'not-built', section: 'exposures', name: 'dashboard', change: 'added' },
    ]);
  });
});

describe('propertiesImpact', () => {
  it('a changed test selects that test only, by the name it will have', () => {
    expect(impact(STAGING, STAGING.replace('returned]', 'returned, return_pending]'))).toEqual([
      {
        selects: [
          'accepted_values_stg_orders_status__placed__shipped__completed__returned__return_pending,resource_type:test,package:shop',
        ],
        why: 'test accepted_values on stg_orders.status changed: that test only',
      },
    ]);
  });

  it('a description selects the model itself; an alias it and its downstream', () => {
    expect(impact(STAGING, STAGING.replace('One row per order.', 'Orders.'))).toEqual([
      {
        selects: ['path:models/staging/stg_orders.sql,package:shop'],
        why: 'model stg_orders: description changed; the model itself',
      },
    ]);
    expect(impact(STAGING, STAGING.replace('One row per order.', 'Orders.\n    config: {alias: orders}'))).toEqual([
      {
        selects: ['path:models/staging/stg_orders.sql+,package:shop'],
        why: 'model stg_orders: config.alias, description changed; config.alias changes the relation its downstream reads: it and its downstream',
      },
    ]);
  });

  it('a removed test runs nothing; a model not in the last manifest is selected by name and says so', () => {
    const after = `${STAGING.replace('data_tests: [unique, not_null]', 'data_tests: [not_null]')}  - name: stg_new\n    description: New.\n`;
    expect(impact(STAGING, after)).toEqual([
      {
        selects: [],
        why: 'test unique_stg_customers_customer_id (unique on stg_customers.customer_id) removed: nothing to run',
      },
      {
        selects: ['stg_new,package:shop'],
        why: 'model stg_new: description added; the model itself (not in the last manifest: selected by name)',
      },
    ]);
  });

  it('a model removed with its file selects nothing', () => {
    const after = STAGING.slice(0, STAGING.indexOf('  - name: stg_orders'));
    expect(impact(STAGING, after, ['models/staging/stg_orders.sql'])[0]).toEqual({
      selects: [],
      why: 'model stg_orders: description removed, and its file is deleted: nothing left to build',
    });
  });

  it('a source: what reads it when its relation moves, nothing for a description', () => {
    const before = 'sources:\n  - name: raw\n    tables:\n      - name: orders\n';
    expect(impact(before, before.replace('orders\n', 'orders\n        identifier: o2\n'))).toEqual([
      {
        selects: ['source:raw.orders+,package:shop'],
        why: 'source raw.orders: identifier changed, which changes the relation it reads: the nodes that read it',
      },
    ]);
    expect(impact(before, before.replace('orders\n', 'orders\n        description: Orders.\n'))).toEqual([
      { selects: [], why: 'source raw.orders: description changed, which no node dbt build runs reads' },
    ]);
  });

  it('only comments changed: nothing; unreadable YAML: every node the last manifest says it describes', () => {
    expect(impact(STAGING, `# a comment\n${STAGING}`)).toEqual([
      { selects: [], why: 'no entry changed: comments or layout only' },
    ]);
    const [unreadable] = impact(STAGING, 'models: [\n');
    expect(unreadable?.selects).toEqual([
      'path:models/staging/stg_customers.sql+,package:shop',
      'path:models/staging/stg_orders.sql+,package:shop',
      'unique_stg_customers_customer_id,resource_type:test,package:shop',
    ]);
    expect(unreadable?.why).toMatch(
      /^its entries cannot be compared \(not valid YAML .*\): every node the last manifest says it describes$/,
    );
  });
});
