import { describe, expect, it } from 'vitest';
import {
  decodeFeed,
  decodeWindows1252,
  normaliseLineEndings,
  windows1252FromLatin1,
  type CsvBytes,
} from '../../../functions/core/feed/encoding.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
/** What a decoded feed reads as: its text and the encoding it was read with. */
const read = (input: Uint8Array, forced?: string): { text: string; encoding: string } => {
  const decoded = decodeFeed(input, forced);
  return { text: decoded.text, encoding: decoded.encoding };
};

describe('decodeWindows1252', () => {
  it('decodes every byte 0x80–0x9F to its Windows-1252 character, not to a C1 control', () => {
    const all = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
    expect(decodeWindows1252(all)).toBe('€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ');
  });

  it('decodes the Latin-1 range like ISO-8859-1 (å ä ö Å Ä Ö é)', () => {
    expect(decodeWindows1252(bytes(0xe5, 0xe4, 0xf6, 0xc5, 0xc4, 0xd6, 0xe9, 0x41))).toBe('åäöÅÄÖéA');
  });

  it('respects a view into a larger buffer', () => {
    const buffer = bytes(0x41, 0x80, 0x42, 0x43);
    expect(decodeWindows1252(buffer.subarray(1, 3))).toBe('€B');
  });
});

describe('decodeFeed', () => {
  it('reads UTF-8 with and without a BOM', () => {
    expect(read(Buffer.from('\uFEFFÅr;Pris', 'utf8'))).toEqual({ text: 'År;Pris', encoding: 'utf-8' });
    expect(read(Buffer.from('År;Pris', 'utf8'))).toEqual({ text: 'År;Pris', encoding: 'utf-8' });
  });

  it('reads UTF-16 LE and BE with a BOM', () => {
    const le = Buffer.concat([bytes(0xff, 0xfe), Buffer.from('Årsmodell', 'utf16le')]);
    expect(read(le)).toEqual({ text: 'Årsmodell', encoding: 'utf-16le' });
    const be = Buffer.from('Årsmodell', 'utf16le').swap16();
    expect(read(Buffer.concat([bytes(0xfe, 0xff), be]))).toEqual({ text: 'Årsmodell', encoding: 'utf-16be' });
  });

  it('recognises UTF-16 LE without a BOM by its NUL bytes', () => {
    expect(read(Buffer.from('regnr;pris;miltal', 'utf16le')).encoding).toBe('utf-16le');
  });

  it('falls back to Windows-1252 when the bytes are not valid UTF-8', () => {
    const latin = bytes(0xc5, 0x72, 0x73, 0x6d, 0x6f, 0x64, 0x65, 0x6c, 0x6c, 0x3b, 0x80); // "Årsmodell;€"
    expect(read(latin)).toEqual({ text: 'Årsmodell;€', encoding: 'windows-1252' });
  });

  it('honours the encoding an XML declaration names, even if the bytes would pass as UTF-8', () => {
    // "Ã¥" as Latin-1 bytes is also valid UTF-8 for "å"; the declaration decides.
    const xml = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>\u00c3\u00a5</a>', 'latin1');
    expect(read(xml)).toEqual({
      text: '<?xml version="1.0" encoding="ISO-8859-1"?><a>Ã¥</a>',
      encoding: 'windows-1252',
    });
  });

  it('reads a declared UTF-8 XML with broken bytes with replacement characters and a warning', () => {
    const xml = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="utf-8"?><a>'),
      bytes(0xe5),
      Buffer.from('</a>'),
    ]);
    const decoded = decodeFeed(xml);
    expect(decoded.encoding).toBe('utf-8');
    expect(decoded.text).toContain('<a>\uFFFD</a>');
    expect(decoded.warning).toMatch(/not valid UTF-8/);
  });

  it('reads the head of a large UTF-8 feed without decoding all of it, and hands CSV the bytes as they are', () => {
    const input = Buffer.from(`Årsmodell;Pris\n${'x'.repeat(100_000)}`, 'utf8');
    const decoded = decodeFeed(input);
    expect(decoded.head(9)).toBe('Årsmodell');
    expect(decoded.utf8()).toBe(input);
    expect(decodeFeed(Buffer.from('\uFEFFabc', 'utf8')).utf8()).toEqual(Buffer.from('abc'));
    expect(Buffer.from(decodeFeed(Uint8Array.from([0xe5])).utf8()).toString('utf8')).toBe('å');
  });

  it('uses the encoding a mapping profile forces', () => {
    expect(read(Buffer.from('Ã¥', 'latin1'), 'iso-8859-1')).toEqual({ text: 'Ã¥', encoding: 'windows-1252' });
  });

  it('refuses an XML encoding it cannot decode', () => {
    expect(() => decodeFeed(Buffer.from('<?xml version="1.0" encoding="EBCDIC-cp-us"?><a/>'))).toThrow(/EBCDIC-cp-us/);
  });
});

