import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import type { ListField } from '../../../functions/core/feed/list-field.js';
import { PLAIN_ITEM, PLAIN_SCALAR } from '../../../functions/core/feed/plain-items.js';
import { VALUE_BOUNDS, VehicleFieldSchemas, type VehicleField } from '../../../functions/core/vehicle.js';

/** Values near every rule's edges, of every type a reader can hand over. */
const URLS = [
  'https://bilder.example.se/1.jpg',
  '  https://bilder.example.se/1.jpg  ',
  'HTTPS://Bilder.Example.SE/1.JPG',
  'http://localhost/x.jpg',
  'http://10.0.0.1/x.jpg',
  'https://user:pw@example.se/x.jpg',
  'https://xn--abc.com/x',
  'ftp://example.se/x',
  'bilder/1.jpg',
  'https://youtu.be/abc',
  'https://www.youtube.com/watch?v=abc',
  'https://player.vimeo.com/video/1',
  'https://cdn.example.se/film.MP4',
  'https://cdn.example.se/film.mp4?x=1',
  'http://127.0.0.1/film.mp4',
  '',
];
const TEXTS = [
  'Dragkrok',
  '  Dragkrok  ',
  '',
  '   ',
  '\u0001',
  'Rad 1\r\nRad 2',
  'Ä\u0085ö',
  'abc 123',
  'ABC-123',
  'ABß12',
];
const NUMBERS = [0, -0, 1, -1, 1.5, 1899, 1900, 2027, NaN, Infinity, 2 ** 53, ...Object.values(VALUE_BOUNDS)];
const CORPUS: unknown[] = [
  ...URLS,
  ...TEXTS,
  ...NUMBERS,
  ...NUMBERS.map((n) => n + 1),
  'email',
  'callMe',
  'phone',
  'fax',
  true,
  false,
  null,
  undefined,
  'YV1ZWA8UDL1000000',
  ' yv1 zwa8u dl1000000 ',
  'YV1ZWA8UDL100000O',
  { url: 'https://a.example.se/b.pdf' },
  { url: ' https://a.example.se/b.pdf ', name: ' Servicebok ' },
  { url: 'https://a.example.se/b.pdf', name: undefined },
  { url: 'https://a.example.se/b.pdf', name: 3 },
  { url: 'http://localhost/b.pdf', name: 'x' },
  { url: 'https://a.example.se/b.pdf', extra: 1 },
  ['https://a.example.se/b.pdf'],
];

/** The plain check must accept only what the schema accepts, and output exactly what it outputs. */
function expectAgreement(check: (value: unknown) => unknown, schema: z.ZodType): number {
  let accepted = 0;
  for (const value of CORPUS) {
    const plain = check(value);
    if (plain === undefined) continue;
    accepted++;
    const parsed = schema.safeParse(value);
    expect(parsed.success, `${JSON.stringify(value)} is accepted by hand but not by the schema`).toBe(true);
    expect(plain).toStrictEqual(parsed.data);
  }
  return accepted;
}

describe('PLAIN_ITEM (the hand-written check of a list item)', () => {
  it.each(Object.keys(PLAIN_ITEM) as ListField[])('agrees with the item schema of %s', (field) => {
    const schema = (VehicleFieldSchemas[field] as unknown as z.ZodArray<z.ZodType>).element;
    expect(expectAgreement(PLAIN_ITEM[field], schema)).toBeGreaterThan(0);
  });
});

describe('PLAIN_SCALAR (the hand-written check of a scalar field)', () => {
  it.each(Object.keys(PLAIN_SCALAR) as VehicleField[])('agrees with the schema of %s', (field) => {
    expect(expectAgreement(PLAIN_SCALAR[field]!, VehicleFieldSchemas[field])).toBeGreaterThan(0);
  });
});
