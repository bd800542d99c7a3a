/**
 * Hostile error messages go into the audit log byte for byte (or cut with the
 * marker), on DuckDB and on PostgreSQL, without failing the hook or touching
 * any other table. The Redshift literal builder is checked on a Postgres
 * session that reads literals the way Redshift does.
 */
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fitText, TEXT_MAX_BYTES, truncationMarker } from '../../src/audit/columns.js';
import { readRunResults, runDbt, runDbtRun, scaffoldTestProduct, type TestProduct } from '../harness/product.js';
import { type TestWarehouse, WAREHOUSES } from '../harness/warehouse.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/audit-escaping', import.meta.url));

function hostileText(canary: string): string {
  return [
    "it's",
    'back\\slash',
    "escaped \\' quote",
    'new\nline',
    `'); drop table ${canary}; --`,
    'ünïcødé 日本語 🚀',
    'trailing backslash \\',
  ].join(' | ');
}

/** Row counts of every base table in the product's schemas (views excluded). */
async function tableCounts(warehouse: TestWarehouse, product: TestProduct): Promise<Record<string, number>> {
  const tables = await warehouse.query(
    product,
    `select table_schema, table_name from information_schema.tables
     where table_schema like '${product.schema}%' and table_type = 'BASE TABLE'`,
  );
  const counts: Record<string, number> = {};
  for (const { table_schema, table_name } of tables) {
    const [row] = await warehouse.query(product, `select count(*) as n from "${table_schema}"."${table_name}"`);
    counts[`${table_schema}.${table_name}`] = Number(row?.n);
  }
  return counts;
}

/** Copies the hostile fixtures into the product and builds everything else (the audit tables included). */
async function addFixturesAndBuild(product: TestProduct, warehouse: TestWarehouse): Promise<string[]> {
  await cp(FIXTURE, product.dir, { recursive: true });
  const target = ['--target', warehouse.target];
  const clean = await runDbt(product, ['build', ...target, '--exclude', 'path:models/fixtures']);
  expect(clean.exitCode, clean.output).toBe(0);
  return target;
}

describe.each(WAREHOUSES)('audit of hostile messages on $label', (warehouse) => {
  it('stores every message exactly, keeps the run failed with exit 1, and changes no other table', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const target = await addFixturesAndBuild(product, warehouse);

      const canary = `${product.schema}.canary`;
      await warehouse.execute(product, `create table ${canary} as select 42 as answer`);
      const before = await tableCounts(warehouse, product);

      const evil = hostileText(canary);
      const long = `${'🚀'.repeat(17_000)}${evil}`; // 68,000+ bytes: over the 65,535-byte limit
      // A statement limit just above one long row forces the hook to split its INSERT.
      const vars = JSON.stringify({ evil_message: evil, long_message: long, audit_max_statement_bytes: 66_000 });
      const failing = await runDbt(product, ['build', ...target, '--select', 'path:models/fixtures', '--vars', vars]);
      expect(failing.exitCode, failing.output).toBe(1);
      const recorded = failing.output.match(/audit: recorded 4 rows in .+ \((\d+) statements\)/);
      expect(Number(recorded?.[1])).toBeGreaterThanOrEqual(2);

      const { metadata, results } = await readRunResults(product);
      const statuses = Object.fromEntries(results.map((result) => [result.unique_id, result.status]));
      expect(statuses).toMatchObject({
        'model.shop.evil_compile': 'error',
        'model.shop.evil_database': 'error',
        'model.shop.after_evil': 'skipped',
        'model.shop.long_message': 'error',
      });
      const rows = await warehouse.query(
        product,
        `select unique_id, status, message from ${product.schema}_audit.dbt_audit_log
         where invocation_id = '${metadata.invocation_id}'`,
      );
      const messages = new Map(rows.map((row) => [row.unique_id as string, row.message as string | null]));
      expect(rows).toHaveLength(4);

      for (const id of ['model.shop.evil_compile', 'model.shop.evil_database']) {
        const expected = results.find((result) => result.unique_id === id)?.message ?? '';
        // The hostile text really reached the message (the database quotes it back, maybe escaped).
        expect(expected).toContain('drop table');
        expect(expected).toContain('🚀');
        expect(Buffer.from(messages.get(id) ?? '')).toEqual(Buffer.from(expected));
      }
      const longExpected = results.find((result) => result.unique_id === 'model.shop.long_message')?.message ?? '';
      const longStored = messages.get('model.shop.long_message') ?? '';
      expect(Buffer.byteLength(longExpected)).toBeGreaterThan(TEXT_MAX_BYTES.long_text);
      expect(longStored).toBe(fitText(longExpected, TEXT_MAX_BYTES.long_text));
      expect(longStored.endsWith(truncationMarker(Buffer.byteLength(longExpected)))).toBe(true);
      expect(Buffer.byteLength(longStored)).toBeLessThanOrEqual(TEXT_MAX_BYTES.long_text);

      // The analyst view of recent failures lists the three errors (views are not rebuilt by this run's selection).
      const failures = await warehouse.query(
        product,
        `select unique_id from ${product.schema}_audit.audit_recent_failures where invocation_id = '${metadata.invocation_id}'`,
      );
      expect(failures.map((row) => row.unique_id).sort()).toEqual([
        'model.shop.evil_compile',
        'model.shop.evil_database',
        'model.shop.long_message',
      ]);

      // Nothing but the audit tables changed, and they gained exactly this run's rows: its four nodes and its
      // invocation row (the hook writes one when dbt runs without dbt-run).
      const after = await tableCounts(warehouse, product);
      const auditTable = `${product.schema}_audit.dbt_audit_log`;
      const invocationTable = `${product.schema}_audit.dbt_audit_invocations`;
      expect(after).toEqual({
        ...before,
        [auditTable]: (before[auditTable] ?? 0) + 4,
        [invocationTable]: (before[invocationTable] ?? 0) + 1,
      });
      expect(after[canary]).toBe(1);
    } finally {
      await product.cleanup();
    }
  });
});

