/**
 * selectChanged and its explanation (pure): which kind of file each change
 * is (by dbt_project.yml's folders), what it selects, and one true line per
 * reason.
 */
import { describe, expect, it } from 'vitest';
import { explainChanged, selectChanged } from '../../src/select/changed.js';
import { type ChangedFile, projectLayout } from '../../src/select/read-changes.js';
import { macro, node, selectionManifest } from './selection-manifest.js';

const manifest = selectionManifest(
  [
    node('model.shop.stg_orders', 'models/staging/stg_orders.sql', ['macro.shop.cents']),
    node('seed.shop.raw_orders', 'seeds/raw_orders.csv'),
    node('test.shop.assert_positive', 'tests/assert_positive.sql'),
  ],
  [
    macro('macro.shop.cents', 'macros/money.sql'),
    macro('macro.dbt.generate_schema_name', 'macros/get_custom_name/get_custom_schema.sql'),
  ],
);
const layout = projectLayout('name: shop\nmodel-paths: ["models", "./more_models/"]\n');

function explain(files: ChangedFile[], selectorsText?: string) {
  const selection = selectChanged({ files, layout, selectorsText }, manifest, 'shop');
  return { selection, lines: explainChanged(selection) };
}

const changed = (file: string, texts: Partial<ChangedFile> = {}): ChangedFile => ({ file, deleted: false, ...texts });

describe('projectLayout', () => {
  it("dbt_project.yml's folders, dbt's defaults for the rest", () => {
    expect(layout.modelPaths).toEqual(['models', 'more_models']);
    expect(layout.macroPaths).toEqual(['macros']);
    expect(layout.generatedPaths).toEqual(['target', 'dbt_packages', 'logs']);
  });
});

describe('selectChanged', () => {
  it('a model file: it and its downstream, named', () => {
    const { selection, lines } = explain([changed('models/staging/stg_orders.sql')]);
    expect(selection.select).toEqual(['path:models/staging/stg_orders.sql+,package:shop']);
    expect(lines).toEqual([
      'changed models/staging/stg_orders.sql → path:models/staging/stg_orders.sql+,package:shop (model stg_orders: its file changed; it and its downstream)',
    ]);
  });

  it('a macro file changed is never called a new node file; one nothing uses selects nothing, said so', () => {
    const { selection, lines } = explain([
      changed('macros/helpers.sql', {
        before: '{% macro helper() %}1{% endmacro %}',
        after: '{% macro helper() %}2{% endmacro %}',
      }),
    ]);
    expect(selection.select).toEqual([]);
    expect(lines).toEqual([
      'changed macros/helpers.sql → nothing (no node, hook, materialization or implicit dbt call uses the macros defined in this file (helper), in the last manifest)',
    ]);
  });

  it('a new file overriding generate_schema_name: every model, seed and snapshot', () => {
    const { selection } = explain([
      changed('macros/naming/schema.sql', {
        after: '{% macro generate_schema_name(custom_schema_name, node) %}x{% endmacro %}',
      }),
    ]);
    expect(selection.select).toEqual([
      'resource_type:model,package:shop',
      'resource_type:seed,package:shop',
      'resource_type:snapshot,package:shop',
    ]);
  });

  it('a deleted generate_schema_name override: every model, seed and snapshot; a singular test: that test', () => {
    const { lines } = explain([
      {
        file: 'macros/naming/schema.sql',
        deleted: true,
        before: '{% macro generate_schema_name(custom_schema_name, node) %}x{% endmacro %}',
      },
      changed('tests/assert_positive.sql'),
    ]);
    expect(lines).toEqual([
      'deleted macros/naming/schema.sql → resource_type:model,package:shop resource_type:seed,package:shop resource_type:snapshot,package:shop (dbt calls generate_schema_name for every model, seed and snapshot, and it is defined in this deleted file; the macros defined in this deleted file can take the place of macro.dbt.generate_schema_name)',
      'changed tests/assert_positive.sql → assert_positive,resource_type:test,package:shop (test assert_positive: its file changed; that test)',
    ]);
  });

  it('a node file the last manifest lacks, in any model path; a deleted one; files dbt does not read', () => {
    const { lines } = explain([
      changed('more_models/new_model.sql'),
      { file: 'models/old.sql', deleted: true },
      changed('dags/shop_dag.py'),
      changed('analyses/explore.sql'),
      changed('models/overview.md'),
    ]);
    expect(lines).toEqual([
      'changed more_models/new_model.sql → path:more_models/new_model.sql+,package:shop (not in the last manifest: the node dbt finds at this path, and its downstream)',
      'deleted models/old.sql → nothing (deleted: its node is gone, nothing to build)',
      'changed dags/shop_dag.py → nothing (dbt does not read it)',
      'changed analyses/explore.sql → nothing (an analysis: dbt build builds no analyses)',
      'changed models/overview.md → nothing (documentation only: nothing to build)',
    ]);
  });

  it('dbt_project.yml: everything, worded as the default selection when there is a default selector', () => {
    const { selection, lines } = explain(
      [changed('dbt_project.yml'), changed('models/staging/stg_orders.sql')],
      'selectors:\n  - name: product\n    default: true\n    definition: "package:shop"\n',
    );
    expect(selection.everything).toBe(true);
    expect(selection.select).toEqual([]);
    expect(lines[0]).toBe(
      'changed dbt_project.yml → the default selection (selector product) (dbt_project.yml configures every node)',
    );
    expect(explain([changed('profiles.yml')]).lines).toEqual([
      'changed profiles.yml → everything (profiles.yml sets the connection every node is built with)',
    ]);
  });

  it('a properties file: one line per changed entry', () => {
    const before = 'models:\n  - name: stg_orders\n    description: Orders.\n';
    const after = 'models:\n  - name: stg_orders\n    description: All orders.\n    data_tests: [my_check]\n';
    expect(explain([changed('models/staging/_staging.yml', { before, after })]).lines).toEqual([
      'changed models/staging/_staging.yml → path:models/staging/stg_orders.sql,package:shop (model stg_orders: description changed; the model itself)',
      'changed models/staging/_staging.yml → my_check_stg_orders_,resource_type:test,package:shop (test my_check on stg_orders is new: that test only)',
    ]);
  });
});
