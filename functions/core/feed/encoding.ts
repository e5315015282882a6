import { isUtf8 } from 'node:buffer';
import { FeedError } from './errors.js';

/** The encodings the reader can decode, by the name it reports. */
export type FeedEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/**
 * Windows-1252 code points for bytes 0x80–0x9F (the rest of the byte range equals Latin-1).
 * Written out because Node 20's `TextDecoder('windows-1252')` (small ICU builds) decodes these
 * bytes as C1 control characters, turning `€`, `–`, `”` into invisible garbage. The five bytes
 * Windows-1252 leaves undefined map to the C1 code point of the same value, as WHATWG does.
 */
const CP1252_HIGH = [
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d,
  0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a,
  0x0153, 0x009d, 0x017e, 0x0178,
];
const CP1252_HIGH_CHARS = CP1252_HIGH.map((code) => String.fromCharCode(code));

const C1 = /[\u0080-\u009f]/;
const C1_ALL = /[\u0080-\u009f]/g;
const cp1252High = (char: string): string => CP1252_HIGH_CHARS[char.charCodeAt(0) - 0x80]!;

/**
 * Text read byte for byte as Latin-1, as Windows-1252 reads it: the two differ only in
 * 0x80–0x9F, where 1252 has `€`, `–`, `”`, `Š` and others.
 */
export function windows1252FromLatin1(text: string): string {
  return C1.test(text) ? text.replace(C1_ALL, cp1252High) : text;
}

/** The Windows-1252 bytes of a text it decoded (a header name), or null for a character 1252 has not. */
export function windows1252Bytes(text: string): number[] | null {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.charCodeAt(0);
    const high = CP1252_HIGH_CHARS.indexOf(char);
    if (high >= 0) bytes.push(0x80 + high);
    else if (code <= 0xff) bytes.push(code);
    else return null;
  }
  return bytes;
}

/**
 * Decodes Windows-1252 bytes (also used for ISO-8859-1, as browsers do: real Latin-1 files never
 * use 0x80–0x9F, and files labelled Latin-1 that do mean Windows-1252).
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  return windows1252FromLatin1(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
}

/** Whether any byte is in 0x80–0x9F, where Windows-1252 and Latin-1 differ. A plain loop: it reads every byte. */
function hasC1Byte(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x80 && byte < 0xa0) return true;
  }
  return false;
}

/** What the CSV parser reads: bytes with every line break a LF, and how its cells are decoded. */
export interface CsvBytes {
  readonly bytes: Buffer;
  /** UTF-8, or Latin-1 for a Windows-1252 feed (one byte a character, decoded cell by cell). */
  readonly encoding: 'utf8' | 'latin1';
  /** Latin-1 cells may hold 0x80–0x9F, which {@link windows1252FromLatin1} must turn into 1252's characters. */
  readonly windows1252Cells: boolean;
}

const CR = 0x0d;
const LF = 0x0a;

/** The bytes with CRLF and lone CR turned into LF (the same buffer if there is no CR). */
export function normaliseLineEndings(bytes: Uint8Array): Buffer {
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let cr = input.indexOf(CR);
  if (cr === -1) return input;
  const output = Buffer.allocUnsafe(input.length);
  let length = 0;
  let from = 0;
  while (cr !== -1) {
    length += input.copy(output, length, from, cr);
    output[length++] = LF;
    from = input[cr + 1] === LF ? cr + 2 : cr + 1;
    cr = input.indexOf(CR, from);
  }
  length += input.copy(output, length, from);
  return output.subarray(0, length);
}

const utf8Lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const utf16le = new TextDecoder('utf-16le', { ignoreBOM: true });

function decodeUtf16be(bytes: Uint8Array): string {
  const swapped = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  swapped.swap16();
  return utf16le.decode(swapped);
}

