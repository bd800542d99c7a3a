/**
 * Reading a large JSON file a member at a time. A manifest of 50,000 nodes
 * is 110 MB of JSON; JSON.parse of all of it holds the text and about three
 * times that in objects, most of which (compiled SQL, columns, docs, parent
 * maps) the kit never reads. Here the file is read in chunks and scanned for
 * the boundaries of the members the caller keeps (strings and nesting only,
 * no values built); each is parsed on its own by JSON.parse and projected
 * to the keys kept: peak memory is a chunk plus what is kept. A streaming
 * JSON library (stream-json) was eight times slower than JSON.parse on the
 * same file; this is about as fast.
 */
import { open } from 'node:fs/promises';

/**
 * What to keep of a document (pure description): for each top-level key, the
 * whole value (true), or each entry of its object or array projected to
 * these keys. Other top-level keys are skipped unparsed.
 */
export type JsonKeep = Record<string, true | readonly string[]>;

/**
 * Called with each projected entry as it is read (member, its key or index,
 * the entry); what it returns is kept instead. Checking an entry here, while
 * it is young, keeps a schema library's copy from doubling the document.
 */
export type JsonEntryHook = (member: string, key: string | number, entry: unknown) => unknown;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const CHUNK_BYTES = 1024 * 1024;

const isSpace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

interface Frame {
  array: boolean;
  /** The next string in this object is a key. */
  expectKey: boolean;
  /** The key (object) or index (array) of the value being read in it. */
  key: string | number | null;
}

function pick(value: unknown, keys: readonly string[]): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const picked: Record<string, unknown> = {};
  for (const key of keys) if (Object.hasOwn(value, key)) setOwn(picked, key, (value as Record<string, unknown>)[key]);
  return picked;
}

/**
 * `object[key] = value` as JSON.parse sets a member: an own property whatever the key, where
 * assigning `__proto__` would set the object's prototype instead (and lose the member).
 */
function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Collects the bytes of one value across chunks. */
class Capture {
  private readonly parts: Uint8Array[] = [];
  constructor(public start: number) {}
  /** The chunk is about to be refilled: what this value has in it is copied out. */
  carry(chunk: Uint8Array): void {
    this.parts.push(Uint8Array.prototype.slice.call(chunk, this.start));
    this.start = 0;
  }
  parse(chunk: Uint8Array, end: number): unknown {
    this.parts.push(chunk.subarray(this.start, end));
    return JSON.parse(Buffer.concat(this.parts).toString('utf8'));
  }
}

/**
 * The scanner: fed chunk after chunk, it keeps what `keep` names in
 * `document`. Values are located by the nesting alone; their syntax is
 * JSON.parse's to check when they are parsed.
 */
class KeptScanner {
  readonly document: Record<string, unknown> = {};
  private readonly stack: Frame[] = [];
  private inString = false;
  private escaped = false;
  private keyParts: Uint8Array[] | undefined;
  private keyStart = 0;
  /** A literal (number, true, false, null) being read, and whether it is captured. */
  private inLiteral = false;
  private capture: { capture: Capture; depth: number; literal: boolean } | undefined;
  private ended = false;

  constructor(
    private readonly keep: JsonKeep,
    private readonly onEntry?: JsonEntryHook,
  ) {}

  /** Whether the value starting now, inside the frames on the stack, is one to capture. */
  private wanted(container: boolean): boolean {
    const depth = this.stack.length;
    const keep = this.keep[String(this.stack[0]?.key)];
    // A kept member's value is kept whole when asked, or when it has no entries to project.
    if (depth === 1) return keep === true || (Array.isArray(keep) && !container);
    if (depth === 2) return Array.isArray(keep);
    return false;
  }

  private store(value: unknown): void {
    const [root, entry] = this.stack;
    const key = String(root?.key);
    const keep = this.keep[key];
    if (this.stack.length === 1 || keep === true) {
      this.document[key] = value;
      return;
    }
    const picked = pick(value, keep as readonly string[]);
    const projected = this.onEntry ? this.onEntry(key, entry?.key ?? 0, picked) : picked;
    this.document[key] ??= entry?.array ? [] : {};
    const container = this.document[key] as Record<string | number, unknown>;
    if (Array.isArray(container)) container.push(projected);
    else setOwn(container, String(entry?.key), projected);
  }

  private startValue(chunk: Buffer, index: number, literal: boolean): void {
    const container = chunk[index] === OPEN_OBJECT || chunk[index] === OPEN_ARRAY;
    if (!this.capture && this.wanted(container))
      this.capture = { capture: new Capture(index), depth: this.stack.length, literal };
    // A kept map's container exists even when empty.
    if (this.stack.length === 1 && container) {
      const keep = this.keep[String(this.stack[0]?.key)];
      if (Array.isArray(keep)) this.document[String(this.stack[0]?.key)] ??= chunk[index] === OPEN_ARRAY ? [] : {};
    }
  }

  private endValue(chunk: Buffer, end: number, literal: boolean): void {
    if (this.capture && this.capture.depth === this.stack.length && this.capture.literal === literal) {
      this.store(this.capture.capture.parse(chunk, end));
      this.capture = undefined;
    }
  }

