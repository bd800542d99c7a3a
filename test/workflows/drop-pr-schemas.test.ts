/**
 * The macro pr-cleanup.yml runs when a pull request closes, on the test
 * Postgres and on DuckDB (real dbt, run-operation): the PR's schemas go (its
 * target schema and the custom schemas the project appends to it), tables in
 * them too; prod's schemas, another PR's and another product's whose names
 * merely start alike stay. Run with any other target schema, it drops nothing.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDuckDb } from '../../src/warehouse/duckdb.js';
import { queryPostgres, runDbt, scaffoldTestProduct, type TestProduct } from '../harness/product.js';

let product: TestProduct;
beforeAll(async () => {
  product = await scaffoldTestProduct({ name: `wf${randomBytes(3).toString('hex')}`, orchestrator: 'none' });
});
afterAll(() => product?.cleanup());

const dropPr7 = (target: string, schema: string) =>
  runDbt(product, ['run-operation', 'drop_pr_schemas', '--args', '{pr_number: 7}', '--target', target], {
    DBT_SCHEMA: schema,
  });

/** The PR's own schemas, and the others that must stay. */
function schemas(name: string) {
  return {
    // The target schema and the custom schemas of the project's seeds and audit models.
    pr: [`pr_7_${name}`, `pr_7_${name}_audit`, `pr_7_${name}_raw`],
    // Prod, another PR of this product, and PR 7 of a product named <name>_v2.
    others: [name, `${name}_audit`, `pr_8_${name}`, `pr_8_${name}_audit`, `pr_7_${name}_v2`, `pr_7_${name}_v2_audit`],
  };
}

describe('drop_pr_schemas', () => {
  it("drops a pull request's schemas on Postgres, and nothing else", async () => {
    const { pr, others } = schemas(product.name);
    for (const schema of [...pr, ...others]) await queryPostgres(`create schema "${schema}"`);
    await queryPostgres(`create table "pr_7_${product.name}".fct_orders as select 1 as id`);
    const existing = async () =>
      (
        await queryPostgres<{ name: string }>(
          'select schema_name as name from information_schema.schemata where schema_name = any($1)',
          [[...pr, ...others]],
        )
      )
        .map((row) => row.name)
        .sort();
    try {
      const refused = await dropPr7('postgres', product.name);
      expect(refused.exitCode, refused.output).not.toBe(0);
      expect(refused.output).toContain(`run it with DBT_SCHEMA=pr_7_${product.name}`);
      expect(await existing()).toEqual([...pr, ...others].sort());

      const run = await dropPr7('postgres', `pr_7_${product.name}`);
      expect(run.exitCode, run.output).toBe(0);
      expect(await existing()).toEqual([...others].sort());
      for (const schema of pr) expect(run.output).toContain(`dropped schema ${schema}`);
    } finally {
      for (const schema of [...pr, ...others]) await queryPostgres(`drop schema if exists "${schema}" cascade`);
    }
  });

  it("drops a pull request's schemas on DuckDB, and nothing else", async () => {
    const { pr, others } = schemas(product.name);
    const write = (sql: string) => queryDuckDb(product.duckdbPath, sql, { readOnly: false });
    for (const schema of [...pr, ...others]) await write(`create schema "${schema}"`);
    await write(`create table "pr_7_${product.name}_audit".dbt_audit_log as select 1 as id`);
    const run = await dropPr7('local', `pr_7_${product.name}`);
    expect(run.exitCode, run.output).toBe(0);
    const left = await queryDuckDb(
      product.duckdbPath,
      `select schema_name as name from information_schema.schemata where schema_name like '%${product.name}%' order by 1`,
    );
    expect(left.map((row) => row.name)).toEqual([...others].sort());
  });
});
