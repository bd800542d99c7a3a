/**
 * The counterexamples the property tests found (issue 15), kept as plain
 * examples so they fail by name if the fixes go.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, planCompletionEvent, planFailureAlert } from '../../../src/alerts/message.js';
import { AUDIT_COLUMNS, type AuditColumn, fitText, truncationMarker } from '../../../src/audit/columns.js';
import { DuckDbAuditSink } from '../../../src/audit/sinks/duckdb.js';
import { sqlLiteral } from '../../../src/audit/sql.js';
import { redact } from '../../../src/redact.js';
import { syntheticBatch } from '../../harness/audit-batch.js';
import { tempDir } from '../../harness/product.js';
import { isWellFormed } from './arbitraries.js';

const rowsAffected = AUDIT_COLUMNS.find((column) => column.name === 'rows_affected') as AuditColumn;

describe('fitText (property counterexamples)', () => {
  it('stays within a limit smaller than the marker, cutting without it', () => {
    // Was the marker alone (37 bytes) for a 0-byte limit, and 70 bytes of text + marker for 10.
    expect(fitText('𐀀', 0)).toBe('');
    expect(fitText('x'.repeat(100), 10)).toBe('x'.repeat(10));
    expect(fitText('é'.repeat(10), 5)).toBe('éé');
    expect(fitText('x'.repeat(100), 60)).toBe(
      `${'x'.repeat(60 - truncationMarker(100).length)}${truncationMarker(100)}`,
    );
  });

  it('returns lone surrogates as U+FFFD whether or not it cuts, as UTF-8 stores them', () => {
    // Was '\ud800' as it is when the text fit (and U+FFFD only when cut).
    expect(fitText('\ud800', 10)).toBe('\ufffd');
    expect(fitText('a\udc00b', 10)).toBe('a\ufffdb');
    // NUL goes before the encoding, as in the audit_fit_text macro: the halves around it meet.
    expect(fitText('\ud800\u0000\udc00', 10)).toBe('\u{10000}');
  });
});

describe('sqlLiteral of a bigint (property counterexamples)', () => {
  it('writes null for a number beyond bigint, where a literal would fail the upload', () => {
    // Was `1e+21` (String(1e21)), which no bigint column takes.
    expect(sqlLiteral(1e21, rowsAffected, 'postgres')).toBe('null');
    expect(sqlLiteral(2 ** 63, rowsAffected, 'redshift')).toBe('null');
    expect(sqlLiteral(-(2 ** 63), rowsAffected, 'redshift')).toBe('-9223372036854775808');
    expect(sqlLiteral(2 ** 62, rowsAffected, 'duckdb')).toBe('4611686018427387904');
    expect(sqlLiteral(-50949779766710460, rowsAffected, 'postgres')).toBe('-50949779766710464');
  });
});

describe('the DuckDB audit sink (property counterexample)', () => {
  it('writes null for a count beyond 64 bits instead of failing the whole write', async () => {
    // The appender threw "bigint out of int64 range", and the run's audit was lost.
    const dir = await tempDir('dbt-product-kit-props-');
    try {
      const batch = syntheticBatch(2);
      Object.assign(batch.nodes[0] ?? {}, { rows_affected: 1e21 });
      Object.assign(batch.nodes[1] ?? {}, { rows_affected: -(2 ** 63) });
      const log = { schema: 'props_audit', table: 'dbt_audit_log' };
      const file = path.join(dir, 'audit.duckdb');
      await new DuckDbAuditSink(file, { log, invocations: { ...log, table: 'dbt_audit_invocations' } }).write(batch);
      const instance = await DuckDBInstance.create(file);
      const connection = await instance.connect();
      const read = await connection.runAndReadAll(
        'select cast(rows_affected as varchar) as n from props_audit.dbt_audit_log order by name',
      );
      expect(read.getRowObjectsJson()).toEqual([{ n: null }, { n: '-9223372036854775808' }]);
      connection.closeSync();
      instance.closeSync();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const context = {
  product: 'orders',
  environment: 'prod',
  auditTable: { schema: 'orders_audit', table: 'dbt_audit_log' },
  includeWarnings: false,
};

/** A run that failed: one node errored with `message`; the invocation gets `invocation`. */
function failedRun(message: string, invocation: Record<string, unknown> = {}) {
  const batch = syntheticBatch(1, () => message);
  Object.assign(batch.nodes[0] ?? {}, { status: 'error' });
  Object.assign(batch.invocation, { status: 'failed', exit_code: 1, ...invocation });
  return batch;
}

describe('alerts and events (property counterexamples)', () => {
  it('never publish a credential of a URL in a message, an error, the selection or the run URL', () => {
    // Each went out as it was: the alert and the event did not redact.
    const url = 'postgres://loader:hunter2secret@db.example.com:5439/dev';
    const batch = failedRun(`could not connect: ${url}`, {
      error_message: `Database Error: ${url}`,
      selection: `--select ${url}`,
      run_url: 'https://ci:hunter2secret@ci.example.com/run/1',
    });
    const alert = planFailureAlert(batch, context);
    expect(alert?.message).toContain('postgres://***@db.example.com');
    expect(alert?.message).not.toContain('hunter2secret');
    const event = planCompletionEvent(
      { ...batch, invocation: { ...batch.invocation, status: 'success' } },
      { product: 'orders', environment: 'prod' },
    );
    expect(event?.document.run_url).toBe('https://***@ci.example.com/run/1');
    // A credential past what a message shows is masked with the URL it is in.
    const far = failedRun(`${'x'.repeat(7990)} https://user:hunter2secret${'y'.repeat(50)}@host/x`);
    expect(planFailureAlert(far, context)?.message).not.toContain('hunter2');
  });

  it('redact finds a URL right after a digit, and in linear time', () => {
    // `\b` let a scheme straight after a digit or `_` through.
    expect(redact('error 2002postgres://u:hunter2@h/db')).toBe('error 2002postgres://***@h/db');
    expect(redact('_https://token@github.com/x')).toBe('_https://***@github.com/x');
    // 100 KB of `a-a-a-...` took about half a minute with an unbounded scheme.
    const started = performance.now();
    redact('a-'.repeat(50_000));
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('never ends a trimmed text with half a surrogate pair', () => {
    // The 1,999th UTF-16 unit of 𐀀𐀀𐀀... is a high surrogate: the alert carried it alone.
    const alert = planFailureAlert(failedRun('𐀀'.repeat(3000)), context);
    const message = alert?.document.failures[0]?.message ?? '';
    expect(message.endsWith('…')).toBe(true);
    expect(isWellFormed(message)).toBe(true);
    expect(isWellFormed(JSON.parse(alert?.message ?? '{}').default)).toBe(true);
  });

  it('stays under 256 KB with a long selection of characters JSON escapes', () => {
    // 297 KB before the selection was trimmed: SNS refuses it, and the alert is lost.
    const batch = failedRun('boom', {
      status: 'error',
      selection: '"'.repeat(20_000),
      error_message: '"'.repeat(5_000),
    });
    const alert = planFailureAlert(batch, context);
    expect(Buffer.byteLength(alert?.message ?? '')).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(alert?.document.selection).toHaveLength(2000);
  });
});
