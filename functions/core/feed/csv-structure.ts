/**
 * The structural doubts about CSV rows that would otherwise pass as valid: a row whose cell count
 * differs from the header's, and a quoted cell that spans lines shaped like rows of this feed (a
 * stray quote that swallowed the rows below it). Both are rejected as rows, and the plates they
 * may hold are reported as in doubt so that the run never removes those cars.
 */
import { FEED_LIMITS, tooComplex } from './limits.js';
import type { FieldProblem } from './record.js';

/** The shape of one row of the feed, from its header. */
export interface RowShape {
  readonly delimiter: string;
  /** Cells in the header. */
  readonly width: number;
  /** Index of the registration number column, -1 if none. */
  readonly plateColumn: number;
  /** The delimiter's name for messages (`semicolon`, `comma` …). */
  readonly separator: string;
}

const SWEDISH_PLATE = /^[A-Z]{3}[0-9]{2}[A-Z0-9]$/;

/** Spaces and hyphens out, ASCII upper case: how the plate column is normalised. */
const normalised = (cell: string): string =>
  cell.replace(/[\s-]+/g, '').replace(/[a-z]+/g, (letters) => letters.toUpperCase());

const NOT_BLANK_OR_HYPHEN = /[^\s-]/g;

/**
 * Whether a cell keeps more than 7 characters once spaces and hyphens are out, so it can hold no
 * plate: counted up to 8 and no further, as this runs for every line of every multi-line text
 * (a description line is no plate, and normalising all of it cost more than the rest of the check).
 */
function moreThanPlateCharacters(cell: string): boolean {
  if (cell.length <= 7) return false;
  NOT_BLANK_OR_HYPHEN.lastIndex = 0;
  let count = 0;
  while (NOT_BLANK_OR_HYPHEN.test(cell)) if (++count > 7) return true;
  return false;
}

/**
 * The plate a cell in the plate column holds: 2–7 letters and digits with at least one letter
 * (a lone `000` from a split `2,000` is no plate), else null.
 */
export function plateInColumn(cell: string | undefined): string | null {
  if (cell === undefined || moreThanPlateCharacters(cell)) return null;
  const plate = normalised(cell);
  return /^[A-Z0-9]{2,7}$/.test(plate) && /[A-Z]/.test(plate) ? plate : null;
}

/** A Swedish standard plate (`ABC123`, `ABC12D`) in any cell, else null: what a shifted row carries. */
export function plateShaped(cell: string): string | null {
  if (cell.length > 10) return null;
  const plate = normalised(cell);
  return SWEDISH_PLATE.test(plate) ? plate : null;
}

/** The plates a row may hold: its plate column's, then standard plates in other cells, without repeats. */
export function plateCandidates(cells: readonly string[], plateColumn: number): string[] {
  const plates: string[] = [];
  const own = plateColumn >= 0 ? plateInColumn(cells[plateColumn]) : null;
  if (own) plates.push(own);
  for (const cell of cells) {
    const plate = plateShaped(cell);
    if (plate && !plates.includes(plate)) plates.push(plate);
  }
  return plates;
}

const listPlates = (plates: readonly string[], en: boolean): string =>
  plates.length === 0
    ? ''
    : en
      ? `; ${plates.join(', ')} stay${plates.length === 1 ? 's' : ''} listed in Wayke as ${plates.length === 1 ? 'it is' : 'they are'}`
      : `; ${plates.join(', ')} ligger kvar hos Wayke som ${plates.length === 1 ? 'den är' : 'de är'}`;

/** The `RAGGED_ROW` problem of a row with the wrong number of cells, and the plates it may hold. */
export function raggedRow(cells: readonly string[], shape: RowShape): { problem: FieldProblem; inDoubt: string[] } {
  const inDoubt = plateCandidates(cells, shape.plateColumn);
  const more = cells.length > shape.width;
  const hint = more
    ? `a field with a ${shape.separator} in it must be quoted ("…")`
    : 'a separator may be missing, or a line break sits in an unquoted field';
  const hintSv = more
    ? `ett fält som innehåller avgränsaren (${shape.delimiter === '\t' ? 'tab' : shape.delimiter}) måste stå inom citattecken ("…")`
    : 'en avgränsare kan saknas, eller så står en radbrytning i ett fält utan citattecken';
  return {
    problem: {
      field: 'row',
      code: 'RAGGED_ROW',
      message: `row has ${cells.length} fields but the header has ${shape.width} — ${hint}${listPlates(inDoubt, true)}`,
      messageSv: `raden har ${cells.length} fält men rubrikraden har ${shape.width} — ${hintSv}${listPlates(inDoubt, false)}`,
    },
    inDoubt,
  };
}

/** Whether one line of text, read as a row of this feed, looks like one: its plate, null, or false. */
function rowShaped(line: string, shape: RowShape): string | null | false {
  const cells = line.split(shape.delimiter);
  if (cells.length < 2) return false;
  const plate = plateInColumn(cells[shape.plateColumn]) ?? null;
  if (plate && cells.length >= Math.min(shape.width, 3)) return plate;
  if (cells.length >= shape.width) return plateCandidates(cells, shape.plateColumn)[0] ?? null;
  return false;
}

