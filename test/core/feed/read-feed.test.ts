import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_FEED_BYTES,
  feedSizeError,
  readFeed,
  type FeedReadResult,
} from '../../../functions/core/feed/index.js';
import { MappingProfileSchema } from '../../../functions/core/mapping-profile.js';
import { VehicleSchema } from '../../../functions/core/vehicle.js';

const now = new Date('2026-11-29T12:00:00Z');
const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/feeds/${name}`, import.meta.url));
const read = (input: string | Uint8Array, options: Partial<Parameters<typeof readFeed>[1]> = {}): FeedReadResult =>
  readFeed(typeof input === 'string' ? Buffer.from(input, 'utf8') : input, { now, ...options });
const plates = (result: FeedReadResult): string[] => result.vehicles.map(({ vehicle }) => vehicle.registrationNumber);
const errorCode = (result: FeedReadResult): string | undefined => result.error?.code;

/** Every vehicle the reader returns is a valid canonical vehicle. */
function expectCanonical(result: FeedReadResult): void {
  for (const { vehicle } of result.vehicles) expect(VehicleSchema.parse(vehicle)).toEqual(vehicle);
}

describe('the sample feeds', () => {
  it('canonical.csv: rejects the row with an unquoted comma and keeps the others', () => {
    const result = read(fixture('canonical.csv'));
    expect(result).toMatchObject({ format: 'csv', encoding: 'utf-8', error: null });
    expect(plates(result)).toEqual(['RBK145', 'HXP903']);
    expect(result.vehicles.map(({ row }) => row)).toEqual([2, 4]);
    expect(result.rejected).toEqual([
      {
        row: 3,
        registrationNumber: 'TLN27D',
        errors: [
          {
            field: 'row',
            code: 'RAGGED_ROW',
            message: expect.stringMatching(
              /^row has 22 fields but the header has 20 — a field with a comma in it must be quoted.*TLN27D stays listed/,
            ),
            messageSv: expect.stringContaining('TLN27D ligger kvar'),
          },
        ],
      },
    ]);
    expect(result.vehicles[0]!.vehicle).toEqual({
      registrationNumber: 'RBK145',
      vin: 'YV1ZWA8UDL1111111',
      externalId: 'S-1001',
      price: 284900,
      campaignPrice: 274900,
      leasingPrice: 3295,
      mileage: 61200,
      modelYear: 2020,
      shortDescription: 'Volvo XC60 B4 AWD Momentum',
      description: 'Nybesiktigad, vinterhjul ingår. Finansiering via oss.',
      images: [
        'https://images.example.test/rbk145/1.jpg',
        'https://images.example.test/rbk145/2.jpg',
        'https://images.example.test/rbk145/3.jpg',
      ],
      documents: [{ url: 'https://docs.example.test/rbk145/servicebok.pdf' }],
      equipment: ['Dragkrok', 'Navigation', 'Backkamera'],
      manufacturerPackages: ['Plus', 'Vinterpaket'],
      deductibleVat: true,
      exchangeRight: true,
      carWarranty: '12 månader',
      servicePlanFollowed: true,
      contactOptions: ['email', 'callMe'],
    });
    expectCanonical(result);
  });

  it('bilhallen (Windows-1252, semicolons, mil, Swedish numbers, quoted line breaks, mixed CRLF/LF)', () => {
    const result = read(fixture('bilhallen-semicolon-cp1252.csv'));
    expect(result).toMatchObject({ format: 'csv', encoding: 'windows-1252', error: null, rejected: [] });
    expect(plates(result)).toEqual(['NYT662', 'GDR31K', 'PLM908', 'UVB44A']);
    const [nyt, , plm, uvb] = result.vehicles.map(({ vehicle }) => vehicle);
    expect(nyt).toMatchObject({
      price: 219900,
      campaignPrice: 209900,
      leasingPrice: 2795,
      mileage: 39500,
      modelYear: 2019,
      externalId: '2231',
      shortDescription: 'Škoda Kodiaq 2.0 TDI 4x4 Style 7-sits',
      description: 'Sju sittplatser, dragkrok och värmare.\nEn ägare, servad enligt schema.',
      equipment: ['Dragkrok', 'Webasto', '7 säten'],
      deductibleVat: true,
      exchangeRight: true,
      carWarranty: '6 mån',
      servicePlanFollowed: true,
    });
    expect(plm).toMatchObject({ price: 349000, mileage: 10200 });
    expect(uvb).toMatchObject({ price: 52000, mileage: 213000, deductibleVat: false });
    expect(uvb).not.toHaveProperty('images');
    expectCanonical(result);
  });

  it('motorcentrum.xml: repeated children of the root, list elements, ja', () => {
    const result = read(fixture('motorcentrum.xml'));
    expect(result).toMatchObject({ format: 'xml', encoding: 'utf-8', error: null, rejected: [], warnings: [] });
    expect(result.vehicles[0]).toEqual({
      row: 1,
      vehicle: {
        registrationNumber: 'KPT219',
        price: 254000,
        campaignPrice: 244000,
        mileage: 44100,
        modelYear: 2021,
        shortDescription: 'Kia Sportage 1.6 T-GDI PHEV AWD',
        description: 'Laddhybrid med fyrhjulsdrift.',
        images: ['https://images.example.test/kpt219/1.jpg', 'https://images.example.test/kpt219/2.jpg'],
        equipment: ['Dragkrok', 'Rattvärme'],
        deductibleVat: true,
      },
    });
    expect(plates(result)).toEqual(['KPT219', 'FWS55B']);
  });

  it('canonical.json: an object with one array property', () => {
    const result = read(fixture('canonical.json'));
    expect(result).toMatchObject({ format: 'json', error: null, rejected: [] });
    expect(result.vehicles[0]!.vehicle).toEqual({
      registrationNumber: 'JEN81C',
      price: 199000,
      mileage: 38000,
      modelYear: 2019,
      shortDescription: 'BMW 320d Touring xDrive',
      images: ['https://images.example.test/jen81c/1.jpg'],
      equipment: ['M Sport', 'Dragkrok'],
      deductibleVat: true,
      contactOptions: ['email'],
    });
  });

  it('custom columns need the mapping profile; with it they read', () => {
    expect(read(fixture('custom-columns.csv')).error).toEqual({
      code: 'MISSING_COLUMNS',
      message: expect.stringMatching(/registrationNumber.*price/),
    });
    const mapping = MappingProfileSchema.parse(JSON.parse(fixture('mapping-example.json').toString('utf8')));
    const result = read(fixture('custom-columns.csv'), { mapping });
    expect(result).toMatchObject({ format: 'csv', encoding: 'windows-1252', error: null, rejected: [] });
    expect(result.vehicles.map(({ vehicle }) => vehicle)).toEqual([
      {
        registrationNumber: 'AKR504',
        price: 145000,
        mileage: 81500,
        description: 'Fin bil',
        images: ['https://images.example.test/akr504/1.jpg'],
      },
      { registrationNumber: 'BZT61E', price: 99900, mileage: 120300 },
    ]);
  });
});

describe('ugly files', () => {
  it('Windows-1252 with € – ” Š Œ (bytes 0x80–0x9F), Excel sep= line, doubled quotes', () => {
    const result = read(fixture('ugly-windows1252.csv'));
    expect(result).toMatchObject({ encoding: 'windows-1252', error: null, rejected: [] });
    expect(result.vehicles[0]!.vehicle).toMatchObject({
      registrationNumber: 'ABC123',
      price: 189900,
      mileage: 44100,
      shortDescription: 'Škoda Octavia – ”RS”',
      description: 'Pris 189 900 €… inkl. moms; "toppskick"',
    });
    // A 0 in an optional price column means "none".
    expect(result.vehicles[0]!.vehicle).not.toHaveProperty('campaignPrice');
    expect(result.vehicles[1]!.vehicle).toMatchObject({
      registrationNumber: 'DEF456',
      price: 99000,
      mileage: 125000,
      shortDescription: 'Œuvre Citroën C5',
    });
  });

  it('Excel "Unicode text": UTF-16 LE with BOM, tabs, decimal comma, non-breaking spaces', () => {
    const result = read(fixture('ugly-utf16le.txt'));
    expect(result).toMatchObject({ format: 'csv', encoding: 'utf-16le', error: null, rejected: [] });
    expect(result.vehicles.map(({ vehicle }) => vehicle)).toEqual([
      { registrationNumber: 'GHI789', price: 249900, mileage: 123000, modelYear: 2019, exchangeRight: true },
      { registrationNumber: 'JKL012', price: 149000, mileage: 98000, modelYear: 2018, exchangeRight: false },
    ]);
  });

  it('Latin-1 XML: declared encoding, wrapper element, attributes, entities, CDATA, documents, contact options', () => {
    const result = read(fixture('ugly-latin1.xml'));
    expect(result).toMatchObject({ format: 'xml', encoding: 'windows-1252', error: null });
    expect(result.vehicles).toEqual([
      {
        row: 1,
        vehicle: {
          registrationNumber: 'MNO345',
          externalId: 'A-17',
          price: 219900,
          mileage: 45000,
          shortDescription: 'Fin & rostfri Saab 9-3',
          description: 'Säljes <snabbt> & billigt.',
          images: ['https://images.example.test/mno345/1.jpg', 'https://images.example.test/mno345/2.jpg'],
          equipment: ['Dragkrok', 'Rattvärme – eftermonterad'],
          documents: [{ url: 'https://docs.example.test/mno345/servicebok.pdf', name: 'Servicebok' }],
          contactOptions: ['email', 'phone'],
        },
      },
    ]);
    expect(result.rejected).toEqual([
      {
        row: 2,
        registrationNumber: 'PQR678',
        errors: [{ field: 'price', message: '"ring för pris" is not an amount in kronor' }],
      },
    ]);
  });

  it('nested JSON with typed values, a bad price and a non-object item', () => {
    const result = read(fixture('nested.json'));
    expect(result.error).toBeNull();
    expect(result.vehicles).toEqual([
      {
        row: 1,
        vehicle: {
          registrationNumber: 'STU901',
          price: 189900,
          mileage: 44100,
          images: ['https://images.example.test/stu901/1.jpg', 'https://images.example.test/stu901/2.jpg'],
          deductibleVat: true,
          equipment: ['Dragkrok', 'Navi'],
          externalId: '2231',
        },
      },
    ]);
    expect(result.rejected).toEqual([
      { row: 2, registrationNumber: 'VWX234', errors: [{ field: 'price', message: '"0" must be greater than 0' }] },
      { row: 3, errors: [{ field: 'row', message: expect.stringContaining('not a vehicle object') }] },
    ]);
  });
});

describe('format detection', () => {
  it('detects the format from the content, not the file name', () => {
    expect(read('<a><v><regnr>ABC123</regnr><pris>1</pris><km>1</km></v></a>', { name: 'feed.csv' }).format).toBe(
      'xml',
    );
    expect(read('  \n[{"regnr":"ABC123","pris":1,"km":1}]', { name: 'feed.xml' }).format).toBe('json');
    expect(read('regnr;pris;km\nABC123;1;1', { name: 'feed.json' }).format).toBe('csv');
  });

  it('lets a mapping profile force format and delimiter', () => {
    const result = read('regnr|pris|km\nABC123|100|1\n', { mapping: { format: 'csv', delimiter: '|' } });
    expect(result).toMatchObject({ format: 'csv', error: null });
    expect(plates(result)).toEqual(['ABC123']);
    expect(read('{"a":1}', { mapping: { format: 'csv' } }).format).toBe('csv');
  });

  it('detects tab, semicolon and comma delimiters from the header', () => {
    for (const delimiter of ['\t', ';', ',']) {
      const result = read(
        ['regnr', 'pris', 'miltal'].join(delimiter) + '\n' + ['ABC123', '100 000', '1 000'].join(delimiter) + '\n',
      );
      expect(result.vehicles[0]!.vehicle).toEqual({ registrationNumber: 'ABC123', price: 100000, mileage: 10000 });
    }
  });

  it('reads old Mac CR line endings and files that mix CRLF, LF and CR', () => {
    const result = read('regnr;pris;km\rAAA111;1;1\r\nBBB222;2;2\nCCC333;3;"3"\r');
    expect(result.vehicles.map(({ row, vehicle }) => [row, vehicle.registrationNumber, vehicle.mileage])).toEqual([
      [2, 'AAA111', 1],
      [3, 'BBB222', 2],
      [4, 'CCC333', 3],
    ]);
  });

  it('reads quoted fields with doubled quotes and line breaks, CRLF or LF', () => {
    const text =
      'regnr,pris,km,beskrivning\r\nABC123,1000,10,"Rad ett, med ""citat""\r\nrad två"\r\nDEF456,2000,20,enkel\n';
    const result = read(text);
    expect(result.vehicles.map(({ vehicle }) => vehicle.description)).toEqual([
      'Rad ett, med "citat"\nrad två',
      'enkel',
    ]);
  });
});

describe('field names', () => {
  it('match case-insensitively without spaces, punctuation and diacritics', () => {
    const result = read(
      'REG-NR;Försäljnings pris;Mätar-ställning;ÅRSMODELL;Bytesrätt\nabc 123;100 000;5 000;2020;ja\n',
    );
    expect(result.vehicles[0]!.vehicle).toEqual({
      registrationNumber: 'ABC123',
      price: 100000,
      mileage: 5000,
      modelYear: 2020,
      exchangeRight: true,
    });
  });

  it.each([
    ['registrationNumber', ['regnr', 'registreringsnummer', 'regno']],
    ['vin', ['chassinummer']],
    ['price', ['pris', 'defaultprice', 'forsaljningspris']],
    ['campaignPrice', ['kampanjpris']],
    ['oldPrice', ['tidigarepris', 'ordinariepris']],
    ['leasingPrice', ['leasingpris']],
    ['modelYear', ['arsmodell', 'modellar']],
    ['shortDescription', ['rubrik', 'kortbeskrivning', 'title']],
    ['description', ['beskrivning', 'annonstext']],
    ['images', ['bilder', 'bild', 'bildurl']],
    ['documents', ['dokument']],
    ['equipment', ['utrustning']],
    ['manufacturerPackages', ['tillverkarpaket', 'manufacturerpackaging']],
    ['deductibleVat', ['avdragsgillmoms', 'momsbil']],
    ['exchangeRight', ['bytesratt']],
    ['carWarranty', ['garanti']],
    ['servicePlanFollowed', ['servicebokfoljd', 'serviceprogramfoljt']],
    ['contactOptions', ['kontaktalternativ']],
    ['externalId', ['lagernummer', 'internnummer', 'stocknumber']],
  ] as const)('%s accepts its canonical name and %j', (field, aliases) => {
    const values: Record<string, [string, unknown]> = {
      registrationNumber: ['XYZ789', 'XYZ789'],
      vin: ['YV1ZWA8UDL1111111', 'YV1ZWA8UDL1111111'],
      price: ['5000', 5000],
      campaignPrice: ['4000', 4000],
      oldPrice: ['6000', 6000],
      leasingPrice: ['999', 999],
      modelYear: ['2020', 2020],
      shortDescription: ['Volvo', 'Volvo'],
      description: ['Fin', 'Fin'],
      images: ['https://i.test/1.jpg', ['https://i.test/1.jpg']],
      documents: ['https://d.test/1.pdf', [{ url: 'https://d.test/1.pdf' }]],
      equipment: ['Dragkrok', ['Dragkrok']],
      manufacturerPackages: ['Plus', ['Plus']],
      deductibleVat: ['ja', true],
      exchangeRight: ['nej', false],
      carWarranty: ['12 mån', '12 mån'],
      servicePlanFollowed: ['x', true],
      contactOptions: ['phone', ['phone']],
      externalId: ['S-1', 'S-1'],
    };
    const [cell, expected] = values[field]!;
    for (const name of [field, ...aliases]) {
      const base = { regnr: 'ABC123', pris: '1000', km: '10' } as Record<string, string>;
      if (field === 'registrationNumber') delete base.regnr;
      if (field === 'price') delete base.pris;
      const columns = { ...base, [name]: cell };
      const text = `${Object.keys(columns).join(';')}\n${Object.values(columns).join(';')}\n`;
      const result = read(text);
      expect(result.error, `${name}`).toBeNull();
      expect(result.vehicles[0]?.vehicle[field], `${name}`).toEqual(expected);
    }
  });

  it('reads mileage in mil from miltal/mil/mileagemil and in km from mileage/km/matarstallning/mileagekm', () => {
    for (const name of ['miltal', 'mil', 'mileagemil', 'Mileage (mil)']) {
      expect(read(`regnr;pris;${name}\nABC123;1000;1 234\n`).vehicles[0]!.vehicle.mileage, name).toBe(12340);
    }
    for (const name of ['mileage', 'km', 'matarstallning', 'Mätarställning', 'mileagekm']) {
      expect(read(`regnr;pris;${name}\nABC123;1000;12 340\n`).vehicles[0]!.vehicle.mileage, name).toBe(12340);
    }
  });

  it("a mapping profile names other columns, replacing that field's aliases, and may force the mileage unit", () => {
    const text = 'Bil;Pris;Utpris;Mätare\nABC123;50 000;189 900;4 410\n';
    const result = read(text, {
      mapping: { fields: { registrationNumber: 'Bil', price: ['Utpris'], mileage: 'Mätare' }, mileageUnit: 'mil' },
    });
    expect(result.vehicles[0]!.vehicle).toEqual({ registrationNumber: 'ABC123', price: 189900, mileage: 44100 });
    expect(result.warnings).toContainEqual({ row: 0, field: '*', message: expect.stringContaining('"Pris"') });
  });

  it('warns about profile names the file does not have, and about unused columns', () => {
    const result = read('regnr;pris;km;Färg\nABC123;1000;10;Röd\n', { mapping: { fields: { images: 'Bildlänkar' } } });
    expect(result.error).toBeNull();
    expect(result.warnings).toEqual([
      { row: 0, field: 'images', message: expect.stringContaining('"Bildlänkar"') },
      { row: 0, field: '*', message: 'not used (no matching field): "Färg"' },
    ]);
  });
});

describe('values', () => {
  it('reads Swedish amounts, booleans and lists in CSV cells', () => {
    const header =
      'regnr;pris;kampanjpris;tidigarepris;leasingpris;miltal;momsbil;bytesrätt;servicebokfoljd;bilder;utrustning';
    const rows = [
      'AAA111;189 900 kr;99 000:-;189900 SEK;2\u00a0995;1 000;j;n;x;"https://i.test/1.jpg, https://i.test/2.jpg";"Dragkrok\nNavi"',
      'BBB222;249 900,00;;;;2 000;Yes;No;;https://i.test/3.jpg https://i.test/4.jpg;Dragkrok|Navi',
      'CCC333;189900;;;;3000;TRUE;false;0;;',
      'DDD444;1;;;;0;1;0;y;;',
    ];
    const result = read(`${header}\n${rows.join('\n')}\n`);
    expect(result.rejected).toEqual([]);
    // Each row spells momsbil yes and bytesrätt no another way; all four read the same.
    const yesNo = { deductibleVat: true, exchangeRight: false };
    expect(result.vehicles.map(({ vehicle }) => vehicle)).toEqual([
      {
        registrationNumber: 'AAA111',
        price: 189900,
        campaignPrice: 99000,
        oldPrice: 189900,
        leasingPrice: 2995,
        mileage: 10000,
        ...yesNo,
        servicePlanFollowed: true,
        images: ['https://i.test/1.jpg', 'https://i.test/2.jpg'],
        equipment: ['Dragkrok', 'Navi'],
      },
      {
        registrationNumber: 'BBB222',
        price: 249900,
        mileage: 20000,
        ...yesNo,
        images: ['https://i.test/3.jpg', 'https://i.test/4.jpg'],
        equipment: ['Dragkrok', 'Navi'],
      },
      { registrationNumber: 'CCC333', price: 189900, mileage: 30000, ...yesNo, servicePlanFollowed: false },
      { registrationNumber: 'DDD444', price: 1, mileage: 0, ...yesNo, servicePlanFollowed: true },
    ]);
  });

  it('treats an empty cell as an absent field', () => {
    const result = read('regnr;pris;km;vin;rubrik;momsbil;bilder\nABC123;1000;10; ;;;\n');
    expect(result.vehicles[0]!.vehicle).toEqual({ registrationNumber: 'ABC123', price: 1000, mileage: 10 });
    expect(result.warnings).toEqual([]);
  });

  it('normalises registration numbers and cleans text', () => {
    const result = read(
      'regnr;pris;km;rubrik;beskrivning\n" abc-12 3 ";1000;10;"  Volvo\u0007 V70  ";"Rad 1\r\nRad 2\u0000"\n',
    );
    expect(result.vehicles[0]!.vehicle).toEqual({
      registrationNumber: 'ABC123',
      price: 1000,
      mileage: 10,
      shortDescription: 'Volvo V70',
      description: 'Rad 1\nRad 2',
    });
  });

  it('accepts model years from 1900 to next year (from `now`), not beyond', () => {
    const text = 'regnr;pris;km;årsmodell\nAAA111;1;1;2027\nBBB222;1;1;2028\nCCC333;1;1;1899\nDDD444;1;1;1900\n';
    const result = read(text);
    expect(result.vehicles.map(({ vehicle }) => vehicle.modelYear)).toEqual([2027, undefined, undefined, 1900]);
    expect(result.warnings).toEqual([
      { row: 3, field: 'modelYear', message: '"2028" must be 2027 or earlier; left out' },
      { row: 4, field: 'modelYear', message: '"1899" must be 1900 or later; left out' },
    ]);
    expect(read(text, { now: new Date('2027-06-01T00:00:00Z') }).vehicles[1]!.vehicle.modelYear).toBe(2028);
  });

  it('drops an invalid optional field with a warning and keeps the row', () => {
    const text =
      'regnr;pris;km;vin;kampanjpris;momsbil;kontaktalternativ;bilder;lagernummer\n' +
      'ABC123;1000;10;WVWZZZAUZLW22222I;gratis;kanske;email|fax|ring upp;https://i.test/1.jpg|ftp://i.test/2.jpg|inte en url;S-1\n';
    const result = read(text);
    expect(result.rejected).toEqual([]);
    expect(result.vehicles[0]!.vehicle).toEqual({
      registrationNumber: 'ABC123',
      price: 1000,
      mileage: 10,
      contactOptions: ['email', 'callMe'],
      images: ['https://i.test/1.jpg'],
      externalId: 'S-1',
    });
    expect(result.warnings).toEqual([
      { row: 2, field: 'vin', message: '"WVWZZZAUZLW22222I" must be 17 characters without I, O or Q; left out' },
      { row: 2, field: 'campaignPrice', message: '"gratis" is not an amount in kronor; left out' },
      { row: 2, field: 'deductibleVat', message: expect.stringContaining('"kanske" is not yes or no') },
      { row: 2, field: 'contactOptions', message: 'left out an item: "fax" (use email, callMe or phone)' },
      {
        row: 2,
        field: 'images',
        message:
          'left out 2 items: "ftp://i.test/2.jpg" (must be an http(s) URL), "inte en url" (must be an http(s) URL)',
      },
    ]);
  });

  it('rejects a row whose mandatory field is missing or invalid, listing every problem', () => {
    const text = 'regnr;pris;km\nABC123;;-5\nTOOLONG12;gratis;10\n;1000;10\nDEF456;1000;10\n';
    const result = read(text);
    expect(plates(result)).toEqual(['DEF456']);
    expect(result.rejected).toEqual([
      {
        row: 2,
        registrationNumber: 'ABC123',
        errors: [
          { field: 'price', message: 'is missing' },
          { field: 'mileage', message: '"-5" must be 0 or more' },
        ],
      },
      {
        row: 3,
        errors: [
          { field: 'registrationNumber', message: '"TOOLONG12" must be 2–7 letters or digits' },
          { field: 'price', message: '"gratis" is not an amount in kronor' },
        ],
      },
      { row: 4, errors: [{ field: 'registrationNumber', message: 'is missing' }] },
    ]);
  });
});

describe('XML', () => {
  const feed = (inner: string): string => `<?xml version="1.0"?><annonser>${inner}</annonser>`;
  const car = (extra = ''): string => `<annons><regnr>ABC123</regnr><pris>1000</pris><km>10</km>${extra}</annons>`;

  it('decodes the five predefined entities and numeric references, nothing else', () => {
    const result = read(
      feed(car('<rubrik>Fin &amp; rostfri &lt;3 &gt; &quot;V70&quot; &apos;97 &#228;&#xE5; &nbsp;</rubrik>')),
    );
    expect(result.vehicles[0]!.vehicle.shortDescription).toBe('Fin & rostfri <3 > "V70" \'97 äå &nbsp;');
  });

  it('reads list fields as repeated child elements (any name), repeated field elements, or | text', () => {
    const result = read(
      feed(
        car(
          '<bilder><bild>https://i.test/1.jpg</bild><img>https://i.test/2.jpg</img></bilder><utrustning>A|B</utrustning>',
        ) +
          '<annons><regnr>DEF456</regnr><pris>1</pris><km>1</km><bild>https://i.test/3.jpg</bild><bild>https://i.test/4.jpg</bild></annons>',
      ),
    );
    expect(result.vehicles.map(({ vehicle }) => [vehicle.images, vehicle.equipment])).toEqual([
      [
        ['https://i.test/1.jpg', 'https://i.test/2.jpg'],
        ['A', 'B'],
      ],
      [['https://i.test/3.jpg', 'https://i.test/4.jpg'], undefined],
    ]);
  });

  it('reads namespaced elements by their local names', () => {
    const result = read(
      '<bf:annonser xmlns:bf="urn:x"><bf:annons><bf:regnr>ABC123</bf:regnr><bf:pris>1</bf:pris><bf:km>2</bf:km></bf:annons><bf:annons><bf:regnr>DEF456</bf:regnr><bf:pris>3</bf:pris><bf:km>4</bf:km></bf:annons></bf:annonser>',
    );
    expect(result.vehicles.map(({ vehicle }) => vehicle)).toEqual([
      { registrationNumber: 'ABC123', price: 1, mileage: 2 },
      { registrationNumber: 'DEF456', price: 3, mileage: 4 },
    ]);
    const single = read(
      '<bf:export xmlns:bf="urn:x"><bf:annons><bf:regnr>ABC123</bf:regnr><bf:pris>1</bf:pris><bf:km>2</bf:km></bf:annons></bf:export>',
    );
    expect(single.vehicles.map(({ vehicle }) => vehicle)).toEqual([
      { registrationNumber: 'ABC123', price: 1, mileage: 2 },
    ]);
  });

  it('reads list elements the same whatever their items hold: entities, CDATA, attributes, nesting, mixed text', () => {
    const result = read(
      feed(
        car(
          '<utrustning><p>Fin &amp; fräsch</p><p>&#228;&#xE5;&lt;</p><p>&nbsp;kvar</p></utrustning><bilder><bild url="https://i.test/1.jpg"/><bild><![CDATA[https://i.test/2.jpg?a=1&b=2]]></bild></bilder>',
        ) +
          '<annons><regnr>DEF456</regnr><pris>1</pris><km>1</km><utrustning>A &amp; B|C</utrustning><bild>https://i.test/3.jpg?x=1&amp;y=2</bild><bild>https://i.test/4.jpg</bild>' +
          '<tillverkarpaket><paket><namn>Plus</namn></paket><paket><namn>Vinter</namn></paket></tillverkarpaket></annons>' +
          '<annons><regnr>GHI789</regnr><pris>1</pris><km>1</km><utrustning>Dragkrok<p>Navi</p></utrustning><bilder/></annons>',
      ),
    );
    expect(result.rejected).toEqual([]);
    expect(
      result.vehicles.map(({ vehicle }) => [vehicle.equipment, vehicle.images, vehicle.manufacturerPackages]),
    ).toEqual([
      [['Fin & fräsch', 'äå<', '&nbsp;kvar'], ['https://i.test/1.jpg', 'https://i.test/2.jpg?a=1&b=2'], undefined],
      [
        ['A & B', 'C'],
        ['https://i.test/3.jpg?x=1&y=2', 'https://i.test/4.jpg'],
        ['Plus', 'Vinter'],
      ],
      [['Navi'], undefined, undefined],
    ]);
  });

  it('reads a one-vehicle feed, fields as attributes, and keeps leading zeros', () => {
    const result = read(feed('<annons regnr="ABC123" pris="1000"><km>10</km><lagernummer>007</lagernummer></annons>'));
    expect(result.vehicles).toEqual([
      { row: 1, vehicle: { registrationNumber: 'ABC123', price: 1000, mileage: 10, externalId: '007' } },
    ]);
  });

  it.each([
    ['a DOCTYPE', fixture('unsafe-billion-laughs.xml')],
    ['an external entity', fixture('unsafe-xxe.xml')],
    ['a lower-case doctype', feed(car()).replace('<annonser>', '<!doctype annonser><annonser>')],
    ['an ENTITY without DOCTYPE', `<?xml version="1.0"?>\n<!ENTITY x "y">${feed(car())}`],
  ])('refuses %s with UNSAFE_XML before parsing', (_, input) => {
    const result = read(input);
    expect(result.error).toEqual({
      code: 'UNSAFE_XML',
      message: expect.stringMatching(/<!(DOCTYPE|ENTITY) on line \d+/),
    });
    expect(result.vehicles).toEqual([]);
  });

  it('refuses a cut-off or broken file with MALFORMED_FEED and the line', () => {
    expect(read(fixture('truncated.xml')).error).toEqual({
      code: 'MALFORMED_FEED',
      message: expect.stringMatching(/ends on line 4 before <annonser>, <annons> are closed/),
    });
    expect(read('<annonser>\n<annons><regnr>A</pris></annons>\n</annonser>').error).toEqual({
      code: 'MALFORMED_FEED',
      message: expect.stringContaining('line 2'),
    });
  });

  it.each([
    [
      'a mismatched closing tag',
      '<annonser>\n<annons><regnr>A</regnr></annon>\n</annonser>',
      /line 2: <\/annon> closes <annons>, opened on line 2/,
    ],
    [
      'a second root element',
      '<annonser></annonser>\n<annonser></annonser>',
      /line 2: a second top-level element <annonser>/,
    ],
    ['text after the root', '<annonser></annonser>\nslut', /line 2: text after the end of the root element/],
    [
      'a bare < in text',
      '<annonser><annons><rubrik>V70 < 2000 mil</rubrik></annons></annonser>',
      /line 1: "< 2000 mil<\/rubrik><" is not a valid tag/,
    ],
    ['an unclosed comment', '<annonser><!-- <annons></annons></annonser>', /not a valid tag, comment or CDATA/],
    ['a closing tag never opened', '<annonser></annons></annonser>', /<\/annons> closes <annonser>/],
  ])('refuses %s with MALFORMED_FEED and its line', (_, input, message) => {
    expect(read(input).error).toEqual({ code: 'MALFORMED_FEED', message: expect.stringMatching(message) });
  });

  it('ignores tags inside comments, CDATA and processing instructions', () => {
    const result = read(
      feed(`<!-- <annons> --><?pi <x> ?>${car('<rubrik><![CDATA[<b>Fet</b> & </annons>]]></rubrik>')}`),
    );
    expect(result.error).toBeNull();
    expect(result.vehicles[0]!.vehicle.shortDescription).toBe('<b>Fet</b> & </annons>');
  });

  it('reads large feeds in chunks without losing or reordering a vehicle, and ignores other siblings', () => {
    const cars = Array.from(
      { length: 1203 },
      (_, i) =>
        `<annons><regnr>A${String(i).padStart(5, '0')}</regnr><pris>${i + 1}</pris><km>${i}</km></annons>${i === 600 ? '<meta>x</meta>' : ''}`,
    );
    const result = read(`<export><info>export</info><annonser>${cars.join('\n')}</annonser></export>`);
    expect(result.error).toBeNull();
    expect(result.rejected).toEqual([]);
    expect(result.vehicles).toHaveLength(1203);
    expect(
      result.vehicles.every(
        ({ row, vehicle }) =>
          vehicle.registrationNumber === `A${String(row - 1).padStart(5, '0')}` && vehicle.price === row,
      ),
    ).toBe(true);
  });

  it('MISSING_COLUMNS names the mandatory elements no vehicle has', () => {
    expect(read(feed('<annons><regnr>ABC123</regnr><pris>1</pris></annons>')).error).toEqual({
      code: 'MISSING_COLUMNS',
      message: expect.stringMatching(/no element for mileage/),
    });
  });
});

describe('JSON', () => {
  it('reads a top-level array with arrays or | strings for lists', () => {
    const result = read(
      JSON.stringify([
        {
          regnr: 'ABC123',
          pris: 1000,
          km: 10,
          bilder: ['https://i.test/1.jpg'],
          utrustning: 'A|B',
          dokument: [{ url: 'https://d.test/1.pdf', name: 'Servicebok' }],
        },
        {
          registrationNumber: 'DEF456',
          price: '2 000',
          mileage: '20',
          deductibleVat: false,
          contactOptions: ['email', 'callMe'],
        },
      ]),
    );
    expect(result.vehicles.map(({ vehicle }) => vehicle)).toEqual([
      {
        registrationNumber: 'ABC123',
        price: 1000,
        mileage: 10,
        images: ['https://i.test/1.jpg'],
        equipment: ['A', 'B'],
        documents: [{ url: 'https://d.test/1.pdf', name: 'Servicebok' }],
      },
      {
        registrationNumber: 'DEF456',
        price: 2000,
        mileage: 20,
        deductibleVat: false,
        contactOptions: ['email', 'callMe'],
      },
    ]);
  });

  it('refuses unparseable JSON with MALFORMED_FEED and the line', () => {
    expect(read(fixture('malformed.json')).error).toEqual({
      code: 'MALFORMED_FEED',
      message: expect.stringContaining('line 3'),
    });
  });

  it('refuses an object without one clear array of vehicles', () => {
    expect(read('{"a": [{"regnr": "X"}], "b": [{"regnr": "Y"}]}').error?.code).toBe('MALFORMED_FEED');
    expect(read('{"regnr": "X"}').error?.code).toBe('MALFORMED_FEED');
  });

  it('is not fooled by __proto__ keys', () => {
    const result = read('[{"regnr":"ABC123","pris":1,"km":1,"__proto__":{"price":5}}]');
    expect(result.vehicles[0]!.vehicle).toEqual({ registrationNumber: 'ABC123', price: 1, mileage: 1 });
    expect(({} as Record<string, unknown>).price).toBeUndefined();
  });
});

describe('CSV rows that do not fit', () => {
  it('rejects rows with more or fewer fields than the header, and keeps the good ones around them', () => {
    const text =
      'regnr;pris;km;beskrivning\nAAA111;1000;10;ok\nBBB222;2000;20;Fin; rostfri\nCCC333;3000;30;ok\nDDD444;4000\n;30\nEEE555;5000;50;ok\n';
    const result = read(text);
    expect(plates(result)).toEqual(['AAA111', 'CCC333', 'EEE555']);
    expect(result.vehicles.map(({ row }) => row)).toEqual([2, 4, 7]);
    expect(result.rejected).toEqual([
      {
        row: 3,
        registrationNumber: 'BBB222',
        errors: [
          {
            field: 'row',
            code: 'RAGGED_ROW',
            message:
              'row has 5 fields but the header has 4 — a field with a semicolon in it must be quoted ("…"); BBB222 stays listed in Wayke as it is',
            messageSv: expect.stringContaining('raden har 5 fält men rubrikraden har 4'),
          },
        ],
      },
      {
        row: 5,
        registrationNumber: 'DDD444',
        errors: [
          {
            field: 'row',
            code: 'RAGGED_ROW',
            message: expect.stringContaining('row has 2 fields but the header has 4'),
            messageSv: expect.any(String),
          },
        ],
      },
      {
        row: 6,
        errors: [
          {
            field: 'row',
            code: 'RAGGED_ROW',
            message: expect.stringContaining('row has 2 fields but the header has 4'),
            messageSv: expect.any(String),
          },
        ],
      },
    ]);
    expect(result.inDoubt).toEqual(['BBB222', 'DDD444']);
  });

  it('skips blank lines and rows of empty cells, numbering rows as a spreadsheet shows them', () => {
    const result = read('regnr;pris;km\n\nAAA111;1;1\n;;\n\r\nBBB222;2;2\n');
    expect(result.vehicles.map(({ row, vehicle }) => [row, vehicle.registrationNumber])).toEqual([
      [3, 'AAA111'],
      [6, 'BBB222'],
    ]);
  });

  it('refuses a file with an unclosed quote as MALFORMED_FEED naming the line where it opened', () => {
    expect(read(fixture('unclosed-quote.csv')).error).toEqual({
      code: 'MALFORMED_FEED',
      message: expect.stringContaining('opened on line 3 is never closed'),
    });
  });
});

describe('duplicates', () => {
  it('rejects every row of a duplicated registration number, each naming the others; the rest goes on', () => {
    const result = read(fixture('duplicates.csv'));
    expect(plates(result)).toEqual(['DEF456']);
    expect(
      result.rejected.map(({ row, registrationNumber, errors }) => [row, registrationNumber, errors[0]!.message]),
    ).toEqual([
      [2, 'ABC123', expect.stringMatching(/^ABC123 also appears in rows 3, 5/)],
      [3, 'ABC123', expect.stringMatching(/^ABC123 also appears in rows 2, 5/)],
      [5, 'ABC123', expect.stringMatching(/^ABC123 also appears in rows 2, 3/)],
    ]);
  });

  it('counts a duplicate that is invalid for another reason too', () => {
    const result = read('regnr;pris;km\nABC123;1;1\nABC123;gratis;1\n');
    expect(result.vehicles).toEqual([]);
    expect(result.rejected[1]!.errors.map(({ field }) => field)).toEqual(['price', 'registrationNumber']);
  });
});

describe('whole-file errors', () => {
  it('EMPTY_FEED: no bytes, only whitespace, a header without rows, an empty array or root', () => {
    for (const input of [
      fixture('empty.csv'),
      '  \r\n\t ',
      fixture('header-only.csv'),
      '[]',
      '{"vehicles": []}',
      '<annonser></annonser>',
      '<annonser/>',
    ]) {
      const result = read(input);
      expect(errorCode(result), JSON.stringify(input.toString())).toBe('EMPTY_FEED');
      expect(result.vehicles).toEqual([]);
    }
  });

  it('UNKNOWN_FORMAT: a spreadsheet, a PDF, binary data, text that is no CSV', () => {
    expect(read(fixture('spreadsheet.xlsx'), { name: 'lager.xlsx' }).error).toEqual({
      code: 'UNKNOWN_FORMAT',
      message: expect.stringMatching(/^"lager.xlsx" looks like .*Excel/),
    });
    expect(errorCode(read(Buffer.from('%PDF-1.7\n...')))).toBe('UNKNOWN_FORMAT');
    expect(errorCode(read(Uint8Array.from([0x41, 0x00, 0x42, 0x01, 0x00, 0x00, 0x43, 0x44, 0x00, 0x07])))).toBe(
      'UNKNOWN_FORMAT',
    );
    expect(errorCode(read('Hej! Här kommer lagerlistan.\nMvh Bilhallen'))).toBe('UNKNOWN_FORMAT');
  });

  it('MISSING_COLUMNS lists every missing mandatory column', () => {
    const result = read('regnr;rubrik\nABC123;Volvo\n');
    expect(result.error).toEqual({
      code: 'MISSING_COLUMNS',
      message: expect.stringMatching(/no column for price \(or pris.*\); mileage \(or /),
    });
  });

  it('FEED_TOO_LARGE: over the limit, before anything is read', () => {
    const bytes = Buffer.alloc(2048, 0x41);
    expect(read(bytes, { maxBytes: 1024 }).error).toEqual({
      code: 'FEED_TOO_LARGE',
      message: expect.stringContaining('at most'),
    });
    expect(DEFAULT_MAX_FEED_BYTES).toBe(50 * 1024 * 1024);
    expect(feedSizeError(DEFAULT_MAX_FEED_BYTES)).toBeNull();
    expect(feedSizeError(DEFAULT_MAX_FEED_BYTES + 1)?.code).toBe('FEED_TOO_LARGE');
  });

  it('MALFORMED_FEED when a profile forces a format the content is not', () => {
    expect(errorCode(read('regnr;pris;km\nA;1;1', { mapping: { format: 'json' } }))).toBe('MALFORMED_FEED');
  });
});

describe('a bad row never hides a good one', () => {
  it('keeps every valid row of a feed where every other row is broken in a different way', () => {
    const good = (i: number): string => `GOOD${String(i).padStart(2, '0')};${1000 + i};${i}`;
    const bad = [
      'BAD01;gratis;1',
      'BAD02;1;',
      'X;1;1',
      'BAD04;1;1;extra',
      'BAD05',
      ';;;',
      'BAD07;-1;1',
      'BAD08;1;-1',
      'GOOD01;1;1',
    ];
    const lines = ['regnr;pris;km'];
    for (let i = 0; i < bad.length; i++) lines.push(good(i), bad[i]!);
    const result = read(lines.join('\n'));
    expect(result.error).toBeNull();
    // GOOD01 is duplicated on purpose: both copies go, every other good row stays.
    expect(plates(result)).toEqual(['GOOD00', 'GOOD02', 'GOOD03', 'GOOD04', 'GOOD05', 'GOOD06', 'GOOD07', 'GOOD08']);
    expect(result.rejected).toHaveLength(9);
  });
});

describe('hostile input', () => {
  it('splits list cells with megabyte-long runs of separators in linear time', () => {
    // Patterns like /\s*\|\s*/ or /[\s,]+(?=http)/ take minutes on these cells; the test
    // finishing at all (within the test timeout) is the assertion.
    const spaces = ' '.repeat(300_000);
    const commas = ',;'.repeat(150_000);
    const text =
      'regnr;pris;km;bilder;utrustning;kontaktalternativ;dokument\n' +
      `ABC123;1;1;"https://i.test/1.jpg${spaces}x https://i.test/2.jpg${commas}";"A${spaces}B";"email${spaces}x";"Servicebok${spaces}-${spaces}x https://d.test/1.pdf"\n`;
    const result = read(text);
    expect(result.error).toBeNull();
    // Compared as lengths: a failing diff of megabyte strings would itself take minutes.
    const vehicle = result.vehicles[0]!.vehicle;
    expect(vehicle.images?.map((url) => url.length)).toEqual([
      `https://i.test/1.jpg${spaces}x`.length,
      'https://i.test/2.jpg'.length,
    ]);
    expect(vehicle.equipment?.map((item) => item.length)).toEqual([300_002]);
    expect(vehicle.contactOptions).toBeUndefined();
    expect(vehicle.documents?.map((document) => document.url)).toEqual(['https://d.test/1.pdf']);
  });

  it('refuses JSON nested deeper than the stack as FEED_TOO_COMPLEX instead of crashing', () => {
    const deep = `${'['.repeat(200_000)}1${']'.repeat(200_000)}`;
    const result = read(`[{"regnr":"ABC123","pris":1,"km":1,"utrustning":${deep}}]`);
    expect(result.error?.code).toBe('FEED_TOO_COMPLEX');
  });
});
