/**
 * The realistic generated feed of the benchmarks: descriptions of a few hundred characters with
 * Swedish letters, commas and line breaks, 10 image URLs, 20 equipment items, Swedish number formats.
 */

const MAKES = [
  'Volvo XC60 B4 AWD',
  'Škoda Kodiaq 2.0 TDI',
  'Kia Sportage PHEV',
  'Volkswagen Passat GTE',
  'Polestar 2 Long Range',
  'Toyota RAV4 Hybrid',
  'BMW 320d Touring',
  'Saab 9-5 2.3T',
];
const EQUIPMENT = [
  'Dragkrok',
  'Navigation',
  'Backkamera',
  'Rattvärme',
  'Stolsvärme',
  'Webasto',
  'Adaptiv farthållare',
  'Glastak',
  'Harman Kardon',
  'Keyless',
  'Elbaklucka',
  'LED-strålkastare',
  'Apple CarPlay',
  'Android Auto',
  'Parkeringssensorer fram',
  'Parkeringssensorer bak',
  'Vinterhjul',
  'Sommarhjul',
  'Head-up display',
  'Tonade rutor',
  '360-kamera',
  'Dödavinkelvarnare',
];

function plate(i: number): string {
  const letters = 'ABCDEFGHJKLMNPRSTUWXYZ';
  const a = letters[i % 22]! + letters[Math.floor(i / 22) % 22]! + letters[Math.floor(i / 484) % 22]!;
  return `${a}${String(i % 1000).padStart(3, '0')}`;
}

export interface Row {
  regnr: string;
  pris: string;
  kampanjpris: string;
  miltal: string;
  arsmodell: string;
  rubrik: string;
  beskrivning: string;
  bilder: string[];
  utrustning: string[];
  momsbil: string;
  lagernummer: string;
  chassinummer: string;
}

export function row(i: number): Row {
  const make = MAKES[i % MAKES.length]!;
  const price = 49_900 + ((i * 7919) % 450) * 1000;
  const description =
    `${make} i mycket fint skick, ${i % 3 === 0 ? 'en ägare' : 'två ägare'} och servad enligt schema. ` +
    'Bilen har nyligen genomgått besiktning utan anmärkning, och vinterhjul på fälg ingår i priset. ' +
    `Finansiering via oss från ${Math.round(price / 60)} kr/mån.\nVälkommen in för provkörning – vi har öppet även på lördagar. ` +
    'Inbyte tas gärna emot; kontakta oss för en värdering.';
  return {
    regnr: plate(i),
    pris: price.toLocaleString('sv-SE').replace(/\u00a0/g, ' '),
    kampanjpris: i % 4 === 0 ? `${(price - 10_000).toLocaleString('sv-SE')} kr` : '',
    miltal: `${(i * 37) % 25_000}`,
    arsmodell: `${2008 + (i % 18)}`,
    rubrik: make,
    beskrivning: description,
    bilder: Array.from({ length: 10 }, (_, n) => `https://images.example.test/${plate(i).toLowerCase()}/${n + 1}.jpg`),
    utrustning: Array.from({ length: 20 }, (_, n) => EQUIPMENT[(i + n) % EQUIPMENT.length]!),
    momsbil: i % 5 === 0 ? 'Ja' : 'Nej',
    lagernummer: `S-${10_000 + i}`,
    chassinummer: `YV1ZWA8UDL${String(1_000_000 + i).slice(-7)}`,
  };
}

const quote = (value: string): string => (/[;"\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** The CSV feed as UTF-8 (the default) or Windows-1252, as many Swedish DMSs write it. */
export function csvFeed(vehicles: number, encoding: 'utf8' | 'windows-1252' = 'utf8'): Buffer {
  const header =
    'Regnr;Pris;Kampanjpris;Miltal;Årsmodell;Rubrik;Beskrivning;Bilder;Utrustning;Momsbil;Lagernummer;Chassinummer';
  const lines = [header];
  for (let i = 0; i < vehicles; i++) {
    const r = row(i);
    lines.push(
      [
        r.regnr,
        r.pris,
        r.kampanjpris,
        r.miltal,
        r.arsmodell,
        r.rubrik,
        r.beskrivning,
        r.bilder.join('|'),
        r.utrustning.join('|'),
        r.momsbil,
        r.lagernummer,
        r.chassinummer,
      ]
        .map(quote)
        .join(';'),
    );
  }
  const text = `${lines.join('\r\n')}\r\n`;
  return encoding === 'utf8' ? Buffer.from(text, 'utf8') : encodeWindows1252(text);
}

/** The code points of Windows-1252's 0x80–0x9F (0 = unassigned); 0xA0–0xFF equal Latin-1. */
const CP1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0, 0,
  0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

/** Windows-1252 bytes of `text` (every character the generator uses is in the code page). */
function encodeWindows1252(text: string): Buffer {
  const table = new Map<number, number>(CP1252_HIGH.map((code, index) => [code, 0x80 + index]));
  const out = Buffer.alloc(text.length);
  let length = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    const byte = code < 0x80 || (code >= 0xa0 && code <= 0xff) ? code : table.get(code);
    if (byte === undefined || code === 0) throw new Error(`${char} is not in Windows-1252`);
    out[length++] = byte;
  }
  return out.subarray(0, length);
}