/**
 * The `UNBALANCED_QUOTE` problem when a cell of the row that starts on file line `line` spans
 * lines that look like rows of this feed, else null. A description genuinely quoted over several
 * lines has no such lines. The lines it swallowed are named by their line in the file: a
 * spreadsheet shows them inside that one cell, not as rows of their own.
 */
export function swallowedRows(
  cells: readonly string[],
  line: number,
  shape: RowShape,
): { problem: FieldProblem; inDoubt: string[] } | null {
  let offset = 0;
  for (let c = 0; c < cells.length; c++) {
    const cell = cells[c]!;
    const breaks = cell.indexOf('\n');
    if (breaks === -1) continue;
    const lines = cell.split('\n');
    let shaped = 0;
    const inDoubt: string[] = [];
    // Line 0 is the rest of the row the quote opened in; every later one starts a line of the file.
    for (let i = 1; i < lines.length; i++) {
      const found = rowShaped(lines[i]!, shape);
      if (found === false) continue;
      shaped++;
      if (found && !inDoubt.includes(found)) inDoubt.push(found);
    }
    if (shaped > 0) {
      const closedOn = line + offset + lines.length - 1;
      const own = shape.plateColumn >= 0 && shape.plateColumn !== c ? plateInColumn(cells[shape.plateColumn]) : null;
      if (own && !inDoubt.includes(own)) inDoubt.unshift(own);
      const several = closedOn - line > 1;
      const swallowed = several ? `lines ${line + 1}–${closedOn}` : `line ${closedOn}`;
      const svalda = several ? `raderna ${line + 1}–${closedOn}` : `rad ${closedOn}`;
      return {
        problem: {
          field: 'row',
          code: 'UNBALANCED_QUOTE',
          message:
            `a quote (") opened in column ${c + 1} of this row (line ${line} of the file) is closed on line ${closedOn}, so ${swallowed} ${several ? 'were' : 'was'} read into that one cell, ` +
            `not as vehicles${listPlates(inDoubt, true)}. Remove the stray quote, or write a quote inside a text as two ("")`,
          messageSv:
            `ett citattecken (") som öppnas i kolumn ${c + 1} på den här raden (rad ${line} i filen) stängs först på rad ${closedOn} i filen, så ${svalda} lästes in i den cellen, ` +
            `inte som fordon${listPlates(inDoubt, false)}. Ta bort det felaktiga citattecknet, eller skriv citattecken i en text som två ("")`,
        },
        inDoubt,
      };
    }
    offset += lines.length - 1;
  }
  return null;
}

/** Line breaks inside a record's cells: how many file lines the record spans beyond its first. */
export function extraLines(cells: readonly string[]): number {
  let count = 0;
  for (const cell of cells) {
    for (let i = cell.indexOf('\n'); i !== -1; i = cell.indexOf('\n', i + 1)) count++;
  }
  return count;
}

/**
 * Refuses a file with a row of more than `FEED_LIMITS.columns` cells, or more than
 * `FEED_LIMITS.rows` rows, before csv-parse builds them (4.7 million cells in one row took
 * 1.5 GB; millions of tiny rows as much). One pass over the bytes with the quoting rules the
 * parser applies: a quote opens only at the start of a field, `""` inside quotes is a quote.
 */
export function assertCsvShape(body: Buffer, delimiter: string): void {
  const delimiterBytes = Buffer.from(delimiter);
  const d = delimiterBytes.length === 1 ? delimiterBytes[0]! : -1;
  let cells = 1;
  let line = 1;
  let recordLine = 1;
  // Rows with something in them besides separators and blanks (the header included).
  let rows = 0;
  let content = false;
  let fieldStart = true;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!;
    if (byte === d) {
      if (++cells > FEED_LIMITS.columns) throw tooComplex('columns', `row ${recordLine}`, recordLine);
      fieldStart = true;
    } else if (byte === 0x0a) {
      if (content && ++rows > FEED_LIMITS.rows + 1) throw tooComplex('rows', `row ${recordLine}`, recordLine);
      line++;
      recordLine = line;
      cells = 1;
      content = false;
      fieldStart = true;
    } else if (byte === 0x22 && fieldStart) {
      // A quoted field: its delimiters and line breaks are text, so it is skipped whole.
      const close = closingQuote(body, i);
      line += lineFeedsIn(body, i + 1, close);
      i = close;
      content = true;
      fieldStart = false;
    } else {
      if (byte !== 0x20 && byte !== 0x09) content = true;
      fieldStart = false;
    }
  }
}

/** The quote closing the quoted field opened at `open` (`""` inside is a quote), or the end of the body. */
export function closingQuote(body: Buffer, open: number): number {
  let at = body.indexOf(0x22, open + 1);
  while (at !== -1 && body[at + 1] === 0x22) at = body.indexOf(0x22, at + 2);
  return at === -1 ? body.length : at;
}

/** Line feeds in `[from, to)`: the file lines a quoted field spans. */
function lineFeedsIn(body: Buffer, from: number, to: number): number {
  // A plain loop: `indexOf` past the last one would search on beyond `to`, to the file's next line feed.
  let count = 0;
  for (let at = from; at < to; at++) if (body[at] === 0x0a) count++;
  return count;
}
