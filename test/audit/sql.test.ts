import { describe, expect, it } from 'vitest';
import { AUDIT_COLUMNS, TEXT_MAX_BYTES } from '../../src/audit/columns.js';
import {
  addMissingColumnsSql,
  createTableSql,
  insertRowsSql,
  replaceRowsSql,
  sqlLiteral,
  tupleSql,
} from '../../src/audit/sql.js';
import { AUDIT_TABLES, redshiftTableOptions } from '../../src/audit/tables.js';

function column(name: string) {
  const found = AUDIT_COLUMNS.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no column ${name}`);
  return found;
}
const message = column('message');
const execution = column('execution_time');
const rows = column('rows_affected');
const started = column('started_at');

describe('sqlLiteral', () => {
  it('doubles quotes everywhere and backslashes on Redshift only', () => {
    expect(sqlLiteral("it's a \\ path", message, 'postgres')).toBe("'it''s a \\ path'");
    expect(sqlLiteral("it's a \\ path", message, 'duckdb')).toBe("'it''s a \\ path'");
    expect(sqlLiteral("it's a \\ path", message, 'redshift')).toBe("'it''s a \\\\ path'");
  });

  it('writes numbers only when they are finite numbers', () => {
    expect(sqlLiteral(0.20308542251586914, execution, 'duckdb')).toBe("cast('0.20308542251586914' as float8)");
    expect(sqlLiteral(12.9, rows, 'postgres')).toBe('12');
    expect(sqlLiteral('1; drop table x', rows, 'postgres')).toBe('null');
    expect(sqlLiteral(Number.NaN, execution, 'postgres')).toBe('null');
    expect(sqlLiteral(null, message, 'redshift')).toBe('null');
  });

  it('types timestamps and fits text to the column', () => {
    expect(sqlLiteral('2026-11-21 00:00:00.000000', started, 'postgres')).toBe(
      "cast('2026-11-21 00:00:00.000000' as timestamp)",
    );
    const literal = sqlLiteral('x'.repeat(100_000), message, 'postgres');
    expect(Buffer.byteLength(literal)).toBe(TEXT_MAX_BYTES.long_text + 2);
  });
});

describe('DDL', () => {
  it('creates tables with Redshift options only on Redshift', () => {
    const ref = { schema: 'shop_audit', table: 'dbt_audit_log' };
    const options = redshiftTableOptions({ ...AUDIT_TABLES.log, sortKey: ['invocation_started_at'] });
    expect(createTableSql(ref, AUDIT_COLUMNS, 'redshift', options)).toMatch(
      /message varchar\(65535\)[\s\S]*\) diststyle auto compound sortkey \(invocation_started_at\)$/,
    );
    expect(createTableSql(ref, AUDIT_COLUMNS, 'postgres', options)).toMatch(/message text[\s\S]*\n\)$/);
    expect(
      addMissingColumnsSql(ref, AUDIT_COLUMNS, new Set(AUDIT_COLUMNS.slice(0, -1).map((c) => c.name)), 'duckdb'),
    ).toEqual(['alter table "shop_audit"."dbt_audit_log" add column meta text']);
  });
});

describe('replaceRowsSql', () => {
  it('deletes the invocation, then inserts in statements under the byte limit', () => {
    const ref = { schema: 's', table: 't' };
    const many = Array.from({ length: 500 }, (_, index) => ({
      invocation_id: 'inv',
      unique_id: `model.p.m${index}`,
      message: 'y'.repeat(500),
    }));
    const statements = replaceRowsSql(
      ref,
      AUDIT_COLUMNS,
      { column: 'invocation_id', value: "inv'" },
      many,
      'postgres',
      50_000,
    );
    expect(statements[0]).toBe(`delete from "s"."t" where invocation_id = 'inv'''`);
    const inserts = statements.slice(1);
    expect(inserts.length).toBeGreaterThan(1);
    for (const insert of inserts) expect(Buffer.byteLength(insert)).toBeLessThanOrEqual(50_000);
    const tuples = inserts.reduce((count, insert) => count + (insert.match(/'model\.p\.m\d+'/g)?.length ?? 0), 0);
    expect(tuples).toBe(500);
  });
});

describe('tupleSql', () => {
  it('cuts the largest text values, with the marker, until a row fits the statement', () => {
    const hostile = {
      invocation_id: 'inv',
      unique_id: 'model.p.m',
      // 65 KB of backslashes and quotes: twice that once Redshift-escaped.
      message: "\\'".repeat(40_000),
      tags: JSON.stringify(['x'.repeat(60_000)]),
      meta: '{}',
    };
    const tuple = tupleSql(hostile, AUDIT_COLUMNS, 'redshift', 99_000);
    expect(Buffer.byteLength(tuple)).toBeLessThanOrEqual(99_000);
    expect(tuple).toMatch(/\[truncated by dbt-product-kit: \d+ bytes\]'/);
    expect(tuple).toContain("'{}'");
    // A row that fits is written whole.
    expect(tupleSql({ message: 'ok' }, AUDIT_COLUMNS, 'redshift', 99_000)).toContain("'ok'");
  });

  it('keeps every INSERT of hostile rows under the Data API limit', () => {
    const rows = Array.from({ length: 30 }, (_, index) => ({
      invocation_id: 'inv',
      unique_id: `model.p.m${index}`,
      message: `${"'); drop table audit; --\\".repeat(3000)}😀`,
    }));
    const inserts = insertRowsSql({ schema: 's', table: 't' }, AUDIT_COLUMNS, rows, 'redshift', 100_000);
    for (const insert of inserts) expect(Buffer.byteLength(insert)).toBeLessThanOrEqual(100_000);
    expect(inserts.join('').match(/'model\.p\.m\d+'/g)).toHaveLength(30);
  });
});