  feed(chunk: Buffer): void {
    // The hot loop: plain locals (a property read per byte costs several times the loop).
    const length = chunk.length;
    let inString = this.inString;
    let escaped = this.escaped;
    let inLiteral = this.inLiteral;
    let index = 0;
    while (index < length) {
      const byte = chunk[index] as number;
      if (inString) {
        if (escaped) escaped = false;
        else if (byte === BACKSLASH) escaped = true;
        else if (byte === QUOTE) {
          inString = false;
          this.endString(chunk, index + 1);
        }
        index++;
        continue;
      }
      if (inLiteral) {
        if (byte !== COMMA && byte !== CLOSE_OBJECT && byte !== CLOSE_ARRAY && !isSpace(byte)) {
          index++;
          continue;
        }
        inLiteral = false;
        this.endValue(chunk, index, true);
      }
      if (!isSpace(byte)) {
        if (byte === QUOTE) inString = true;
        else if (
          byte !== OPEN_OBJECT &&
          byte !== OPEN_ARRAY &&
          byte !== CLOSE_OBJECT &&
          byte !== CLOSE_ARRAY &&
          byte !== COLON &&
          byte !== COMMA
        )
          inLiteral = true;
        this.structural(chunk, index, byte);
      }
      index++;
    }
    this.inString = inString;
    this.escaped = escaped;
    this.inLiteral = inLiteral;
    // What is being collected continues in the next chunk.
    this.capture?.capture.carry(chunk);
    if (this.keyParts) {
      this.keyParts.push(Uint8Array.prototype.slice.call(chunk, this.keyStart));
      this.keyStart = 0;
    }
  }

  /** A string ended just before `end`: a key of the object being read, or a value. */
  private endString(chunk: Buffer, end: number): void {
    if (this.keyParts) {
      this.keyParts.push(chunk.subarray(this.keyStart, end));
      (this.stack.at(-1) as Frame).key = JSON.parse(Buffer.concat(this.keyParts).toString('utf8'));
      this.keyParts = undefined;
    } else this.endValue(chunk, end, false);
  }

  /** A byte outside strings and literals: nesting, keys, separators, or a literal's first byte. */
  private structural(chunk: Buffer, index: number, byte: number): void {
    if (this.ended) throw new SyntaxError('Unexpected data after the JSON document');
    const top = this.stack.at(-1);
    switch (byte) {
      case QUOTE:
        // Only the keys of the top two levels are read (which member, which entry); deeper ones are skipped.
        if (top && !top.array && top.expectKey) {
          if (this.stack.length > 2) break;
          this.keyParts = [];
          this.keyStart = index;
        } else this.startValue(chunk, index, false);
        break;
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        this.startValue(chunk, index, false);
        this.stack.push({
          array: byte === OPEN_ARRAY,
          expectKey: byte === OPEN_OBJECT,
          key: byte === OPEN_ARRAY ? 0 : null,
        });
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        if (!top || top.array !== (byte === CLOSE_ARRAY))
          throw new SyntaxError(`Unexpected '${String.fromCharCode(byte)}'`);
        this.stack.pop();
        this.endValue(chunk, index + 1, false);
        if (this.stack.length === 0) this.ended = true;
        break;
      case COLON:
        if (!top || top.array) throw new SyntaxError("Unexpected ':'");
        top.expectKey = false;
        break;
      case COMMA:
        if (!top) throw new SyntaxError("Unexpected ','");
        if (top.array) top.key = Number(top.key) + 1;
        else top.expectKey = true;
        break;
      default:
        this.startValue(chunk, index, true);
    }
  }

  finish(): Record<string, unknown> {
    if (!this.ended || this.inString) throw new SyntaxError('Unexpected end of JSON input');
    return this.document;
  }
}

/**
 * Below this size a document is read whole and parsed by JSON.parse, then
 * projected: its parsed copy is small, and the native parser is several
 * times faster than the scan (a 1,000-view build's 2.9 MB manifest: ~30 ms
 * against ~140 ms).
 */
export const WHOLE_PARSE_BYTES = 8 * 1024 * 1024;

/** What the scan keeps of a parsed document, the same way (pure): kept members, entries projected and hooked. */
export function keptOf(document: unknown, keep: JsonKeep, onEntry?: JsonEntryHook): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  if (!document || typeof document !== 'object' || Array.isArray(document)) return kept;
  for (const [member, value] of Object.entries(document)) {
    const wanted = Object.hasOwn(keep, member) ? keep[member] : undefined;
    if (!wanted) continue;
    if (wanted === true || value === null || typeof value !== 'object') {
      kept[member] = value;
      continue;
    }
    const project = (key: string | number, entry: unknown) => {
      const picked = pick(entry, wanted);
      return onEntry ? onEntry(member, key, picked) : picked;
    };
    kept[member] = Array.isArray(value)
      ? value.map((entry, index) => project(index, entry))
      : Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, project(key, entry)]));
  }
  return kept;
}

/** The document in `file`, with only what `keep` names; throws SyntaxError when it is not whole JSON. */
export async function readKept(
  file: string,
  keep: JsonKeep,
  options: { chunkBytes?: number; onEntry?: JsonEntryHook; wholeParseBytes?: number } = {},
): Promise<Record<string, unknown>> {
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < (options.wholeParseBytes ?? WHOLE_PARSE_BYTES)) {
      return keptOf(JSON.parse(await handle.readFile('utf8')), keep, options.onEntry);
    }
    const scanner = new KeptScanner(keep, options.onEntry);
    // One buffer, refilled: a value that spans chunks is copied out of it (Capture.carry).
    const chunk = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      scanner.feed(chunk.subarray(0, bytesRead));
    }
    return scanner.finish();
  } finally {
    await handle.close();
  }
}
