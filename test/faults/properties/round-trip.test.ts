/**
 * The audit sink's SQL through real databases: rows of arbitrary text (any
 * code point, lone surrogates, quotes, backslashes, NUL, newlines) and
 * arbitrary numbers go in through insertRowsSql and come back exactly as
 * written, or cut exactly as documented (fitText's marker, within the
 * column's byte limit). PostgreSQL is the harness's real server; Redshift's
 * literals (backslashes doubled) are read by a PostgreSQL session with
 * standard_conforming_strings off, as Redshift reads them; DuckDB runs in
 * memory. Each case is a row and each run a batch of rows in one round
 * trip, so 10,000 rows take seconds.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AUDIT_COLUMNS, AUDIT_MAX_STATEMENT_BYTES, type AuditRow, maxBytesOf } from '../../../src/audit/columns.js';
import { DuckDbAuditSink } from '../../../src/audit/sinks/duckdb.js';
import { createSchemaSql, createTableSql, insertRowsSql, type SqlDialect, tableSql } from '../../../src/audit/sql.js';
import { DATA_API_LIMITS } from '../../../src/redshift/data-api.js';
import { syntheticBatch } from '../../harness/audit-batch.js';
import { tempDir } from '../../harness/product.js';
import { bigText, RUNS, text } from './arbitraries.js';
import { expectedFit, isFitOf } from './oracle.js';

const TEXT_COLUMNS = AUDIT_COLUMNS.filter((column) => maxBytesOf(column) !== undefined);
const ROWS_PER_RUN = 200;

/** One case: a row's texts (dealt out to its text columns) and two numbers. */
const rowCase = (texts: fc.Arbitrary<string>) =>
  fc.record({
    texts: fc.array(texts, { minLength: 1, maxLength: 5 }),
    failures: fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double()),
    seconds: fc.oneof(fc.double(), fc.double({ min: 0, max: 3600, noNaN: true })),
  });
type RowCase = { texts: string[]; failures: number; seconds: number };

/** The audit row of a case; rows_affected numbers the rows, to read them back in order. */
function rowOf(row: RowCase, index: number, fixed: Record<string, string> = {}): Record<string, unknown> {
  return Object.fromEntries([
    ...TEXT_COLUMNS.map((column, at) => [column.name, fixed[column.name] ?? row.texts[at % row.texts.length]]),
    ['rows_affected', index],
    ['failures', row.failures],
    ['execution_time', row.seconds],
  ]);
}

/** Columns read back, each as text (or null): floats through their shortest round-trip form. */
const READ_COLUMNS = [...TEXT_COLUMNS.map((column) => column.name), 'failures', 'execution_time'];

/**
 * Every value that did not come back as documented: text fitted to its column (or, for a row
 * too big for a Data API statement, fitted shorter), an integer exactly or null beyond bigint,
 * a float exactly or null when not finite.
 */
function mismatches(
  cases: RowCase[],
  stored: Record<string, unknown>[],
  maxStatementBytes: number,
  fixed: Record<string, string> = {},
) {
  const wrong: unknown[] = [];
  if (stored.length !== cases.length) return [`${stored.length} rows came back for ${cases.length}`];
  cases.forEach((row, index) => {
    const values = rowOf(row, index, fixed);
    const back = stored[index] as Record<string, unknown>;
    for (const column of TEXT_COLUMNS) {
      const value = String(values[column.name]);
      const got = back[column.name];
      const wanted = expectedFit(value, maxBytesOf(column) as number);
      const cutFurther =
        maxStatementBytes < AUDIT_MAX_STATEMENT_BYTES && typeof got === 'string' && isFitOf(value, got);
      if (got !== wanted && !cutFurther) wrong.push({ index, column: column.name, value, got, wanted });
    }
    const integer = Math.trunc(row.failures);
    const wantedInteger = integer >= -(2 ** 63) && integer < 2 ** 63 ? BigInt(integer).toString() : null;
    const gotInteger = back.failures === null ? null : String(back.failures);
    if (gotInteger !== wantedInteger) wrong.push({ index, failures: row.failures, got: back.failures });
    const wantedSeconds = Number.isFinite(row.seconds) ? row.seconds : null;
    const gotSeconds = back.execution_time === null ? null : Number(back.execution_time);
    // -0 comes back as 0: sqlLiteral writes String(-0), '0'.
    if (gotSeconds !== wantedSeconds) wrong.push({ index, seconds: row.seconds, got: back.execution_time });
  });
  return wrong;
}