/** Maps an encoding label (mapping profile, XML declaration) to what the reader decodes with. */
export function encodingFromLabel(label: string): FeedEncoding | null {
  const name = label.trim().toLowerCase().replace(/_/g, '-');
  if (name === 'utf-8' || name === 'utf8' || name === 'unicode-1-1-utf-8') return 'utf-8';
  if (name === 'utf-16le' || name === 'utf-16') return 'utf-16le';
  if (name === 'utf-16be') return 'utf-16be';
  if (
    [
      'windows-1252',
      'cp1252',
      'x-cp1252',
      'iso-8859-1',
      'iso8859-1',
      'latin1',
      'latin-1',
      'l1',
      'iso-ir-100',
      'us-ascii',
      'ascii',
      'ansi',
      'iso-8859-15',
      'latin9',
      'latin-9',
    ].includes(name)
  ) {
    // ISO-8859-15 differs from 1252 in eight rarely used code points (€ at 0xA4 among them) — close
    // enough to read a car ad; ASCII is a subset of all of them.
    return 'windows-1252';
  }
  return null;
}

function decodeAs(bytes: Uint8Array, encoding: FeedEncoding): string {
  switch (encoding) {
    case 'utf-8':
      return utf8Lenient.decode(bytes);
    case 'utf-16le':
      return utf16le.decode(bytes);
    case 'utf-16be':
      return decodeUtf16be(bytes);
    case 'windows-1252':
      return decodeWindows1252(bytes);
  }
}

/**
 * A feed's bytes with their encoding settled. The text is decoded on first use: a UTF-8 CSV is
 * handed to the CSV parser as the bytes it already is, never decoded to a string and encoded
 * back (on a 50 MB feed that is 100+ MB of strings saved).
 */
export class DecodedFeed {
  private decoded: string | undefined;

  constructor(
    readonly encoding: FeedEncoding,
    /** The bytes without a BOM; UTF-8 only when `validUtf8` is set. */
    private readonly bytes: Uint8Array,
    private readonly validUtf8: boolean,
    /** Set when the bytes did not match the encoding they claimed (read with replacement characters). */
    readonly warning?: string,
    text?: string,
  ) {
    this.decoded = text;
  }

  /** The whole text. */
  get text(): string {
    this.decoded ??= this.validUtf8
      ? Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).toString('utf8')
      : decodeAs(this.bytes, this.encoding);
    return this.decoded;
  }

  /**
   * The first `chars` characters or so (a multi-byte character cut at the end may show as U+FFFD),
   * decoded from the first bytes only: sniffing the format must not decode a whole file.
   */
  head(chars: number): string {
    if (this.decoded !== undefined) return this.decoded.slice(0, chars);
    if (this.validUtf8) return utf8Lenient.decode(this.bytes.subarray(0, chars * 2)).slice(0, chars);
    // One byte per character in Windows-1252, two per code unit in UTF-16.
    const bytesPerChar = this.encoding === 'windows-1252' ? 1 : 2;
    return decodeAs(this.bytes.subarray(0, chars * bytesPerChar), this.encoding).slice(0, chars);
  }

  /** The text as UTF-8 bytes. */
  utf8(): Uint8Array {
    return this.validUtf8 ? this.bytes : Buffer.from(this.text, 'utf8');
  }

  /**
   * The bytes for the CSV parser, every line break a LF (CRLF and lone CR too). A Windows-1252
   * feed goes in as it is, its cells decoded as Latin-1 (native, one byte a character) and only
   * cells with a 0x80–0x9F byte mapped on: transcoding all of it to UTF-8 first cost ~0.1 s per
   * 10 MB, and the parser then decoded two-byte characters.
   */
  csvBytes(): CsvBytes {
    if (this.decoded === undefined && this.encoding === 'windows-1252') {
      const bytes = normaliseLineEndings(this.bytes);
      return { bytes, encoding: 'latin1', windows1252Cells: hasC1Byte(bytes) };
    }
    return { bytes: normaliseLineEndings(this.utf8()), encoding: 'utf8', windows1252Cells: false };
  }
}

/** The encoding named by `<?xml … encoding="…"?>` at the very start of ASCII-compatible bytes. */
function xmlDeclaredEncoding(bytes: Uint8Array): string | null {
  let start = 0;
  while (
    start < bytes.length &&
    start < 64 &&
    (bytes[start] === 0x20 || bytes[start] === 0x09 || bytes[start] === 0x0a || bytes[start] === 0x0d)
  )
    start++;
  const head = Buffer.from(bytes.buffer, bytes.byteOffset + start, Math.min(bytes.length - start, 256)).toString(
    'latin1',
  );
  if (!head.startsWith('<?xml')) return null;
  const end = head.indexOf('?>');
  const declaration = end === -1 ? head : head.slice(0, end);
  const match = /\bencoding\s*=\s*["']([^"']+)["']/i.exec(declaration);
  return match ? match[1]! : null;
}

