import { describe, expect, it } from 'vitest';
import { FeedError } from '../../../functions/core/feed/errors.js';
import { readFeed } from '../../../functions/core/feed/index.js';
import { scan, tagEnd } from '../../../functions/core/feed/xml-scan.js';

const now = new Date('2026-11-29T12:00:00Z');
const whole = (xml: string) => scan(xml, 0, xml.length, true, 1);
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof FeedError) return error.code;
    throw error;
  }
  return undefined;
};

describe('tagEnd', () => {
  it('finds the > of a plain tag', () => {
    const text = '<regnr>ABC123</regnr>';
    expect(tagEnd(text, 0, text.length)).toBe(6);
  });

  it('skips a > inside a quoted attribute value', () => {
    const text = '<bild alt="a > b" src=\'x>y\'>';
    expect(tagEnd(text, 0, text.length)).toBe(text.length - 1);
  });

  it('returns -1 for a tag that is never terminated', () => {
    const text = '<regnr ABC123';
    expect(tagEnd(text, 0, text.length)).toBe(-1);
  });

  it('returns -1 when the > lies beyond the range end', () => {
    const text = '<regnr>';
    expect(tagEnd(text, 0, 5)).toBe(-1);
  });

  it('returns -1 when a < comes before the tag ends, quoted or not', () => {
    expect(tagEnd('<a b="x<y">', 0, 11)).toBe(-1);
    expect(tagEnd('<a <b>', 0, 6)).toBe(-1);
  });

  it('returns -1 for a quote that is never closed', () => {
    const text = '<a b="x>';
    expect(tagEnd(text, 0, text.length)).toBe(-1);
  });

  it('accepts an attribute without quotes as a plain tag (its value is what the parser makes of it)', () => {
    const text = '<annons regnr=ABC123>';
    expect(tagEnd(text, 0, text.length)).toBe(text.length - 1);
  });
});

describe('scan', () => {
  it('refuses an unterminated tag as a malformed feed', () => {
    expect(codeOf(() => whole('<annonser><annons><regnr ABC123</annons></annonser>'))).toBe('MALFORMED_FEED');
  });

  it('refuses a cut-off document, naming the open elements', () => {
    expect(() => whole('<annonser><annons><regnr>ABC123</regnr>')).toThrow(/<annonser>, <annons> are closed/);
  });

  it('refuses an end tag that closes another element', () => {
    expect(() => whole('<annonser><annons></bil></annonser>')).toThrow(/<\/bil> closes <annons>/);
  });

  it('refuses an end tag with anything after its name', () => {
    expect(() => whole('<annonser><annons></annons x></annonser>')).toThrow(/is not just <\/name>/);
  });

  it('refuses text outside the root element and a second root', () => {
    expect(() => whole('x<annonser/>')).toThrow(/text before the root element/);
    expect(() => whole('<annonser/><annonser/>')).toThrow(/a second top-level element/);
  });

  it('treats markup inside CDATA and comments as text', () => {
    const spans = whole('<annonser><annons><![CDATA[<annons>]]><!-- <annons> --></annons></annonser>');
    expect(spans.map((span) => span.name)).toEqual(['annons']);
  });

  it('ends a CDATA section at the first ]]>, also after extra brackets', () => {
    const xml = '<annonser><annons><beskrivning><![CDATA[a ]] b ]]]></beskrivning></annons></annonser>';
    expect(whole(xml)).toHaveLength(1);
  });

  it('refuses an unterminated CDATA section', () => {
    expect(codeOf(() => whole('<annonser><annons><![CDATA[text</annons></annonser>'))).toBe('MALFORMED_FEED');
  });

  it('finds empty-element tags and their positions', () => {
    const xml = '<r><a/><b x="1"></b></r>';
    expect(whole(xml)).toEqual([
      { name: 'a', start: 3, end: 7, contentStart: 7, contentEnd: 7 },
      { name: 'b', start: 7, end: 20, contentStart: 16, contentEnd: 16 },
    ]);
  });
});

describe('CDATA in the XML reader', () => {
  const vehicle = (plate: string, description: string) =>
    `<annons><regnr>${plate}</regnr><pris>100000</pris><miltal>1000</miltal><arsmodell>2020</arsmodell><rubrik>Bil</rubrik><beskrivning><![CDATA[${description}]]></beskrivning></annons>\n`;

  it('reads a vehicle whose CDATA section ends in the last bytes of a parser chunk (64 KB), and the next chunk', () => {
    // The first vehicle fills the first chunk; its CDATA end sits at the chunk's last bytes.
    const long = `${'x'.repeat(64 * 1024 - 300)} </beskrivning> & <b>`;
    const xml = `<annonser>${vehicle('ABC123', long)}${vehicle('DEF456', 'kort ]] text')}</annonser>`;
    const result = readFeed(Buffer.from(xml), { now });
    expect(result.error).toBeNull();
    expect(result.vehicles.map(({ vehicle: v }) => [v.registrationNumber, v.description])).toEqual([
      ['ABC123', long.trim()],
      ['DEF456', 'kort ]] text'],
    ]);
  });
});
