/**
 * Text generators for the property tests: any JS string a dbt message, a
 * node name or a database error can hold. Characters are drawn from a mix
 * weighted towards what breaks SQL and JSON (quotes, backslashes, NUL,
 * newlines, `$$`, `--`), with the whole code point range (astral characters
 * as surrogate pairs) and lone surrogates, which a JS string can hold but
 * UTF-8 cannot (each becomes U+FFFD when encoded).
 */
import fc from 'fast-check';

/** How many cases a property runs in CI: the issue asks for at least 10,000. */
export const RUNS = 10_000;

/** Characters that are special to SQL literals, JSON or the text body. */
const SPECIAL = ["'", '"', '\\', '\u0000', '\n', '\r', '\t', '$', '-', ';', '%', '@', ':', '/', '\u2028', '\ufeff'];

const special = fc.constantFrom(...SPECIAL);
const ascii = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
const control = fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code));
/** Any code point but a surrogate: one or two UTF-16 units, one to four UTF-8 bytes. */
const codePoint = fc
  .integer({ min: 0, max: 0x10ffff - 0x800 })
  .map((code) => String.fromCodePoint(code < 0xd800 ? code : code + 0x800));
const astral = fc.integer({ min: 0x10000, max: 0x10ffff }).map((code) => String.fromCodePoint(code));
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

const wellFormedUnits = [
  { arbitrary: ascii, weight: 6 },
  { arbitrary: special, weight: 4 },
  { arbitrary: codePoint, weight: 4 },
  { arbitrary: astral, weight: 2 },
  { arbitrary: control, weight: 1 },
];

/** One character (or lone surrogate) of arbitrary text. */
export const textUnit = fc.oneof(...wellFormedUnits, { arbitrary: loneSurrogate, weight: 1 });
/** One character of arbitrary well-formed text (UTF-8 encodes it as it is). */
export const wellFormedUnit = fc.oneof(...wellFormedUnits);

/** Options of the text generators. */
export interface TextOptions {
  /** Lone surrogates too (the default); without them, the text is well-formed. */
  loneSurrogates?: boolean;
}

const unitOf = (options: TextOptions) => (options.loneSurrogates === false ? wellFormedUnit : textUnit);

/** Arbitrary text of up to `maxLength` units (a unit is one or two UTF-16 code units). */
export function text(maxLength = 40, options: TextOptions = {}): fc.Arbitrary<string> {
  return fc.string({ unit: unitOf(options), maxLength });
}

/**
 * Text of up to about `maxBytes` UTF-8 bytes, reached by repeating a random
 * piece (generating a megabyte unit by unit would take seconds per case),
 * with random text either side so cuts land anywhere.
 */
export function bigText(maxBytes: number, options: TextOptions = {}): fc.Arbitrary<string> {
  return fc
    .tuple(
      text(10, options),
      fc.string({ unit: unitOf(options), minLength: 1, maxLength: 30 }),
      fc.nat({ max: maxBytes }),
      text(10, options),
    )
    .map(([head, piece, bytes, tail]) => {
      const times = Math.max(1, Math.floor(bytes / Math.max(1, Buffer.byteLength(piece))));
      return head + piece.repeat(times) + tail;
    });
}

/** What UTF-8 makes of a JS string: lone surrogates become U+FFFD. */
export function wellFormed(value: string): string {
  return Buffer.from(value, 'utf8').toString('utf8');
}

/** True when the string has no lone surrogate (UTF-8 encodes it as it is). */
export function isWellFormed(value: string): boolean {
  return wellFormed(value) === value;
}
