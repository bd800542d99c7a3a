/**
 * What the audit sink must store for a text value, written apart from
 * src/audit/columns.ts (code point by code point, not byte by byte) so the
 * properties check fitText against its documentation, not against itself.
 */
import { TRUNCATION_MARKER } from '../../../src/audit/columns.js';
import { wellFormed } from './arbitraries.js';

/**
 * The documented fit: NUL removed, then lone surrogates as U+FFFD (what UTF-8 makes of them); whole
 * when it fits in `maxBytes`, else the longest prefix of whole characters that fits with the
 * marker naming the original size. A limit too small for the marker cuts the text without one.
 */
export function expectedFit(value: string, maxBytes: number): string {
  // NUL goes first, then UTF-8 (a lone surrogate each side of a NUL make one character).
  const clean = wellFormed(value.replaceAll('\u0000', ''));
  const bytes = Buffer.byteLength(clean);
  if (bytes <= maxBytes) return clean;
  const marker = `${TRUNCATION_MARKER.before}${bytes}${TRUNCATION_MARKER.after}`;
  const markerBytes = Buffer.byteLength(marker);
  const withMarker = markerBytes <= maxBytes;
  let budget = withMarker ? maxBytes - markerBytes : maxBytes;
  let end = 0;
  for (const character of clean) {
    const code = character.codePointAt(0) as number;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (size > budget) break;
    budget -= size;
    end += character.length;
  }
  return clean.slice(0, end) + (withMarker ? marker : '');
}

/** True when `stored` is `value` fitted to some limit (a row cut further to fit its statement). */
export function isFitOf(value: string, stored: string): boolean {
  return expectedFit(value, Buffer.byteLength(stored)) === stored;
}

/** One whole literal, quotes doubled (and on Redshift backslashes too); chunks keep the regex's loop short. */
const STANDARD_LITERAL = /'(?:[^']+|'')*'/y;
const BACKSLASH_LITERAL = /'(?:[^'\\]+|''|\\\\)*'/y;

/** The text a SQL string literal stands for ('' is a quote; on Redshift a doubled backslash is one); throws if it is not one literal. */
export function readLiteral(literal: string, backslashEscapes: boolean): string {
  const pattern = backslashEscapes ? BACKSLASH_LITERAL : STANDARD_LITERAL;
  pattern.lastIndex = 0;
  if (pattern.exec(literal)?.[0].length !== literal.length) throw new Error(`not one literal: ${literal.slice(0, 80)}`);
  return literal.slice(1, -1).replace(backslashEscapes ? /''|\\\\/g : /''/g, (pair) => pair.charAt(0));
}

/**
 * The tuples of an `insert ... values` statement as sqlLiteral writes them: each value null,
 * a number, a string literal or a cast string literal, read back to its text.
 */
export function readInsert(statement: string, backslashEscapes: boolean): (string | null)[][] {
  let at = statement.indexOf(') values\n') + ') values\n'.length;
  const tuples: (string | null)[][] = [];
  const expect = (token: string) => {
    if (!statement.startsWith(token, at)) throw new Error(`expected ${JSON.stringify(token)} at ${at}`);
    at += token.length;
  };
  const literal = (): string => {
    const pattern = backslashEscapes ? BACKSLASH_LITERAL : STANDARD_LITERAL;
    pattern.lastIndex = at;
    const found = pattern.exec(statement)?.[0];
    if (found === undefined) throw new Error(`no literal at ${at}`);
    at += found.length;
    return readLiteral(found, backslashEscapes);
  };
  const value = (): string | null => {
    if (statement.startsWith('null', at)) {
      at += 4;
      return null;
    }
    if (statement.startsWith('cast(', at)) {
      at += 5;
      const text = literal();
      at = statement.indexOf(')', at) + 1;
      return text;
    }
    if (statement[at] === "'") return literal();
    const number = /^-?\d+/.exec(statement.slice(at, at + 30))?.[0];
    if (!number) throw new Error(`no value at ${at}`);
    at += number.length;
    return number;
  };
  for (;;) {
    expect('(');
    const tuple = [value()];
    while (statement.startsWith(', ', at)) {
      at += 2;
      tuple.push(value());
    }
    expect(')');
    tuples.push(tuple);
    if (at === statement.length) return tuples;
    expect(',\n');
  }
}