describe('the bytes the CSV parser reads', () => {
  /** The text the parser's cells carry: the bytes decoded as it decodes them, then as the reader maps them. */
  const cellText = ({ bytes, encoding, windows1252Cells }: CsvBytes): string => {
    const text = bytes.toString(encoding);
    return windows1252Cells ? windows1252FromLatin1(text) : text;
  };

  it('reads every Windows-1252 byte as decoding the whole file would', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const csv = decodeFeed(Buffer.concat([Buffer.from('a;b\n'), all])).csvBytes();
    expect(csv.encoding).toBe('latin1');
    expect(csv.windows1252Cells).toBe(true);
    expect(cellText(csv)).toBe(
      normaliseLineEndings(Buffer.from(decodeWindows1252(Buffer.concat([Buffer.from('a;b\n'), all])), 'utf8')).toString(
        'utf8',
      ),
    );
  });

  it('maps only 0x80–0x9F: Latin-1 text without them is Windows-1252 already', () => {
    expect(windows1252FromLatin1('Årsmodell – “ny” €')).toBe('Årsmodell – “ny” €');
    expect(windows1252FromLatin1('Škoda \u0096 \u0093ny\u0094 \u0080 \u0081')).toBe('Škoda – “ny” € \u0081');
    const plain = decodeFeed(Buffer.from('År;Pris\nÖrebro;1\n', 'latin1')).csvBytes();
    expect(plain.windows1252Cells).toBe(false);
    expect(cellText(plain)).toBe('År;Pris\nÖrebro;1\n');
  });

  it('turns CRLF, lone CR and CR at the very end into one LF each, and leaves LF alone', () => {
    const csv = decodeFeed(Buffer.from('a;b\r\nb\rc\n\r\r\nd\u0096\r', 'latin1')).csvBytes();
    expect(cellText(csv)).toBe('a;b\nb\nc\n\n\nd–\n');
  });

  it('gives the text of every encoding with LF line endings', () => {
    const text = 'Årsmodell;Pris\r\n2019;€ 1\rx\n';
    const lines = 'Årsmodell;Pris\n2019;€ 1\nx\n';
    expect(cellText(decodeFeed(Buffer.from(text, 'utf8')).csvBytes())).toBe(lines);
    expect(cellText(decodeFeed(Buffer.concat([bytes(0xff, 0xfe), Buffer.from(text, 'utf16le')])).csvBytes())).toBe(
      lines,
    );
    const cp1252 = Buffer.from(text.replace('€', '\u0080'), 'latin1');
    expect(decodeFeed(cp1252).encoding).toBe('windows-1252');
    expect(cellText(decodeFeed(cp1252).csvBytes())).toBe(lines);
  });

  it('reads the head of a Windows-1252 feed from its first bytes', () => {
    const input = Buffer.concat([Buffer.from('År;Pris\n', 'latin1'), Buffer.alloc(100_000, 0x80)]);
    const decoded = decodeFeed(input);
    expect(decoded.head(7)).toBe('År;Pris');
    expect(decoded.head(10)).toBe('År;Pris\n€€');
  });
});
