/**
 * A feed exported in an older code page (CP850 from a DOS-era DMS, Mac Roman) is valid
 * Windows-1252 byte for byte, so without a check it imports: every å, ä, ö garbled in Wayke
 * (`l†g m„tarst„llning`) and its columns named with them silently unused. The header gives it
 * away; such a file is refused as a whole, naming the column and the code page.
 */
import { describe, expect, it } from 'vitest';
import { readFeed } from '../../../functions/core/feed/index.js';
import { feedErrorSv } from '../../../functions/core/import/reasons-sv.js';

const now = new Date('2026-06-01T00:00:00Z');
const FEED =
  'Regnr;Pris;Miltal;Årsmodell;Bytesrätt;Beskrivning\r\n' +
  'ABC123;199 900;4 410;2021;Ja;Fin bil med låg mätarställning\r\n' +
  'DEF456;249 900;1 200;2022;Nej;Ägd av en förare, servad på märkesverkstad\r\n';

/** The letters of the feed in each code page (everything else in it is ASCII). */
const PAGES: Record<string, Record<string, number>> = {
  'CP850 (DOS)': { å: 0x86, ä: 0x84, ö: 0x94, Å: 0x8f, Ä: 0x8e, Ö: 0x99 },
  'Mac Roman': { å: 0x8c, ä: 0x8a, ö: 0x9a, Å: 0x81, Ä: 0x80, Ö: 0x85 },
  'Windows-1252': { å: 0xe5, ä: 0xe4, ö: 0xf6, Å: 0xc5, Ä: 0xc4, Ö: 0xd6 },
};

function encode(text: string, page: string): Buffer {
  return Buffer.from(
    [...text].map((char) => {
      const code = char.charCodeAt(0);
      if (code < 0x80) return code;
      const byte = PAGES[page]![char];
      if (byte === undefined) throw new Error(`${char} is not in the ${page} table`);
      return byte;
    }),
  );
}

describe('a feed in an older code page', () => {
  it.each(['CP850 (DOS)', 'Mac Roman'])('in %s is refused as a whole, naming the column it misreads', (page) => {
    const result = readFeed(encode(FEED, page), { now });
    expect(result.error?.code).toBe('WRONG_ENCODING');
    expect(result.error?.message).toContain(`The file reads as ${page}, not Windows-1252`);
    expect(result.error?.message).toMatch(/its column "[^"]+" is "(Bytesrätt|Årsmodell)" there/);
    expect(result.vehicles).toEqual([]);
    expect(feedErrorSv('WRONG_ENCODING', result.error!.message)).toMatch(/^Filen är sparad i en äldre teckenkodning/);
  });

  it('in Windows-1252 reads as before: every vehicle, its letters intact', () => {
    const result = readFeed(encode(FEED, 'Windows-1252'), { now });
    expect(result.error).toBeNull();
    expect(result.vehicles.map((v) => v.vehicle.description)).toEqual([
      'Fin bil med låg mätarställning',
      'Ägd av en förare, servad på märkesverkstad',
    ]);
  });

  it('keeps a Windows-1252 feed whose unknown column only looks odd ("Pris „netto”")', () => {
    const text = 'Regnr;Pris;Miltal;Pris „netto”\r\nABC123;199 900;4 410;180 000\r\n';
    const bytes = Buffer.from([...text].map((c) => ({ '„': 0x84, '”': 0x94 })[c] ?? c.charCodeAt(0)));
    const result = readFeed(bytes, { now });
    expect(result.error).toBeNull();
    expect(result.vehicles).toHaveLength(1);
  });

  it('takes a mapping profile that names windows-1252 at its word', () => {
    const result = readFeed(encode(FEED, 'CP850 (DOS)'), { now, mapping: { encoding: 'windows-1252' } });
    expect(result.error).toBeNull();
  });
});
