/**
 * What a changed macro file affects (pure), on a small manifest shaped as
 * dbt writes it: callers through other macros and hooks, dbt's implicit
 * generate_* calls, materializations, dispatch, run hooks.
 */
import { describe, expect, it } from 'vitest';
import { macroImpact, macroNamesIn } from '../../src/select/macro-impact.js';
import { macro, node, selectionManifest } from './selection-manifest.js';

const manifest = selectionManifest(
  [
    node('model.shop.stg_orders', 'models/staging/stg_orders.sql', ['macro.shop.cents']),
    node('model.shop.fct_orders', 'models/marts/fct_orders.sql', []),
    // A post-hook's macro: dbt records it in depends_on.macros when it parses the config.
    node('model.shop.hooked', 'models/hooked.sql', ['macro.shop.grant_select']),
    node('test.shop.positive_stg_orders_amount.1a2b3c', 'models/staging/_staging.yml', ['macro.shop.test_positive']),
    node('operation.shop.shop-on-run-end-0', './dbt_project.yml', ['macro.shop.record_results']),
    node('operation.shop.shop-on-run-start-0', './dbt_project.yml', ['macro.shop.create_udfs']),
  ],
  [
    macro('macro.shop.cents', 'macros/money.sql', ['macro.shop.round_to']),
    macro('macro.shop.round_to', 'macros/money.sql'),
    macro('macro.shop.grant_select', 'macros/grants.sql'),
    macro('macro.shop.test_positive', 'tests/generic/positive.sql'),
    macro('macro.shop.record_results', 'macros/audit.sql', ['macro.shop.quote_it']),
    macro('macro.shop.quote_it', 'macros/quote.sql'),
    macro('macro.shop.create_udfs', 'macros/udfs.sql'),
    macro('macro.dbt.generate_schema_name', 'macros/get_custom_name/get_custom_schema.sql', [
      'macro.dbt.default__generate_schema_name',
    ]),
    macro('macro.dbt.default__generate_schema_name', 'macros/get_custom_name/get_custom_schema.sql'),
    macro('macro.dbt.generate_alias_name', 'macros/get_custom_name/get_custom_alias.sql'),
    macro('macro.dbt.materialization_incremental_default', 'macros/materializations/incremental.sql', [
      'macro.dbt.get_merge_sql',
    ]),
    macro('macro.dbt.get_merge_sql', 'macros/materializations/merge.sql', ['macro.dbt_duckdb.duckdb__get_merge_sql']),
    macro('macro.dbt_duckdb.duckdb__get_merge_sql', 'macros/merge.sql'),
    macro('macro.dbt_duckdb.materialization_table_duckdb', 'macros/table.sql'),
    macro('macro.dbt_redshift.materialization_table_redshift', 'macros/table.sql'),
  ],
);

const impact = (ids: string[], names: string[] = []) => macroImpact({ ids, names }, manifest, 'shop', 'in this file');

describe('macroNamesIn', () => {
  it('macros, generic tests and materializations a file defines', () => {
    const text = `{% macro generate_alias_name(custom_alias_name=none, node=none) -%}x{%- endmacro %}
{%- test positive(model, column_name) %}select 1{% endtest %}
{% materialization table, adapter='duckdb' %}{% endmaterialization %}
{% materialization view, default %}{% endmaterialization %}`;
    expect(macroNamesIn(text)).toEqual([
      'generate_alias_name',
      'materialization_table_duckdb',
      'materialization_view_default',
      'test_positive',
    ]);
  });
});

describe('macroImpact', () => {
  it('a macro reached through another: the node calling it and its downstream', () => {
    expect(impact(['macro.shop.round_to'], ['round_to'])).toEqual([
      {
        selects: ['path:models/staging/stg_orders.sql+,package:shop'],
        why: 'the node that calls macros defined in this file, directly or through other macros, dispatch or hooks; and their downstream',
      },
    ]);
  });

  it('a pre/post-hook macro: the node whose hook calls it; a generic test: its tests, by name', () => {
    expect(impact(['macro.shop.grant_select'])[0]?.selects).toEqual(['path:models/hooked.sql+,package:shop']);
    expect(impact(['macro.shop.test_positive'])[0]?.selects).toEqual([
      'positive_stg_orders_amount,resource_type:test,package:shop',
    ]);
  });

  it('a new file overriding generate_schema_name (not in the last manifest): every model, seed and snapshot', () => {
    expect(impact([], ['generate_schema_name'])).toEqual([
      {
        selects: [
          'resource_type:model,package:shop',
          'resource_type:seed,package:shop',
          'resource_type:snapshot,package:shop',
        ],
        why: 'dbt calls generate_schema_name for every model, seed and snapshot, and it is defined in this file; the macros defined in this file can take the place of macro.dbt.generate_schema_name',
      },
    ]);
  });

  it('a macro generate_schema_name calls: every model, seed and snapshot too', () => {
    const calling = selectionManifest(Object.values(manifest.nodes), [
      ...Object.values(manifest.macros),
      macro('macro.shop.generate_schema_name', 'macros/naming.sql', ['macro.shop.schema_prefix']),
      macro('macro.shop.schema_prefix', 'macros/prefix.sql'),
    ] as never);
    const [reason] = macroImpact({ ids: ['macro.shop.schema_prefix'], names: [] }, calling, 'shop', 'in this file');
    expect(reason?.why).toBe(
      'dbt calls generate_schema_name for every model, seed and snapshot, and it uses macros defined in this file',
    );
  });

  it("a dispatch candidate overriding the adapter's: the nodes of the materializations that reach it", () => {
    expect(impact([], ['default__get_merge_sql'])).toEqual([
      {
        selects: ['config.materialized:incremental,package:shop'],
        why: 'the nodes materialized as incremental: it uses macros defined in this file; the macros defined in this file can take the place of macro.dbt_duckdb.duckdb__get_merge_sql',
      },
    ]);
  });

  it("a materialization: the nodes materialized with it, on this manifest's adapter only", () => {
    expect(impact([], ['materialization_table_duckdb', 'materialization_table_redshift'])[0]).toEqual({
      selects: ['config.materialized:table,package:shop'],
      why: 'the nodes materialized as table: it is defined in this file; the macros defined in this file can take the place of macro.dbt_duckdb.materialization_table_duckdb, macro.dbt_redshift.materialization_table_redshift',
    });
  });

  it('run hooks: on-run-start affects every node, on-run-end none', () => {
    expect(impact(['macro.shop.create_udfs'])).toEqual([
      {
        selects: 'everything',
        why: 'the on-run-start hook uses macros defined in this file, and it runs before every node',
      },
    ]);
    expect(impact(['macro.shop.quote_it'])).toEqual([
      {
        selects: [],
        why: "the on-run-end hook uses macros defined in this file; it runs after the nodes of any build, so no node's build depends on it",
      },
    ]);
  });

  it('a macro nothing uses: no reason (the caller says so)', () => {
    expect(impact([], ['unused_helper'])).toEqual([]);
  });
});
