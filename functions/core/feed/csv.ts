import { parse } from 'csv-parse/sync';
import { windows1252FromLatin1, type DecodedFeed } from './encoding.js';
import { FeedError } from './errors.js';
import { normaliseFieldName, type FieldResolver, type FieldTarget } from './fields.js';
import type { ParsedFeed, RecordSink } from './parsed.js';
import { assertCsvShape, extraLines, raggedRow, swallowedRows, type RowShape } from './csv-structure.js';
import { assign, type RawRecord } from './record.js';

const CANDIDATES = [';', ',', '\t'] as const;
const NAMES: Record<string, string> = { ';': 'semicolon', ',': 'comma', '\t': 'tab', '|': 'pipe' };

/** Counts each candidate delimiter on the header line, outside quotes. */
export function detectDelimiter(text: string): string | null {
  const counts = new Map<string, number>(CANDIDATES.map((c) => [c, 0]));
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '\n' || char === '\r')) break;
    else if (!quoted && counts.has(char)) counts.set(char, counts.get(char)! + 1);
  }
  let best: string | null = null;
  let bestCount = 0;
  for (const [candidate, count] of counts) {
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

/**
 * The line of the quote that is never closed: replays the CSV quoting rules (a quote opens only
 * at the start of a field, `""` is an escaped quote) up to the end of the text.
 */
function unclosedQuoteLine(text: string, delimiter: string): number {
  let line = 1;
  let fieldStart = true;
  let quoted = false;
  let openedAt = 1;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\n') line++;
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') i++;
        else quoted = false;
      }
      continue;
    }
    if (char === '"' && fieldStart) {
      quoted = true;
      openedAt = line;
      fieldStart = false;
    } else if (char === delimiter || char === '\n' || char === '\r') fieldStart = true;
    else fieldStart = false;
  }
  return openedAt;
}

/**
 * Reads delimited text: the first non-empty line is the header. Every record is kept as an array,
 * whatever its length, so a ragged row is rejected on its own instead of failing the file.
 */