const postgres = inject('postgres');
const schema = `props_${randomBytes(4).toString('hex')}`;
let standard: pg.Client;
/** A session that reads literals as Redshift does: backslash escapes on. */
let redshiftLike: pg.Client;
let duck: DuckDBInstance;
let duckConnection: DuckDBConnection;
let duckDir: string;

const tables: Record<'postgres' | 'redshift' | 'duckdb', { schema: string; table: string }> = {
  postgres: { schema, table: 'log_postgres' },
  redshift: { schema, table: 'log_redshift' },
  duckdb: { schema, table: 'log_duckdb' },
};

beforeAll(async () => {
  standard = new pg.Client(postgres);
  redshiftLike = new pg.Client(postgres);
  await Promise.all([standard.connect(), redshiftLike.connect()]);
  await redshiftLike.query('set standard_conforming_strings = off; set escape_string_warning = off');
  await standard.query(createSchemaSql(schema));
  await standard.query(createTableSql(tables.postgres, AUDIT_COLUMNS, 'postgres'));
  await standard.query(createTableSql(tables.redshift, AUDIT_COLUMNS, 'redshift'));
  duck = await DuckDBInstance.create(':memory:');
  duckConnection = await duck.connect();
  await duckConnection.run(createSchemaSql(schema));
  await duckConnection.run(createTableSql(tables.duckdb, AUDIT_COLUMNS, 'duckdb'));
  duckDir = await tempDir('dbt-product-kit-props-');
});

afterAll(async () => {
  await standard?.query(`drop schema if exists ${schema} cascade`);
  await Promise.all([standard?.end(), redshiftLike?.end()]);
  duckConnection?.closeSync();
  duck?.closeSync();
  if (duckDir) await rm(duckDir, { recursive: true, force: true });
});

/**
 * Reads every column as text. Text goes with a leading 'x' (cut off again here): @duckdb/node-api
 * decodes strings with a TextDecoder that drops a leading U+FEFF (a BOM), which DuckDB did store.
 */
const select = (table: string, where = '') =>
  `select ${READ_COLUMNS.map((name) => `${name === 'execution_time' || name === 'failures' ? `cast(${name} as varchar)` : `'x' || ${name}`} as ${name}`).join(', ')} from ${table} ${where} order by rows_affected`;

/** A row read back, without the leading 'x' of its texts. */
const unprefixed = (row: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(row).map(([name, value]) => [
      name,
      typeof value === 'string' && name !== 'execution_time' && name !== 'failures' ? value.slice(1) : value,
    ]),
  );

/** Replaces the table's rows with `cases` through insertRowsSql in `dialect`, and reads them back. */
async function roundTrip(dialect: SqlDialect, cases: RowCase[], maxStatementBytes: number) {
  const rows = cases.map((row, index) => rowOf(row, index));
  const statements = insertRowsSql(tables[dialect], AUDIT_COLUMNS, rows, dialect, maxStatementBytes);
  const ref = tableSql(tables[dialect]);
  if (dialect === 'duckdb') {
    await duckConnection.run(`delete from ${ref}`);
    for (const statement of statements) await duckConnection.run(statement);
    const read = await duckConnection.runAndReadAll(select(ref));
    return (read.getRowObjectsJson() as Record<string, unknown>[]).map(unprefixed);
  }
  const client = dialect === 'redshift' ? redshiftLike : standard;
  await client.query(`truncate ${ref}`);
  for (const statement of statements) await client.query(statement);
  return ((await client.query(select(ref))).rows as Record<string, unknown>[]).map(unprefixed);
}

