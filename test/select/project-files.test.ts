/**
 * What selectors.yml and the packages files select when they change (pure):
 * a changed or new selector its nodes, a changed default selector the whole
 * default selection, a package its dependants, an unknowable one everything.
 */
import { describe, expect, it } from 'vitest';
import { defaultSelector, packagesImpact, selectorsImpact } from '../../src/select/project-files.js';
import { macro, node, selectionManifest } from './selection-manifest.js';

const SELECTORS = `selectors:
  - name: product
    default: true
    definition: {method: package, value: shop}
  - name: audit
    definition:
      intersection:
        - {method: package, value: shop}
        - {method: tag, value: audit}
`;

describe('selectorsImpact', () => {
  it('a new selector: its nodes, written as --select (graph operators kept)', () => {
    const after = `${SELECTORS}  - name: marts\n    definition:\n      union:\n        - {method: path, value: models/marts, children: true}\n        - 'tag:finance'\n`;
    expect(selectorsImpact(SELECTORS, after, 'shop')).toEqual([
      {
        selects: ['path:models/marts+,package:shop', 'tag:finance,package:shop'],
        why: 'selector marts is new: its nodes in this product',
      },
    ]);
  });

  it('a changed selector: its intersection kept as one argument', () => {
    const after = SELECTORS.replace('value: audit}', 'value: audit, parents: true, parents_depth: 1}');
    expect(selectorsImpact(SELECTORS, after, 'shop')).toEqual([
      { selects: ['package:shop,1+tag:audit,package:shop'], why: 'selector audit changed: its nodes in this product' },
    ]);
  });

  it('the default selector changed: the whole default selection', () => {
    const after = SELECTORS.replace(
      '{method: package, value: shop}\n  - name: audit',
      "'tag:nightly'\n  - name: audit",
    );
    expect(selectorsImpact(SELECTORS, after, 'shop')).toEqual([
      { selects: 'everything', why: 'the default selector product changed: what a plain dbt build runs' },
    ]);
    expect(selectorsImpact(SELECTORS, SELECTORS.replace('    default: true\n', ''), 'shop')).toEqual([
      { selects: 'everything', why: 'the default selector product is gone: a plain dbt build runs everything' },
    ]);
  });

  it('an exclude cannot be a --select argument: everything, said so; a removed selector: nothing', () => {
    const after = SELECTORS.replace(
      '  - name: audit',
      '  - name: rest\n    definition:\n      union:\n        - {method: package, value: shop}\n        - exclude: [{method: tag, value: audit}]\n  - name: old',
    );
    expect(selectorsImpact(SELECTORS, after.replace('name: old', 'name: audit'), 'shop')).toEqual([
      {
        selects: 'everything',
        why: 'selector rest is new, and its definition (an exclude) cannot be given as --select: everything',
      },
    ]);
    expect(selectorsImpact(SELECTORS, SELECTORS.slice(0, SELECTORS.indexOf('  - name: audit')), 'shop')).toEqual([
      { selects: [], why: 'selector audit was removed: nothing to build for it' },
    ]);
  });

  it('comments only: nothing, said so; the default selector read from the text', () => {
    expect(selectorsImpact(SELECTORS, `# named selections\n${SELECTORS}`, 'shop')).toEqual([
      { selects: [], why: 'no selector changed: comments or layout only' },
    ]);
    expect(defaultSelector(SELECTORS)).toBe('product');
    expect(defaultSelector('selectors: []')).toBeUndefined();
  });
});

const manifest = selectionManifest(
  [
    node('model.shop.orders', 'models/orders.sql', ['macro.dbt_utils.star']),
    node('model.shop.customers', 'models/customers.sql'),
    node('model.parent.accounts', 'models/accounts.sql'),
  ],
  [macro('macro.dbt_utils.star', 'macros/star.sql'), macro('macro.dbt.statement', 'macros/statement.sql')],
);

describe('packagesImpact', () => {
  const packages = (entries: string) => `packages:\n${entries}`;
  const impact = (before: string | undefined, after: string, lock?: string) =>
    packagesImpact('packages.yml', before, after, lock, manifest, 'shop');

  it("a Hub package's new version: the nodes downstream of its nodes, and the ones calling its macros", () => {
    const before = packages('  - package: dbt-labs/dbt_utils\n    version: 1.1.0\n');
    expect(impact(before, before.replace('1.1.0', '1.3.0'))).toEqual([
      {
        selects: ['package:dbt_utils+,package:shop'],
        why: "package dbt_utils changed: this product's nodes downstream of its nodes",
      },
      {
        selects: ['path:models/orders.sql+,package:shop'],
        why: 'the node that calls macros defined in package dbt_utils, directly or through other macros, dispatch or hooks; and their downstream',
      },
    ]);
  });

  it("a git package named by package-lock.yml: that package's dependants", () => {
    const before = packages('  - git: https://example.com/parent.git\n    revision: v1\n');
    const lock = 'packages:\n  - git: https://example.com/parent.git\n    revision: abc\n    name: parent\n';
    expect(impact(before, before.replace('v1', 'v2'), lock)[0]).toEqual({
      selects: ['package:parent+,package:shop'],
      why: "package parent changed: this product's nodes downstream of its nodes",
    });
  });

  it('a local package or a parent named by what the project knows (its dbt_project.yml, dbt-product.yml)', () => {
    const before = packages('  - local: ../parent\n');
    const known = new Map([['local:../parent', 'parent']]);
    expect(
      packagesImpact('packages.yml', before, `${before}  - local: ../other\n`, undefined, manifest, 'shop', known),
    ).toEqual([
      {
        selects: 'everything',
        why: 'package local:../other added: which package it installs cannot be told before dbt deps, so everything',
      },
    ]);
    expect(
      packagesImpact('packages.yml', packages('  - local: ../old\n'), before, undefined, manifest, 'shop', known)[1],
    ).toEqual({
      selects: ['package:parent+,package:shop'],
      why: "package parent added: this product's nodes downstream of its nodes",
    });
  });

  it('a package whose name cannot be told before dbt deps: everything, said so', () => {
    const before = packages('  - git: https://example.com/other.git\n    revision: v1\n');
    expect(impact(before, before.replace('v1', 'v2'))).toEqual([
      {
        selects: 'everything',
        why: 'package git:https://example.com/other.git changed: which package it installs cannot be told before dbt deps, so everything',
      },
    ]);
  });

  it('a package added that nothing uses yet; comments only: nothing', () => {
    expect(impact(undefined, packages('  - package: org/brand_new\n    version: 1.0.0\n'))).toEqual([
      { selects: [], why: 'package brand_new added: no node of the last manifest uses it' },
    ]);
    const same = packages('  - package: dbt-labs/dbt_utils\n    version: 1.1.0\n');
    expect(impact(same, `# pinned\n${same}`)).toEqual([
      { selects: [], why: 'no package entry changed: comments or layout only' },
    ]);
  });
});