/** Guesses UTF-16 without a BOM from the NUL bytes ASCII characters leave in every other byte. */
function utf16WithoutBom(bytes: Uint8Array): FeedEncoding | null {
  const sample = Math.min(bytes.length - (bytes.length % 2), 512);
  if (sample < 4) return null;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < sample; i += 2) {
    if (bytes[i] === 0) evenZero++;
    if (bytes[i + 1] === 0) oddZero++;
  }
  const pairs = sample / 2;
  if (oddZero > pairs * 0.6 && evenZero === 0) return 'utf-16le';
  if (evenZero > pairs * 0.6 && oddZero === 0) return 'utf-16be';
  return null;
}

/**
 * Decodes a feed's bytes, in this order of evidence: a byte order mark; the encoding the mapping
 * profile forces; the encoding an XML declaration names; UTF-16 recognised by its NUL bytes;
 * valid UTF-8; otherwise Windows-1252 (what Swedish DMSs export when they say "ANSI" or Latin-1).
 */
export function decodeFeed(bytes: Uint8Array, forced?: string): DecodedFeed {
  const settled = byBom(bytes) ?? (forced ? byProfile(bytes, forced) : byDeclaration(bytes)) ?? byUtf16Nuls(bytes);
  if (settled) return settled;
  return isUtf8(bytes) ? new DecodedFeed('utf-8', bytes, true) : new DecodedFeed('windows-1252', bytes, false);
}

/** A UTF-8 or UTF-16 byte order mark settles the encoding (and is not part of the text). */
function byBom(bytes: Uint8Array): DecodedFeed | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return named(bytes.subarray(3), 'utf-8', 'byte order mark');
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new DecodedFeed('utf-16le', bytes.subarray(2), false);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new DecodedFeed('utf-16be', bytes.subarray(2), false);
  return null;
}

/** The encoding the mapping profile forces; one the reader cannot decode refuses the file. */
function byProfile(bytes: Uint8Array, forced: string): DecodedFeed {
  const encoding = encodingFromLabel(forced);
  if (!encoding)
    throw new FeedError(
      'MALFORMED_FEED',
      `The mapping profile names the encoding "${forced}", which the reader does not support (use utf-8, utf-16le, utf-16be, windows-1252 or iso-8859-1).`,
    );
  return named(bytes, encoding, 'mapping profile');
}

/** The encoding an XML declaration names, when it is one the ASCII-compatible bytes can be. */
function byDeclaration(bytes: Uint8Array): DecodedFeed | null {
  const declared = xmlDeclaredEncoding(bytes);
  if (!declared) return null;
  const encoding = encodingFromLabel(declared);
  if (!encoding) {
    throw new FeedError(
      'MALFORMED_FEED',
      `The XML declaration names the encoding "${declared}", which the reader does not support; export the file as UTF-8 or Windows-1252 (ISO-8859-1).`,
    );
  }
  // A declaration of UTF-16 on bytes that start with `<?xml` in ASCII is a mislabel; the bytes win.
  if (encoding === 'utf-8' || encoding === 'windows-1252') return named(bytes, encoding, 'XML declaration');
  return null;
}

function byUtf16Nuls(bytes: Uint8Array): DecodedFeed | null {
  const utf16 = utf16WithoutBom(bytes);
  return utf16 ? new DecodedFeed(utf16, bytes, false) : null;
}

/** An encoding someone named; UTF-8 that is not valid is still read, with a warning. */
function named(bytes: Uint8Array, encoding: FeedEncoding, source: string): DecodedFeed {
  if (encoding !== 'utf-8') return new DecodedFeed(encoding, bytes, false);
  if (isUtf8(bytes)) return new DecodedFeed(encoding, bytes, true);
  return new DecodedFeed(
    encoding,
    bytes,
    false,
    `The ${source} says UTF-8 but some bytes are not valid UTF-8; those characters show as "\uFFFD". Export the file as UTF-8, or name its real encoding.`,
    utf8Lenient.decode(bytes),
  );
}