const DATABASES: { name: string; dialect: SqlDialect; maxStatementBytes: number }[] = [
  { name: 'PostgreSQL', dialect: 'postgres', maxStatementBytes: AUDIT_MAX_STATEMENT_BYTES },
  {
    name: 'PostgreSQL reading Redshift literals, in Data API statements',
    dialect: 'redshift',
    maxStatementBytes: DATA_API_LIMITS.maxSqlBytes,
  },
  { name: 'DuckDB', dialect: 'duckdb', maxStatementBytes: AUDIT_MAX_STATEMENT_BYTES },
];

describe.each(DATABASES)('round trip through $name', ({ dialect, maxStatementBytes }) => {
  it(`stores ${RUNS.toLocaleString('en')} rows of arbitrary text and numbers as written or cut as documented`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowCase(text(40)), { minLength: ROWS_PER_RUN, maxLength: ROWS_PER_RUN }),
        async (cases) => {
          expect(mismatches(cases, await roundTrip(dialect, cases, maxStatementBytes), maxStatementBytes)).toEqual([]);
        },
      ),
      { numRuns: RUNS / ROWS_PER_RUN },
    );
  });

  it('stores rows with texts up to a megabyte cut to their columns as documented', async () => {
    // 30 rows, a fifth of their texts big: the property above keeps 10,000 rows of ordinary sizes.
    const mixed = fc.oneof({ arbitrary: text(40), weight: 4 }, { arbitrary: bigText(1_100_000), weight: 1 });
    await fc.assert(
      fc.asyncProperty(fc.array(rowCase(mixed), { minLength: 5, maxLength: 5 }), async (cases) => {
        expect(mismatches(cases, await roundTrip(dialect, cases, maxStatementBytes), maxStatementBytes)).toEqual([]);
      }),
      { numRuns: 6 },
    );
  });
});

describe('round trip through the DuckDB audit sink (its appender, not SQL)', () => {
  // Bigger batches: each write opens the database file and checks its tables and views.
  const SINK_ROWS_PER_RUN = 500;

  /** Writes `cases` as one invocation's rows with DuckDbAuditSink and reads them back. */
  async function throughSink(cases: RowCase[]) {
    const { invocationId, invocation } = syntheticBatch(0);
    const fixed = { invocation_id: invocationId };
    const file = path.join(duckDir, 'audit.duckdb');
    const sinkTables = {
      log: { schema, table: 'dbt_audit_log' },
      invocations: { schema, table: 'dbt_audit_invocations' },
    };
    const nodes = cases.map((row, index) => rowOf(row, index, fixed)) as AuditRow[];
    await new DuckDbAuditSink(file, sinkTables).write({ invocationId, invocation, nodes });
    const instance = await DuckDBInstance.create(file);
    try {
      const connection = await instance.connect();
      const where = `where invocation_id = '${invocationId}'`;
      const read = await connection.runAndReadAll(select(tableSql(sinkTables.log), where));
      connection.closeSync();
      return { stored: (read.getRowObjectsJson() as Record<string, unknown>[]).map(unprefixed), fixed };
    } finally {
      instance.closeSync();
    }
  }

  it(`stores ${RUNS.toLocaleString('en')} rows of arbitrary text and numbers as written or cut as documented`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowCase(text(40)), { minLength: SINK_ROWS_PER_RUN, maxLength: SINK_ROWS_PER_RUN }),
        async (cases) => {
          const { stored, fixed } = await throughSink(cases);
          expect(mismatches(cases, stored, AUDIT_MAX_STATEMENT_BYTES, fixed)).toEqual([]);
        },
      ),
      { numRuns: RUNS / SINK_ROWS_PER_RUN },
    );
  });
});
