/**
 * Properties of the audit sink's SQL planning (pure, no database): fitText
 * cuts exactly as documented, every literal is one well-formed SQL string
 * that stands for the fitted text in its dialect, numbers are plain literals
 * or null, and INSERT statements keep to their byte limit. The round trip
 * through real databases is in round-trip.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_COLUMNS,
  AUDIT_MAX_STATEMENT_BYTES,
  type AuditColumn,
  fitText,
  INVOCATION_COLUMNS,
  maxBytesOf,
  TEXT_MAX_BYTES,
} from '../../../src/audit/columns.js';
import { insertRowsSql, type SqlDialect, sqlLiteral } from '../../../src/audit/sql.js';
import { DATA_API_LIMITS } from '../../../src/redshift/data-api.js';
import { bigText, RUNS, text } from './arbitraries.js';
import { expectedFit, isFitOf, readInsert, readLiteral } from './oracle.js';

/** True when an integer fits a bigint column (64 bits, signed). */
const inInt64 = (integer: number) => integer >= -(2 ** 63) && integer < 2 ** 63;

const TEXT_COLUMNS = [...AUDIT_COLUMNS, ...INVOCATION_COLUMNS].filter(
  (column) => maxBytesOf(column) !== undefined,
) as AuditColumn[];
const DIALECTS: SqlDialect[] = ['postgres', 'duckdb', 'redshift'];

describe('fitText', () => {
  it('keeps text that fits and cuts the rest exactly as documented, for any limit', () => {
    fc.assert(
      fc.property(text(300), fc.integer({ min: 0, max: 1200 }), (value, maxBytes) => {
        const fitted = fitText(value, maxBytes);
        expect(fitted).toBe(expectedFit(value, maxBytes));
        expect(Buffer.byteLength(fitted)).toBeLessThanOrEqual(maxBytes);
        // Fitting again changes nothing: a stored value read back and written again stays the same.
        expect(fitText(fitted, maxBytes)).toBe(fitted);
      }),
      { numRuns: RUNS },
    );
  });

  it('cuts texts up to a megabyte to the column limits', () => {
    fc.assert(
      fc.property(
        bigText(1_100_000),
        fc.constantFrom(TEXT_MAX_BYTES.short_text, TEXT_MAX_BYTES.long_text),
        (value, maxBytes) => {
          const fitted = fitText(value, maxBytes);
          expect(fitted).toBe(expectedFit(value, maxBytes));
          expect(Buffer.byteLength(fitted)).toBeLessThanOrEqual(maxBytes);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('sqlLiteral', () => {
  it('writes any text as one literal standing for the fitted text, in every dialect', () => {
    fc.assert(
      fc.property(
        text(400),
        fc.constantFrom(...TEXT_COLUMNS),
        fc.constantFrom(...DIALECTS),
        (value, column, dialect) => {
          const literal = sqlLiteral(value, column, dialect);
          const limit = maxBytesOf(column) as number;
          expect(readLiteral(literal, dialect === 'redshift')).toBe(expectedFit(value, limit));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('writes a number as a plain literal, or null when it is not a finite value the column holds', () => {
    const bigint = AUDIT_COLUMNS.find((column) => column.name === 'rows_affected') as AuditColumn;
    const float = AUDIT_COLUMNS.find((column) => column.name === 'execution_time') as AuditColumn;
    fc.assert(
      fc.property(
        fc.oneof(fc.double(), fc.integer(), fc.maxSafeInteger()),
        fc.constantFrom(...DIALECTS),
        (value, dialect) => {
          const integer = sqlLiteral(value, bigint, dialect);
          if (integer !== 'null') {
            // A plain integer within bigint's range, exactly the number's (truncated) value.
            expect(integer).toMatch(/^-?\d{1,19}$/);
            expect(BigInt(integer)).toBe(BigInt(Math.trunc(value)));
            expect(BigInt(integer) < 2n ** 63n && BigInt(integer) >= -(2n ** 63n)).toBe(true);
          } else expect(Number.isFinite(value) && inInt64(Math.trunc(value))).toBe(false);
          const real = sqlLiteral(value, float, dialect);
          if (Number.isFinite(value)) {
            const inner = /^cast\('(.*)' as (float8|double precision)\)$/.exec(real)?.[1];
            expect(Number(inner)).toBe(value === 0 ? 0 : value);
          } else expect(real).toBe('null');
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('insertRowsSql', () => {
  const auditText = TEXT_COLUMNS.filter((column) => AUDIT_COLUMNS.some((audit) => audit.name === column.name));
  const rowOf = (texts: string[], index: number): Record<string, unknown> =>
    Object.fromEntries([
      ...auditText.map((column, at) => [column.name, texts[at % texts.length] ?? null]),
      ['rows_affected', index],
      ['execution_time', index / 7],
    ]);
  const longOrShort = fc.oneof({ arbitrary: text(60), weight: 8 }, { arbitrary: bigText(150_000), weight: 1 });

  /** Plans the INSERTs of rows made of `texts` and checks them, statement by statement and value by value. */
  const plansWithin = (texts: string[][], dialect: SqlDialect, maxBytes: number) => {
    const rows = texts.map(rowOf);
    const statements = insertRowsSql({ schema: 's', table: 't' }, AUDIT_COLUMNS, rows, dialect, maxBytes);
    for (const statement of statements) expect(Buffer.byteLength(statement)).toBeLessThanOrEqual(maxBytes);
    const tuples = statements.flatMap((statement) => readInsert(statement, dialect === 'redshift'));
    // What each tuple should hold, built beside what it holds and compared once (10,000 cases of a
    // hundred expect() calls each would cost more than the planning they check).
    const wanted = rows.map((row, index) =>
      AUDIT_COLUMNS.map((column, at) => {
        if (column.name === 'rows_affected') return String(index);
        if (maxBytesOf(column) === undefined) return tuples[index]?.[at];
        const value = String(row[column.name]);
        const fitted = expectedFit(value, maxBytesOf(column) as number);
        const stored = tuples[index]?.[at];
        // Only a row too big for its statement is cut further (a 1 MB statement holds any row).
        const cutFurther = maxBytes < AUDIT_MAX_STATEMENT_BYTES && typeof stored === 'string' && isFitOf(value, stored);
        return cutFurther ? stored : fitted;
      }),
    );
    expect(tuples).toEqual(wanted);
  };

  it('writes rows of ordinary text whole, in statements within their byte limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(text(60), { minLength: 1, maxLength: 4 }), { maxLength: 4 }),
        fc.constantFrom(...DIALECTS),
        fc.constantFrom(AUDIT_MAX_STATEMENT_BYTES, DATA_API_LIMITS.maxSqlBytes),
        plansWithin,
      ),
      { numRuns: RUNS },
    );
  });

  it('keeps rows of texts up to 150 KB within 1 MB and Data API (100 KB) statements, cut only as documented', () => {
    // Each case plans up to 12 rows of up to 26 such texts: fewer runs; the property above keeps 10,000.
    fc.assert(
      fc.property(
        fc.array(fc.array(longOrShort, { minLength: 1, maxLength: 4 }), { maxLength: 12 }),
        fc.constantFrom(...DIALECTS),
        fc.constantFrom(AUDIT_MAX_STATEMENT_BYTES, DATA_API_LIMITS.maxSqlBytes),
        plansWithin,
      ),
      { numRuns: 60 },
    );
  });
});
