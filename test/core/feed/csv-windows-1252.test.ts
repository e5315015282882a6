/**
 * A Windows-1252 CSV is parsed as Latin-1 bytes and only cells with a 0x80–0x9F byte are mapped
 * on (see `DecodedFeed.csvBytes`): whatever a cell holds, the feed must read exactly as the same
 * feed exported as UTF-8 does — in the vehicles, the rejected rows and the plates held in doubt.
 */
import { describe, expect, it } from 'vitest';
import { readFeed } from '../../../functions/core/feed/index.js';

const now = new Date('2026-06-01T00:00:00Z');
const HEADER = 'Regnr;Pris;Miltal;Årsmodell;Rubrik;Beskrivning;Utrustning\r\n';

/** Windows-1252's characters for bytes 0x80–0x9F, written out (Node 20's TextDecoder gets them wrong). */
const HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

/** The same text as Windows-1252 bytes (every character here exists in 1252) and as UTF-8. */
function bothEncodings(text: string): { cp1252: Buffer; utf8: Buffer } {
  const byteOf = (char: string): number => {
    const high = HIGH.indexOf(char);
    if (high >= 0) return 0x80 + high;
    const code = char.charCodeAt(0);
    if (code < 0x100 && (code < 0x80 || code >= 0xa0)) return code;
    throw new Error(`${char} is not in Windows-1252`);
  };
  return { cp1252: Buffer.from([...text].map(byteOf)), utf8: Buffer.from(text, 'utf8') };
}

function readBoth(text: string) {
  const { cp1252, utf8 } = bothEncodings(text);
  const fromCp1252 = readFeed(cp1252, { now });
  const fromUtf8 = readFeed(utf8, { now });
  expect(fromCp1252.encoding).toBe('windows-1252');
  expect(fromUtf8.encoding).toBe('utf-8');
  return { fromCp1252, fromUtf8 };
}

describe('a Windows-1252 CSV reads as the same feed in UTF-8', () => {
  it('keeps the characters 1252 has in 0x80–0x9F (€ – “ ” Š ™) in every kind of cell', () => {
    const text =
      HEADER +
      'ABC123;189 900;1 200;2019;Škoda Kodiaq – “Style”;"Fint skick – servad™.\r\nPris 189 900 € ex. moms";Dragkrok|Rattvärme – el|Šport\r\n' +
      'DEF456;99 000;5 000;2015;Volvo V70;Ärlig bil, åäö ÅÄÖ é;Stolsvärme\r\n';
    const { fromCp1252, fromUtf8 } = readBoth(text);
    expect(fromCp1252.vehicles).toEqual(fromUtf8.vehicles);
    expect(fromCp1252.vehicles[0]!.vehicle).toMatchObject({
      shortDescription: 'Škoda Kodiaq – “Style”',
      description: 'Fint skick – servad™.\nPris 189 900 € ex. moms',
      equipment: ['Dragkrok', 'Rattvärme – el', 'Šport'],
    });
    expect(fromCp1252.vehicles[1]!.vehicle).toMatchObject({ description: 'Ärlig bil, åäö ÅÄÖ é' });
  });

  it('reads a file with no byte in 0x80–0x9F (only åäö) without mapping a cell', () => {
    const { fromCp1252, fromUtf8 } = readBoth(`${HEADER}ABC123;189 900;1 200;2019;Säker bil;Öppen för bud;Värmare\r\n`);
    expect(fromCp1252.vehicles).toEqual(fromUtf8.vehicles);
    expect(fromCp1252.vehicles[0]!.vehicle).toMatchObject({ shortDescription: 'Säker bil', equipment: ['Värmare'] });
  });

  it('rejects a ragged row and a row with a bad value alike, naming the same plates and texts', () => {
    const text =
      HEADER +
      'ABC123;189 900;1 200;2019;Škoda – för kort rad\r\n' +
      'DEF456;“gratis”;5 000;2015;Volvo – V70;Fin;Stolsvärme\r\n' +
      'GHI789;99 000;5 000;2015;Saab 9-5 – Aero;Fin;Stolsvärme\r\n';
    const { fromCp1252, fromUtf8 } = readBoth(text);
    expect(fromCp1252.rejected).toEqual(fromUtf8.rejected);
    expect(fromCp1252.inDoubt).toEqual(fromUtf8.inDoubt);
    expect(fromCp1252.rejected.map((row) => row.registrationNumber)).toEqual(['ABC123', 'DEF456']);
    expect(fromCp1252.vehicles.map(({ vehicle }) => vehicle.shortDescription)).toEqual(['Saab 9-5 – Aero']);
  });
});
