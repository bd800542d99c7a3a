/**
 * The Redshift audit sink through the real SDK client against the Data API
 * fake, which runs the SQL on the test PostgreSQL with Redshift's string
 * semantics: batches within the limits, rows read back equal to the JSONL
 * copy, idempotent re-uploads, hostile text, migration, and errors.
 */
import { randomBytes } from 'node:crypto';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AUDIT_COLUMNS, type AuditColumn, INVOCATION_COLUMNS } from '../../src/audit/columns.js';
import { auditJsonl, parseAuditJsonl } from '../../src/audit/sinks/jsonl.js';
import { RedshiftAuditSink } from '../../src/audit/sinks/redshift.js';
import { DATA_API_LIMITS } from '../../src/redshift/data-api.js';
import { syntheticBatch } from '../harness/audit-batch.js';
import { FakeDataApi } from '../harness/redshift-data-fake.js';

const postgres = inject('postgres');
const fake = new FakeDataApi({ postgres, clusters: ['analytics'], workgroups: ['orders-wg'], startDelayMs: 5 });
let client: RedshiftDataClient;
let db: pg.Client;
const fast = { pollStartMs: 5, pollMaxMs: 50 };

beforeAll(async () => {
  const endpoint = await fake.start();
  client = new RedshiftDataClient({
    region: 'eu-west-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  db = new pg.Client(postgres);
  await db.connect();
});

afterAll(async () => {
  await db.end();
  await fake.stop();
});

function tables() {
  const schema = `rs_${randomBytes(4).toString('hex')}`;
  return { log: { schema, table: 'dbt_audit_log' }, invocations: { schema, table: 'dbt_audit_invocations' } };
}

const target = { clusterIdentifier: 'analytics', database: postgres.database, region: 'eu-west-1', dbUser: 'orders' };

/** The table's rows for an invocation, as the JSONL copy writes them. */
async function readBack(
  ref: { schema: string; table: string },
  invocationId: string,
  columns: readonly AuditColumn[] = AUDIT_COLUMNS,
) {
  const select = columns
    .map((column) =>
      column.type === 'timestamp'
        ? `to_char(${column.name}, 'YYYY-MM-DD HH24:MI:SS.US') as ${column.name}`
        : column.type === 'float'
          ? `${column.name}::text as ${column.name}`
          : column.name,
    )
    .join(', ');
  const result = await db.query(
    `select ${select} from "${ref.schema}"."${ref.table}" where invocation_id = $1 order by ${columns === AUDIT_COLUMNS ? 'unique_id' : 'invocation_id'}`,
    [invocationId],
  );
  return result.rows.map((row) =>
    Object.fromEntries(
      columns.map((column) => {
        const value = row[column.name];
        if (value === null) return [column.name, null];
        if (column.type === 'bigint') return [column.name, Number(value)];
        if (column.type === 'float') return [column.name, Number(value)];
        return [column.name, value];
      }),
    ),
  );
}

describe('RedshiftAuditSink (Data API fake over PostgreSQL)', () => {
  it('uploads 10,000 nodes in at most 3 batches under the limits; rows equal the JSONL copy; reruns leave the same rows', async () => {
    const where = tables();
    const sink = new RedshiftAuditSink(client, target, where, fast);
    const batch = syntheticBatch(10_000);
    const callsBefore = fake.calls.length;
    await sink.write(batch);
    const calls = fake.calls.slice(callsBefore).filter((call) => call.operation === 'BatchExecuteStatement');
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.length).toBeLessThanOrEqual(3);
    for (const call of calls) {
      expect(call.sqlBytes.length).toBeLessThanOrEqual(DATA_API_LIMITS.maxBatchStatements);
      for (const bytes of call.sqlBytes) expect(bytes).toBeLessThanOrEqual(DATA_API_LIMITS.maxSqlBytes);
    }
    expect(sink.api.stats.batch).toBe(calls.length);

    const copy = parseAuditJsonl(auditJsonl(batch));
    const sortById = (rows: Record<string, unknown>[]) =>
      [...rows].sort((a, b) => String(a.unique_id).localeCompare(String(b.unique_id)));
    expect(await readBack(where.log, batch.invocationId)).toEqual(sortById(copy.nodes));
    const [invocation] = await readBack(where.invocations, batch.invocationId, INVOCATION_COLUMNS);
    expect(invocation).toEqual(copy.invocation);

    await sink.write(batch);
    const counted = await db.query(`select count(*)::int as n from "${where.log.schema}"."dbt_audit_log"`);
    expect(counted.rows[0].n).toBe(10_000);
    const invocations = await db.query(`select count(*)::int as n from "${where.log.schema}"."dbt_audit_invocations"`);
    expect(invocations.rows[0].n).toBe(1);
  });

  it('stores hostile text exactly, or cut to the column with the marker; no statement fails', async () => {
    const where = tables();
    const hostile = [
      "it's",
      'C:\\path\\to\\file \\n not a newline',
      "'); drop table audit_table; --",
      "\\'; select 1; --",
      'tab\tnewline\nreturn\r bell\u0007 escape\u001b[31m',
      '4-byte: 😀 𝄞 👩‍👩‍👧',
      `${'\\'.repeat(70_000)}`,
      `${"'".repeat(40_000)}${'é'.repeat(30_000)}`,
      'x'.repeat(1_000_000),
    ];
    const batch = syntheticBatch(hostile.length, (index) => hostile[index] as string);
    const sink = new RedshiftAuditSink(client, target, where, fast);
    await sink.write(batch);
    const stored = new Map(
      (await readBack(where.log, batch.invocationId)).map((row) => [row.unique_id, String(row.message)]),
    );
    hostile.forEach((text, index) => {
      const got = stored.get(`model.orders.m_${index}`) as string;
      if (got === text) return;
      // Cut: a prefix of the original, the marker, within 65,535 bytes.
      const match = /^([\s\S]*) \[truncated by dbt-product-kit: (\d+) bytes\]$/.exec(got);
      expect(match, `row ${index} neither exact nor marked`).not.toBeNull();
      expect(text.startsWith(match?.[1] as string)).toBe(true);
      expect(Number(match?.[2])).toBe(Buffer.byteLength(text));
      expect(Buffer.byteLength(got)).toBeLessThanOrEqual(65_535);
    });
    // Short ones are exact.
    for (let index = 0; index < 6; index++) expect(stored.get(`model.orders.m_${index}`)).toBe(hostile[index]);
    const tablesLeft = await db.query(`select count(*)::int as n from "${where.log.schema}"."dbt_audit_log"`);
    expect(tablesLeft.rows[0].n).toBe(hostile.length);
  });

  it('adds the columns an older table lacks, then writes', async () => {
    const where = tables();
    await db.query(`create schema "${where.log.schema}"`);
    await db.query(
      `create table "${where.log.schema}"."dbt_audit_log" (invocation_id varchar(1024), unique_id varchar(1024), status varchar(1024))`,
    );
    const batch = syntheticBatch(3);
    await new RedshiftAuditSink(client, target, where, fast).write(batch);
    const columns = await db.query(
      'select column_name from information_schema.columns where table_schema = $1 and table_name = $2',
      [where.log.schema, 'dbt_audit_log'],
    );
    expect(columns.rows.map((row) => row.column_name).sort()).toEqual(
      AUDIT_COLUMNS.map((column) => column.name).sort(),
    );
    expect(await readBack(where.log, batch.invocationId)).toHaveLength(3);
  });

  it('a statement Redshift fails rolls its batch back and names the statement', async () => {
    const where = tables();
    await db.query(`create schema "${where.log.schema}"`);
    // An invocation_id column of the wrong type: the DELETE (statement 2) fails.
    await db.query(`create table "${where.log.schema}"."dbt_audit_log" (invocation_id integer)`);
    const sink = new RedshiftAuditSink(client, target, where, fast);
    await expect(sink.write(syntheticBatch(2))).rejects.toThrow(
      /^writing the audit to redshift-data cluster analytics\/postgres \(eu-west-1\) failed: Redshift statement \S+ failed \(statement \d+ of \d+ in the batch\): ERROR: /,
    );
    const invocations = await db.query(
      'select count(*)::int as n from information_schema.tables where table_schema = $1 and table_name = $2',
      [where.log.schema, 'dbt_audit_invocations'],
    );
    expect(invocations.rows[0].n).toBe(0); // rolled back with the rest of the batch
  });

  it('an unknown cluster or workgroup is one line', async () => {
    await expect(
      new RedshiftAuditSink(client, { ...target, clusterIdentifier: 'nope' }, tables(), fast).write(syntheticBatch(1)),
    ).rejects.toThrow(
      /failed: Redshift cluster nope not found in eu-west-1 \(Redshift endpoint doesn't exist in this region\.\): check --audit-cluster/,
    );
    await expect(
      new RedshiftAuditSink(
        client,
        { workgroupName: 'missing-wg', database: 'dev', region: 'eu-west-1' },
        tables(),
        fast,
      ).write(syntheticBatch(1)),
    ).rejects.toThrow(/failed: Redshift workgroup missing-wg not found in eu-west-1 .*: check --audit-cluster/);
  });
});
