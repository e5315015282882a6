/**
 * The feed reader: a dealer's file (bytes) in, validated vehicles and a row-level account of
 * everything that could not be used out. Pure: no I/O, no clock (the caller passes `now`).
 *
 * A broken row never hides a good one; a broken or hostile file is refused as a whole with a code
 * and a message the dealer can act on (see {@link FeedErrorCode}).
 */
import type { MappingProfile } from '../mapping-profile.js';
import { MANDATORY_FIELDS, VehicleFieldSchemas, type Vehicle, type VehicleField } from '../vehicle.js';
import { readCsv } from './csv.js';
import { decodeFeed, type DecodedFeed, type FeedEncoding } from './encoding.js';
import { FeedError, type FeedErrorCode } from './errors.js';
import { misreadCodePage } from './misread-code-page.js';
import { FieldResolver, describeField, normaliseFieldName } from './fields.js';
import { readJson } from './json.js';
import { isUnreadable, type ParsedFeed, type RecordSink, type UnreadableRecord } from './parsed.js';
import { buildVehicle, type FieldProblem, type RawRecord } from './record.js';
import { FEED_LIMITS, tooComplex } from './limits.js';
import type { FeedFormat, FeedReadResult, FeedWarning, RejectedRow } from './result.js';
import { readXml } from './xml.js';

export { FeedError, FEED_ERROR_CODES, type FeedErrorCode } from './errors.js';
export { decodeWindows1252, decodeFeed, type FeedEncoding } from './encoding.js';
export { normaliseFieldName, FIELD_ALIASES } from './fields.js';
export { parseSwedishNumber } from './values.js';
export { FEED_LIMITS } from './limits.js';
export type { FieldProblem, RowProblemCode } from './record.js';
export type { FeedFormat, FeedReadResult, FeedWarning, RejectedRow } from './result.js';
export { refusedFeed } from './result.js';

/** Files above this size are refused before they are read (`FEED_TOO_LARGE`). */
export const DEFAULT_MAX_FEED_BYTES = 50 * 1024 * 1024;

export interface ReadFeedOptions {
  /** The file name, used in messages; the format is always detected from the content. */
  readonly name?: string;
  /** The dealer's mapping profile: column names, forced format, delimiter, encoding, mileage unit. */
  readonly mapping?: MappingProfile;
  /** Today, for the model-year limit (next year at most). */
  readonly now: Date;
  /** Size limit in bytes; default {@link DEFAULT_MAX_FEED_BYTES}. */
  readonly maxBytes?: number;
}

const megabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MB`;

/**
 * The `FEED_TOO_LARGE` error for a file of `size` bytes, or null if it is within the limit. For
 * callers that know the size before reading (an S3 object's ContentLength, a file's stat).
 */
export function feedSizeError(
  size: number,
  maxBytes: number = DEFAULT_MAX_FEED_BYTES,
): { code: 'FEED_TOO_LARGE'; message: string } | null {
  if (size <= maxBytes) return null;
  return {
    code: 'FEED_TOO_LARGE',
    message: `The file is ${megabytes(size)}; feeds may be at most ${megabytes(maxBytes)}. Split the stock into several files or leave out embedded data such as base64 images.`,
  };
}

/** Magic numbers of files dealers upload by mistake. */
function binaryKind(bytes: Uint8Array): string | null {
  const b = bytes;
  if (b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04)
    return 'a ZIP archive or an Excel workbook (.xlsx)';
  if (b[0] === 0xd0 && b[1] === 0xcf && b[2] === 0x11 && b[3] === 0xe0) return 'an Excel 97–2003 workbook (.xls)';
  if (b[0] === 0x25 && b[1] === 0x50 && b[2] === 0x44 && b[3] === 0x46) return 'a PDF document';
  if (b[0] === 0x1f && b[1] === 0x8b) return 'a gzip archive';
  return null;
}

/**
 * Text with many NUL bytes near its start is binary. A few NULs in a text are one broken row
 * (rejected on its own), not a binary file: binary formats and UTF-16 without a BOM are a tenth
 * NUL or more.
 */
function looksBinary(text: string): boolean {
  const sample = Math.min(text.length, 4096);
  let nul = 0;
  for (let i = 0; i < sample; i++) if (text.charCodeAt(i) === 0) nul++;
  return nul >= 8 && nul >= sample / 10;
}

function detectFormat(text: string): FeedFormat | null {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d || code === 0xfeff) continue;
    const char = text[i];
    if (char === '<') return 'xml';
    if (char === '{' || char === '[') return 'json';
    return 'csv';
  }
  return null;
}

function fail(code: FeedErrorCode, message: string): never {
  throw new FeedError(code, message);
}

/** Refuses, before decoding, a file that is too large, empty, or a known binary format. */
function assertReadableBytes(bytes: Uint8Array, options: ReadFeedOptions): void {
  const sizeError = feedSizeError(bytes.byteLength, options.maxBytes ?? DEFAULT_MAX_FEED_BYTES);
  if (sizeError) fail(sizeError.code, sizeError.message);
  if (bytes.byteLength === 0)
    fail('EMPTY_FEED', 'The file is empty (0 bytes). Check the export in the DMS; an empty upload never removes ads.');
  const binary = binaryKind(bytes);
  if (binary)
    fail(
      'UNKNOWN_FORMAT',
      `${options.name ? `"${options.name}"` : 'The file'} looks like ${binary}, not a feed. Export the stock list as CSV, XML or JSON.`,
    );
}

/** The format of decoded text: the profile's if it forces one, else what the first character says. */
function formatOf(decoded: DecodedFeed, mapping: MappingProfile | undefined): FeedFormat {
  const head = decoded.head(4096);
  if (looksBinary(head))
    fail(
      'UNKNOWN_FORMAT',
      'The file contains binary data, so it is not a CSV, XML or JSON feed. Export the stock list as text.',
    );
  // Only a head of 4096 blank characters needs the whole text to find the first one.
  const detected = detectFormat(head) ?? (head.length < 4096 ? null : detectFormat(decoded.text));
  if (detected === null) fail('EMPTY_FEED', 'The file holds only blank space and no vehicles.');
  return mapping?.format ?? detected;
}

/** Hands the text to its format's reader, which passes each record to `sink` as it reads it. */
function parseRecords(
  format: FeedFormat,
  decoded: DecodedFeed,
  resolver: FieldResolver,
  sink: RecordSink,
  mapping: MappingProfile | undefined,
): ParsedFeed {
  if (format === 'xml') return readXml(decoded.text, resolver, sink);
  if (format === 'json') return readJson(decoded.text, resolver, sink);
  return readCsv(decoded, resolver, sink, mapping?.delimiter);
}

/** What each format calls the thing a field comes from, for the dealer's messages. */
const FIELD_SOURCE: Record<FeedFormat, string> = { csv: 'column', xml: 'element', json: 'property' };

/** Refuses a feed without vehicles, or without a column for a mandatory field. */
function assertUsable(
  format: FeedFormat,
  count: number,
  parsed: ParsedFeed,
  mapping: MappingProfile | undefined,
): void {
  if (count === 0) {
    fail(
      'EMPTY_FEED',
      format === 'csv'
        ? 'The file has a header row but no vehicles.'
        : `The ${format.toUpperCase()} holds no vehicles.`,
    );
  }
  const missing = MANDATORY_FIELDS.filter((field) => !parsed.seenFields.has(field));
  if (missing.length === 0) return;
  const noun = FIELD_SOURCE[format];
  const plural = missing.length > 1;
  fail(
    'MISSING_COLUMNS',
    `The feed has no ${noun} for ${missing.map((field) => describeField(field, mapping)).join('; ')}. Add the ${noun}${plural ? 's' : ''} or name ${plural ? 'them' : 'it'} in the mapping profile.`,
  );
}

/**
 * Refuses a file guessed to be Windows-1252 whose header is in an older code page (see
 * `misread-code-page.ts`): imported, its letters would be garbled in every ad, and its columns
 * with å, ä, ö silently dropped. The mapping profile's own `encoding` is taken at its word.
 */
function assertNotMisread(parsed: ParsedFeed, resolver: FieldResolver): void {
  const misread = misreadCodePage(parsed.unusedNames, (name) => resolver.resolve(name) !== null);
  if (!misread) return;
  fail(
    'WRONG_ENCODING',
    `The file reads as ${misread.codePage}, not Windows-1252: its column "${misread.read}" is "${misread.meant}" there, and every å, ä and ö would reach Wayke garbled. Export the feed as UTF-8 (or Windows-1252).`,
  );
}

/** Warnings about the file as a whole (`row: 0`): encoding doubts, profile names not found, unused names. */
function fileWarnings(decoded: DecodedFeed, resolver: FieldResolver, parsed: ParsedFeed): FeedWarning[] {
  const warnings: FeedWarning[] = [];
  if (decoded.warning) warnings.push({ row: 0, field: 'encoding', message: decoded.warning });
  for (const [field, names] of resolver.profileNames) {
    const found = names.some((name) => parsed.presentNames.has(normaliseFieldName(name)));
    if (!found)
      warnings.push({
        row: 0,
        field,
        message: `the mapping profile names ${names.map((n) => `"${n}"`).join(' or ')} but the file has no such column or element`,
      });
  }
  if (parsed.unusedNames.length > 0) {
    const names = parsed.unusedNames
      .slice(0, 20)
      .map((name) => `"${name}"`)
      .join(', ');
    const more = parsed.unusedNames.length > 20 ? ` and ${parsed.unusedNames.length - 20} more` : '';
    warnings.push({ row: 0, field: '*', message: `not used (no matching field): ${names}${more}` });
  }
  return warnings;
}

/** What is known of a file before it is refused: its format and encoding, once settled. */
interface ReadProgress {
  format: FeedFormat | null;
  encoding: FeedEncoding | null;
}

/** The result for a file refused as a whole; anything but a refusal or a stack overflow is rethrown. */
function refused(progress: ReadProgress, error: unknown): FeedReadResult {
  const { format, encoding } = progress;
  const empty = { format, encoding, vehicles: [], rejected: [], warnings: [], inDoubt: [] };
  // The limits refuse deep nesting first; should a value still outgrow the stack, the file is
  // refused, not the process.
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return {
      ...empty,
      error: { code: 'FEED_TOO_COMPLEX', message: 'The feed nests values too deeply to be a vehicle list.' },
    };
  }
  if (!(error instanceof FeedError)) throw error;
  return { ...empty, error: { code: error.code, message: error.message } };
}

/**
 * Reads one feed file. Never throws for anything in the file: a refused file comes back with
 * `error` set. Rows are validated one by one; duplicates of a registration number are all
 * rejected, each naming the others.
 */
export function readFeed(bytes: Uint8Array, options: ReadFeedOptions): FeedReadResult {
  const progress: ReadProgress = { format: null, encoding: null };
  try {
    assertReadableBytes(bytes, options);
    const mapping = options.mapping;
    const decoded = decodeFeed(bytes, mapping?.encoding);
    progress.encoding = decoded.encoding;
    const format = formatOf(decoded, mapping);
    progress.format = format;

    const resolver = new FieldResolver(mapping);
    const rows = new RowCollector(options.now);
    const sink = (record: RawRecord | UnreadableRecord, row?: number): void => rows.add(record, row);
    const parsed = parseRecords(format, decoded, resolver, sink, mapping);
    if (decoded.encoding === 'windows-1252' && !mapping?.encoding) assertNotMisread(parsed, resolver);
    assertUsable(format, rows.count, parsed, mapping);
    return { format, encoding: decoded.encoding, ...rows.finish(fileWarnings(decoded, resolver, parsed)), error: null };
  } catch (error) {
    return refused(progress, error);
  }
}

type Outcome = {
  row: number;
  plate?: string;
  vehicle?: Vehicle;
  errors?: FieldProblem[];
  warnings?: FieldProblem[];
  doubtful?: boolean;
};

/** A record validated into a vehicle, or rejected with its problems (and its plate, when that was valid). */
function builtOutcome(record: RawRecord, row: number, now: Date): Outcome {
  const built = buildVehicle(record, now);
  if (!built.ok)
    return { row, errors: built.errors, ...(built.registrationNumber ? { plate: built.registrationNumber } : {}) };
  return {
    row,
    plate: built.vehicle.registrationNumber,
    vehicle: built.vehicle,
    ...(built.warnings.length > 0 ? { warnings: built.warnings } : {}),
  };
}

/**
 * Validates records as the format reader emits them and, at the end, applies the rule that
 * needs the whole feed: every row of a duplicated registration number is rejected.
 */
class RowCollector {
  private readonly outcomes: Outcome[] = [];
  private readonly rowsByPlate = new Map<string, number[]>();
  private readonly inDoubt = new Set<string>();

  constructor(private readonly now: Date) {}

  get count(): number {
    return this.outcomes.length;
  }

  add(record: RawRecord | UnreadableRecord, position?: number): void {
    if (this.outcomes.length >= FEED_LIMITS.rows)
      throw tooComplex('rows', `row ${position ?? this.outcomes.length + 1}`);
    const row = position ?? this.outcomes.length + 1;
    const outcome = isUnreadable(record) ? this.unreadableOutcome(record, row) : builtOutcome(record, row, this.now);
    if (outcome.plate && !outcome.doubtful) {
      const rows = this.rowsByPlate.get(outcome.plate);
      if (rows) rows.push(row);
      else this.rowsByPlate.set(outcome.plate, [row]);
    }
    this.outcomes.push(outcome);
  }

  /** A row the format reader could not read: its problems, and the plates it may hold kept in doubt. */
  private unreadableOutcome(record: UnreadableRecord, row: number): Outcome {
    const plate =
      record.registrationNumber === undefined
        ? undefined
        : VehicleFieldSchemas.registrationNumber.safeParse(record.registrationNumber);
    for (const candidate of record.inDoubt ?? []) this.inDoubt.add(candidate);
    return {
      row,
      errors: [...record.unreadable],
      ...(plate?.success ? { plate: plate.data } : {}),
      ...(record.inDoubt ? { doubtful: true } : {}),
    };
  }

  finish(warnings: FeedWarning[]): Pick<FeedReadResult, 'vehicles' | 'rejected' | 'warnings' | 'inDoubt'> {
    const vehicles: FeedReadResult['vehicles'] = [];
    const rejected: RejectedRow[] = [];
    for (const outcome of this.outcomes) {
      const sameRows = outcome.plate && !outcome.doubtful ? this.rowsByPlate.get(outcome.plate)! : [];
      const errors = outcome.errors ? [...outcome.errors] : [];
      if (sameRows.length > 1) {
        const others = sameRows.filter((row) => row !== outcome.row);
        errors.push({
          field: 'registrationNumber',
          message: `${outcome.plate} also appears in row${others.length > 1 ? 's' : ''} ${others.join(', ')}; every row with a duplicated registration number is left out until only one remains`,
        });
      }
      if (errors.length > 0) {
        rejected.push({ row: outcome.row, ...(outcome.plate ? { registrationNumber: outcome.plate } : {}), errors });
        continue;
      }
      vehicles.push({ row: outcome.row, vehicle: outcome.vehicle! });
      for (const warning of outcome.warnings ?? [])
        warnings.push({ row: outcome.row, field: warning.field, message: warning.message });
    }
    return { vehicles, rejected, warnings, inDoubt: [...this.inDoubt] };
  }
}

export type { VehicleField };
