import { describe, expect, it } from 'vitest';
import { AUDIT_COLUMNS, fitText, TEXT_MAX_BYTES, truncationMarker } from '../../src/audit/columns.js';

describe('audit columns', () => {
  it('start with the reference pipeline columns, in order', () => {
    expect(AUDIT_COLUMNS.slice(0, 10).map((column) => column.name)).toEqual([
      'load_id',
      'invocation_id',
      'database_name',
      'schema_name',
      'name',
      'resource_type',
      'status',
      'execution_time',
      'rows_affected',
      'model_execution_date',
    ]);
  });

  it('have unique, SQL-safe names and a description each', () => {
    const names = AUDIT_COLUMNS.map((column) => column.name);
    expect(new Set(names).size).toBe(names.length);
    for (const column of AUDIT_COLUMNS) {
      expect(column.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(column.description.length).toBeGreaterThan(10);
    }
  });
});

describe('fitText', () => {
  it('keeps text within the limit unchanged', () => {
    const text = `it's a \\ back'slash\n'); drop table x; -- ünïcødé 🚀`;
    expect(fitText(text, TEXT_MAX_BYTES.long_text)).toBe(text);
  });

  it('cuts to the byte limit with the marker, never inside a character', () => {
    const text = '🚀'.repeat(20_000); // 80,000 bytes
    const fitted = fitText(text, TEXT_MAX_BYTES.long_text);
    const marker = truncationMarker(80_000);
    expect(fitted.endsWith(marker)).toBe(true);
    expect(Buffer.byteLength(fitted)).toBeLessThanOrEqual(TEXT_MAX_BYTES.long_text);
    const head = fitted.slice(0, -marker.length);
    expect(head).toBe('🚀'.repeat(head.length / 2));
    // The cut loses less than one character.
    expect(TEXT_MAX_BYTES.long_text - Buffer.byteLength(fitted)).toBeLessThan(4);
  });

  it('cuts exactly at the limit for ASCII', () => {
    const fitted = fitText('x'.repeat(2000), 1024);
    expect(Buffer.byteLength(fitted)).toBe(1024);
    expect(fitted).toBe('x'.repeat(1024 - truncationMarker(2000).length) + truncationMarker(2000));
  });

  it('drops NUL, which no warehouse stores in text', () => {
    expect(fitText('a\u0000b', 10)).toBe('ab');
  });
});
