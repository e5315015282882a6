/**
 * CSV rows are numbered as a spreadsheet shows them (Excel, LibreOffice, Python's csv): the header
 * is row 1 and each record is one row, however many lines its quoted cells span; a blank line is
 * a row too. A stray quote's message names the swallowed lines by their line in the file.
 */
import { describe, expect, it } from 'vitest';
import { readFeed } from '../../../functions/core/feed/index.js';

const now = new Date('2026-06-01T00:00:00Z');
const read = (text: string) => readFeed(Buffer.from(text, 'utf8'), { now });

describe('CSV row numbers', () => {
  it('counts a record whose description spans three lines as one row', () => {
    const result = read(
      'Regnr;Pris;Miltal;Beskrivning\n' +
        'ABC123;100 000;1 000;"Rad ett\nrad två\nrad tre"\n' +
        'DEF456;Ring för pris;2 000;Kort\n' +
        'GHI789;90 000;3 000;Kort\n',
    );
    expect(result.vehicles.map(({ row }) => row)).toEqual([2, 4]);
    expect(result.rejected.map(({ row, registrationNumber }) => [row, registrationNumber])).toEqual([[3, 'DEF456']]);
  });

  it('counts a blank line as a row, as a spreadsheet shows it', () => {
    const result = read('Regnr;Pris;Miltal\nABC123;100 000;1 000\n\nDEF456;Ring för pris;2 000\n');
    expect(result.rejected.map(({ row }) => row)).toEqual([4]);
  });

  it('numbers the rows after a stray quote by record, and names the swallowed lines by file line', () => {
    const result = read(
      'Regnr;Pris;Miltal;Beskrivning\n' +
        'AAA111;100 000;1 000;"Fin\nbil"\n' +
        'BBB222;100 000;1 000;"Trasig\n' +
        'CCC333;100 000;1 000;Kort\n' +
        'DDD444;100 000;1 000;Kort"\n' +
        'EEE555;Ring;1 000;Kort\n',
    );
    const stray = result.rejected.find(({ errors }) => errors.some(({ code }) => code === 'UNBALANCED_QUOTE'))!;
    expect(stray.row).toBe(3);
    expect(stray.errors[0]!.message).toContain('(line 4 of the file) is closed on line 6, so lines 5–6 were read');
    expect(result.rejected.find(({ registrationNumber }) => registrationNumber === 'EEE555')!.row).toBe(4);
  });
});