describe.each(WAREHOUSES)('dbt-run records hostile messages on $label', (warehouse) => {
  it('stores every message exactly, into a migrated table, and changes no other table', async () => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      const target = await addFixturesAndBuild(product, warehouse);
      // An older audit table: without `tags`. dbt-run adds it back (at the end, so the
      // table's column order is no longer the kit's) before writing.
      const auditLog = `${product.schema}_audit.dbt_audit_log`;
      // (On Postgres the analyst views depend on the column: they go too.)
      const cascade = warehouse.target === 'postgres' ? ' cascade' : '';
      await warehouse.execute(product, `alter table ${auditLog} drop column tags${cascade}`);
      const canary = `${product.schema}.canary`;
      await warehouse.execute(product, `create table ${canary} as select 42 as answer`);
      const before = await tableCounts(warehouse, product);

      const evil = hostileText(canary);
      const long = `${'🚀'.repeat(17_000)}${evil}`;
      const vars = JSON.stringify({ evil_message: evil, long_message: long });
      const run = await runDbtRun(product, ['build', ...target, '--select', 'path:models/fixtures', '--vars', vars]);
      expect(run.exitCode, run.output).toBe(1);

      const { metadata, results } = await readRunResults(product);
      const rows = await warehouse.query(
        product,
        `select unique_id, message, tags, recorded_by from ${auditLog} where invocation_id = '${metadata.invocation_id}'`,
      );
      expect(rows).toHaveLength(results.length);
      for (const row of rows) {
        const result = results.find((entry) => entry.unique_id === row.unique_id);
        const expected = fitText(result?.message ?? '', TEXT_MAX_BYTES.long_text);
        expect(Buffer.from(String(row.message ?? ''))).toEqual(Buffer.from(expected));
        expect(row.recorded_by).toBe('runner');
        expect(Array.isArray(JSON.parse(String(row.tags)))).toBe(true);
      }
      const evilStored = rows.find((row) => row.unique_id === 'model.shop.evil_database')?.message;
      expect(evilStored).toContain('drop table');
      const longStored = String(rows.find((row) => row.unique_id === 'model.shop.long_message')?.message);
      expect(Buffer.byteLength(longStored)).toBeLessThanOrEqual(TEXT_MAX_BYTES.long_text);
      expect(longStored).toMatch(/\[truncated by dbt-product-kit: \d+ bytes\]$/);

      // Nothing but the two audit tables changed; the canary is intact.
      const after = await tableCounts(warehouse, product);
      const invocations = `${product.schema}_audit.dbt_audit_invocations`;
      expect(after).toEqual({
        ...before,
        [auditLog]: (before[auditLog] ?? 0) + results.length,
        [invocations]: (before[invocations] ?? 0) + 1,
      });
      expect(after[canary]).toBe(1);
    } finally {
      await product.cleanup();
    }
  });
});

describe('audit literals read back byte for byte', () => {
  const values = [hostileText('x'), '\\', "''\\\\''", "\\'); select 1; --", '\u{1F680}\u{10FFFF} 4-byte UTF-8'];

  async function roundTrip(
    warehouse: TestWarehouse,
    product: TestProduct,
    builder: string,
    session: string,
    texts = values,
  ): Promise<string[]> {
    const identifier = `roundtrip_${builder}_${session}`;
    const args = JSON.stringify({ values: texts, builder, session, identifier });
    const run = await runDbt(product, [
      'run-operation',
      'audit_literal_roundtrip',
      '--args',
      args,
      '--target',
      warehouse.target,
    ]);
    expect(run.exitCode, run.output).toBe(0);
    const rows = await warehouse.query(product, `select v from ${product.schema}.${identifier} order by i`);
    return rows.map((row) => row.v as string);
  }

  it.each(WAREHOUSES)('default builder on $label (backslash is literal)', async (warehouse) => {
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      await cp(path.join(FIXTURE, 'macros'), path.join(product.dir, 'macros'), { recursive: true });
      expect(await roundTrip(warehouse, product, 'default', 'standard')).toEqual(values);
    } finally {
      await product.cleanup();
    }
  });

  it('Redshift builder on a Postgres session with Redshift string semantics', async () => {
    const postgres = WAREHOUSES.find((warehouse) => warehouse.target === 'postgres') as TestWarehouse;
    const product = await scaffoldTestProduct({ name: 'shop' });
    try {
      await cp(path.join(FIXTURE, 'macros'), path.join(product.dir, 'macros'), { recursive: true });
      expect(await roundTrip(postgres, product, 'redshift', 'redshift')).toEqual(values);
      // The default builder would corrupt backslashes there: escaping must be per adapter.
      const [wrong] = await roundTrip(postgres, product, 'default', 'redshift', ['a\\nb']);
      expect(wrong).toBe('a\nb');
    } finally {
      await product.cleanup();
    }
  });
});
