/**
 * The names dbt gives generic tests, worked out without a parse. The names
 * expected here are the ones dbt 1.11 wrote into the scaffolded product's
 * manifest (changed-since.test.ts checks every test of that product against
 * the real dbt too).
 */
import { describe, expect, it } from 'vitest';
import { genericTestName, readGenericTest } from '../../src/select/test-names.js';

const named = (entry: unknown, target: { name: string; source?: boolean }, column?: string) => {
  const test = readGenericTest(entry);
  if (!test) throw new Error('not a test');
  return genericTestName(test, target, column);
};

describe('genericTestName', () => {
  it('a bare test on a column: type, model, column', () => {
    expect(named('not_null', { name: 'stg_orders' }, 'order_id')).toBe('not_null_stg_orders_order_id');
  });

  it('arguments sorted by name, lists flattened, non-word characters folded to _', () => {
    expect(
      named({ accepted_values: { arguments: { values: ['placed', 'shipped'] } } }, { name: 'stg_orders' }, 'status'),
    ).toBe('accepted_values_stg_orders_status__placed__shipped');
    expect(
      named(
        { relationships: { arguments: { to: "ref('shop', 'stg_customers')", field: 'customer_id' } } },
        { name: 'stg_orders' },
        'customer_id',
      ),
    ).toBe('relationships_stg_orders_customer_id__customer_id__ref_shop_stg_customers_');
  });

  it('the older form (arguments beside configs) and configs left out of the name', () => {
    expect(
      named(
        { accepted_values: { values: [1, true, null], severity: 'warn', config: { where: 'x > 1' } } },
        { name: 'm' },
        'c',
      ),
    ).toBe('accepted_values_m_c__1__True__None');
  });

  it('a source table: source_ prefix and {source}_{table}; a namespace before it', () => {
    expect(named('unique', { name: 'raw_orders', source: true }, 'id')).toBe('source_unique_raw_orders_id');
    expect(named({ 'dbt_utils.expression_is_true': { arguments: { expression: 'a > 0' } } }, { name: 'm' })).toBe(
      'dbt_utils_expression_is_true_m_a_0',
    );
  });

  it('a test the YAML names itself keeps that name', () => {
    expect(named({ accepted_values: { name: 'status_is_known', values: ['a'] } }, { name: 'm' }, 'c')).toBe(
      'status_is_known',
    );
    expect(named({ name: 'custom', test_name: 'unique' }, { name: 'm' }, 'c')).toBe('custom');
  });

  it('nested values are written as Python writes them', () => {
    expect(named({ my_test: { arguments: { pairs: [['a', 'b']] } } }, { name: 'm' })).toBe('my_test_m__a_b_');
  });

  it('what is not a test entry', () => {
    expect(readGenericTest({ a: 1, b: 2 })).toBeUndefined();
    expect(readGenericTest(42)).toBeUndefined();
  });
});