export function readCsv(
  feed: DecodedFeed,
  resolver: FieldResolver,
  sink: RecordSink,
  forcedDelimiter?: string,
): ParsedFeed & { delimiter: string } {
  let head = feed.head(64 * 1024);
  let skip = 0;
  let delimiter = forcedDelimiter;
  // Excel's `sep=;` hint line.
  const hint = /^sep=(.)\r?\n/i.exec(head);
  if (hint) {
    delimiter ??= hint[1]!;
    head = head.slice(hint[0].length);
    // Counted in the body below, whose line endings are all LF already.
    skip = Buffer.byteLength(hint[0].replace(/\r\n?/g, '\n'));
  }
  delimiter ??= detectDelimiter(head) ?? undefined;
  if (!delimiter) {
    throw new FeedError(
      'UNKNOWN_FORMAT',
      'The file is not XML or JSON, and its first line has no semicolon, comma or tab, so it is not a CSV header either. Export the feed as CSV with a header row, XML or JSON.',
    );
  }
  // csv-parse reads bytes; a UTF-8 or Windows-1252 feed goes in as it was uploaded, without a
  // round trip through a string. One line ending for the parser: files mix CRLF and LF (and old
  // Macs wrote CR), and several record delimiters make csv-parse markedly slower per character.
  // Line breaks inside quoted fields become LF, which is what `cleanText` keeps anyway.
  const csv = feed.csvBytes();
  const body = csv.bytes.subarray(skip);

  // Rows are numbered as a spreadsheet shows them: the header is row 1 and every record counts,
  // blank lines too (a `sep=` hint line is not shown by spreadsheets, so it is not counted).
  assertCsvShape(body, delimiter);

  let rows: string[][];
  try {
    // Rows as arrays, every row whatever its length (`relax_column_count`), checked one by one
    // below. (An `on_record` callback would spare the array of rows but costs csv-parse a
    // context object per record: ~20 % of its time.) Blank lines are kept so that row numbers
    // stay those of the file.
    rows = parse(body, {
      delimiter,
      record_delimiter: '\n',
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      encoding: csv.encoding,
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'CSV_QUOTE_NOT_CLOSED') {
      const line = unclosedQuoteLine(body.toString(csv.encoding), delimiter);
      throw new FeedError(
        'MALFORMED_FEED',
        `A quote (") opened on line ${line} is never closed, so the rest of the file cannot be read. Close the quote, or double quotes inside a quoted field ("").`,
        { line },
        { cause: error },
      );
    }
    if (!code?.startsWith('CSV_')) throw error;
    const line = (error as { lines?: number }).lines;
    throw new FeedError(
      'MALFORMED_FEED',
      `The CSV cannot be read${line ? ` (row ${line})` : ''}: ${(error as Error).message}`,
      line ? { line } : {},
      { cause: error },
    );
  }

  const reader = new CsvRecords(resolver, sink, delimiter);
  // A row is a record, as a spreadsheet shows it: a quoted cell over several lines is one row.
  // The file line is kept beside it for the messages that speak of the lines a stray quote took.
  let row = 1;
  let line = 1;
  for (const cells of rows) {
    if (csv.windows1252Cells) asWindows1252(cells);
    reader.record(cells, row, line);
    row += 1;
    line += 1 + extraLines(cells);
  }
  const { header, targets } = reader;

  const names: readonly string[] = header ?? [];
  const seenFields = new Set(targets.filter((t): t is FieldTarget => t !== null).map((t) => t.field));
  const unusedNames = names.filter((name, i) => targets[i] === null && name.trim() !== '');
  const presentNames = new Set(names.map(normaliseFieldName));
  return { seenFields, unusedNames, presentNames, delimiter };
}

/** A row's Latin-1 cells as Windows-1252 reads them, in place. */
function asWindows1252(cells: string[]): void {
  for (let c = 0; c < cells.length; c++) cells[c] = windows1252FromLatin1(cells[c]!);
}

const isBlankRow = (cells: readonly string[]): boolean => {
  for (const cell of cells) if (cell.trim() !== '') return false;
  return true;
};

/**
 * Turns csv-parse's rows into records: the first non-blank row is the header; every later row is
 * checked for its shape (cell count, a quote that swallowed rows, NUL bytes) before its cells
 * are assigned to fields.
 */
class CsvRecords {
  header: string[] | null = null;
  targets: Array<FieldTarget | null> = [];
  private shape: RowShape | null = null;

  constructor(
    private readonly resolver: FieldResolver,
    private readonly sink: RecordSink,
    private readonly delimiter: string,
  ) {}

  record(cells: string[], row: number, line: number): void {
    if (isBlankRow(cells)) return;
    if (this.shape === null) {
      this.onHeader(cells);
      return;
    }
    const shape = this.shape;
    // A stray quote first: the rows it swallowed usually leave the cell count off too.
    const doubt = swallowedRows(cells, line, shape) ?? (cells.length !== shape.width ? raggedRow(cells, shape) : null);
    if (doubt) {
      this.sink({ unreadable: [doubt.problem], ...single(doubt.inDoubt), inDoubt: doubt.inDoubt }, row);
      return;
    }
    const record: RawRecord = {};
    for (let c = 0; c < shape.width; c++) {
      const target = this.targets[c];
      if (!target) continue;
      const cell = cells[c]!;
      if (cell === '' || cell.trim() === '') continue;
      assign(record, target, cell);
    }
    this.sink(record, row);
  }

  private onHeader(cells: string[]): void {
    this.header = cells;
    this.targets = cells.map((name) => this.resolver.resolve(name));
    this.shape = {
      delimiter: this.delimiter,
      width: cells.length,
      plateColumn: this.targets.findIndex((t) => t?.field === 'registrationNumber'),
      separator: NAMES[this.delimiter] ?? `"${this.delimiter}"`,
    };
  }
}

/** The one plate a doubtful row holds, shown with it; with several, none is singled out. */
const single = (plates: readonly string[]): { registrationNumber?: string } =>
  plates.length === 1 ? { registrationNumber: plates[0]! } : {};
