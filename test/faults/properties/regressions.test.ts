/**
 * The counterexamples the property tests found (issue 15), kept as plain
 * examples so they fail by name if the fixes go.
 */
import { describe, expect, it } from 'vitest';
import { AUDIT_COLUMNS, type AuditColumn, fitText, truncationMarker } from '../../../src/audit/columns.js';
import { sqlLiteral } from '../../../src/audit/sql.js';

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
    expect(sqlLiteral(-(2 ** 63), rowsAffected, 'redshift')).toBe('null');
    expect(sqlLiteral(2 ** 62, rowsAffected, 'duckdb')).toBe('4611686018427387904');
    expect(sqlLiteral(-50949779766710460, rowsAffected, 'postgres')).toBe('-50949779766710464');
  });
});
