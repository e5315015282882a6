/**
 * A feed guessed to be Windows-1252 that was written in an older code page: CP850 (DOS, still the
 * export of some Swedish DMSs) or Mac Roman. Their bytes are valid 1252 too, so nothing fails — but
 * every å, ä, ö reaches Wayke as †, „, ” and columns named with them go unused. The header tells:
 * a column no field knows that a code page turns into one it does (`Bytesr„tt` → `Bytesrätt`).
 * The letters each page puts where 1252 has others: enough to read Nordic column names, nothing more.
 */
import { windows1252Bytes } from './encoding.js';

const C1 = /[\u0080-\u009f]/;

const CODE_PAGES: ReadonlyArray<{ readonly name: string; readonly letters: ReadonlyMap<number, string> }> = [
  {
    name: 'CP850 (DOS)',
    letters: new Map([
      [0x86, 'å'],
      [0x84, 'ä'],
      [0x94, 'ö'],
      [0x8f, 'Å'],
      [0x8e, 'Ä'],
      [0x99, 'Ö'],
      [0x82, 'é'],
      [0x81, 'ü'],
      [0x9b, 'ø'],
      [0x9d, 'Ø'],
      [0x91, 'æ'],
      [0x92, 'Æ'],
    ]),
  },
  {
    name: 'Mac Roman',
    letters: new Map([
      [0x8c, 'å'],
      [0x8a, 'ä'],
      [0x9a, 'ö'],
      [0x81, 'Å'],
      [0x80, 'Ä'],
      [0x85, 'Ö'],
      [0x8e, 'é'],
      [0x9f, 'ü'],
      [0xbf, 'ø'],
      [0xaf, 'Ø'],
      [0xbe, 'æ'],
      [0xae, 'Æ'],
    ]),
  },
];

/** What a header name read as 1252 says in another code page, or null when that page has no reading. */
function readAs(letters: ReadonlyMap<number, string>, bytes: readonly number[]): string | null {
  let text = '';
  for (const byte of bytes) {
    if (byte < 0x80) text += String.fromCharCode(byte);
    else {
      const letter = letters.get(byte);
      if (!letter) return null;
      text += letter;
    }
  }
  return text;
}

/** A column name that another code page reads as a known one: the evidence the guess was wrong. */
export interface Misreading {
  readonly codePage: string;
  /** The name as read (Windows-1252). */
  readonly read: string;
  /** The name in the code page it was written in. */
  readonly meant: string;
}

/** The first unused column name another code page turns into a known field name, or null. */
export function misreadCodePage(unusedNames: readonly string[], isKnown: (name: string) => boolean): Misreading | null {
  // Names with an invisible (C1) character last: the message quotes the name as read.
  const visibleFirst = [...unusedNames].sort((a, b) => Number(C1.test(a)) - Number(C1.test(b)));
  for (const read of visibleFirst) {
    const bytes = windows1252Bytes(read);
    if (!bytes || bytes.every((byte) => byte < 0x80)) continue;
    for (const page of CODE_PAGES) {
      const meant = readAs(page.letters, bytes);
      if (meant !== null && isKnown(meant)) return { codePage: page.name, read, meant };
    }
  }
  return null;
}
