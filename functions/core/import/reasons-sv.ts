/**
 * The Swedish half of a report says why a row was rejected in Swedish too: the feed reader's
 * reasons (English, built from a small set of sentences in `core/feed` and `core/vehicle.ts`)
 * rendered in Swedish, values and plates kept as they are. A reason no pattern knows yet stays
 * in English rather than being lost; `test/core/import/reasons-sv.test.ts` feeds every sentence
 * the reader writes through this, so a new one without a translation fails there.
 */
import type { VehicleField } from '../vehicle.js';

/**
 * Swedish names of the vehicle fields, as a Swedish DMS labels its columns: every field has one (a
 * new field fails to compile until it has its name here).
 */
const FIELD_SV: { readonly [K in VehicleField | 'row' | 'encoding']: string } & Readonly<Record<string, string>> = {
  registrationNumber: 'regnr',
  price: 'pris',
  mileage: 'miltal',
  campaignPrice: 'kampanjpris',
  oldPrice: 'tidigare pris',
  leasingPrice: 'leasingpris',
  modelYear: 'årsmodell',
  shortDescription: 'rubrik',
  description: 'beskrivning',
  images: 'bilder',
  videos: 'filmer',
  panorama: '360-bilder',
  documents: 'dokument',
  equipment: 'utrustning',
  manufacturerPackages: 'tillverkarpaket',
  deductibleVat: 'momsbil',
  exchangeRight: 'bytesrätt',
  servicePlanFollowed: 'serviceprogram följt',
  carWarranty: 'bilgaranti',
  contactOptions: 'kontaktsätt',
  vin: 'chassinummer',
  externalId: 'externt id',
  row: 'raden',
  encoding: 'teckenkodning',
};

/** The field as the Swedish half shows it: its Swedish name, with the English one for lookup. */
export function fieldSv(field: string): string {
  const sv = FIELD_SV[field];
  return sv ? `${sv} (${field})` : field;
}

type Rule = readonly [RegExp, (...groups: string[]) => string];

/**
 * Sentences that follow the rejected value (`"abc" is not a number`; the schema's own messages
 * may also stand alone): English → Swedish.
 */
const AFTER_VALUE: ReadonlyArray<readonly [string, string]> = [
  ['is not an amount in kronor', 'är inget belopp i kronor'],
  ['is not an amount', 'är inget belopp'],
  ['is not a mileage', 'är inget miltal'],
  ['is not a whole number', 'är inget heltal'],
  ['is not a number', 'är inget tal'],
  [
    'is not yes or no (use ja/nej, yes/no, true/false, 1/0 or x)',
    'är varken ja eller nej (skriv ja/nej, yes/no, true/false, 1/0 eller x)',
  ],
  ['is not a text', 'är ingen text'],
  ['must be whole kronor', 'måste vara hela kronor'],
  ['must be greater than 0', 'måste vara större än 0'],
  ['must be whole kilometres', 'måste vara hela kilometer'],
  ['must be 0 or more', 'får inte vara negativt'],
  ['must be 1900 or later', 'måste vara 1900 eller senare'],
  ['must be 2–7 letters or digits', 'måste vara 2–7 bokstäver eller siffror'],
  ['must be 17 characters without I, O or Q', 'måste vara 17 tecken utan I, O och Q'],
  ['must not be empty', 'får inte vara tomt'],
  ['must be an http(s) URL', 'måste vara en http(s)-adress'],
  ['is not valid', 'är inte giltigt'],
];

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const withValue = (pattern: string): RegExp => new RegExp(`^(?:(".*") )?${pattern}$`, 's');
const prefixed = (value: string | undefined, text: string): string => (value ? `${value} ${text}` : text);

function csvHintSv(hint: string): string {
  const quoted = /^a field with a (.+) in it must be quoted \("…"\)$/.exec(hint);
  if (quoted) return `ett fält med ${quoted[1]} i måste stå inom citattecken ("…")`;
  if (hint === 'a separator may be missing, or a line break sits in an unquoted field')
    return 'en avgränsare kan saknas, eller så står en radbrytning i ett fält utan citattecken';
  return hint;
}

const RULES: readonly Rule[] = [
  ...AFTER_VALUE.map(([en, sv]): Rule => [withValue(escape(en)), (value) => prefixed(value, sv)]),
  [withValue('must be (\\d+) or earlier'), (value, year) => prefixed(value, `får vara högst ${year}`)],
  [
    withValue('must be at most ([\\d ,]+ (?:km|mil)) \\(check the unit: mil or km\\)'),
    (value, bound) => prefixed(value, `får vara högst ${bound} (kontrollera enheten: mil eller km)`),
  ],
  [/^is missing$/, () => 'saknas'],
  [/^left out an item: (.*)$/s, (items) => `ett värde utelämnat: ${items}`],
  [/^left out (\d+) items: (.*)$/s, (count, items) => `${count} värden utelämnade: ${items}`],
  [
    /^row has (\d+) fields but the header has (\d+) — (.*)$/s,
    (cells, width, hint) => `raden har ${cells} fält men rubrikraden ${width} — ${csvHintSv(hint)}`,
  ],
  [/^is an array, not a vehicle object$/, () => 'är en lista, inget fordonsobjekt'],
  [/^is (.*), not a vehicle object$/s, (what) => `är ${what}, inget fordonsobjekt`],
  [
    /^(\S+) also appears in rows? ([\d, ]+); every row with a duplicated registration number is left out until only one remains$/,
    (plate, rows) =>
      `${plate} finns också på rad ${rows}; alla rader med samma regnr utelämnas tills bara en finns kvar`,
  ],
];

/** The reason in Swedish, or as it is when no rule knows it. */
export function reasonSv(message: string): string {
  // A warning is a reason for an optional field, which is left out instead of the row.
  if (message.endsWith('; left out')) {
    const reason = message.slice(0, -'; left out'.length);
    const sv = reasonSv(reason);
    return sv === reason ? message : `${sv}; utelämnat`;
  }
  for (const [pattern, render] of RULES) {
    const match = pattern.exec(message);
    if (match) return render(...match.slice(1));
  }
  return message;
}

/**
 * What a refused file means, in Swedish, per code; the English half keeps the reader's detailed
 * sentence (it names columns, sizes and lines), which the Swedish half then quotes after this.
 */
const FEED_ERROR_SV: Readonly<Record<string, string>> = {
  EMPTY_FEED: 'Filen innehåller inga fordon (tom fil eller bara rubrikrad). En tom fil tar aldrig bort annonser.',
  UNSAFE_XML: 'XML-filen innehåller konstruktioner som inte tillåts (DOCTYPE/entiteter) och lästes inte.',
  MALFORMED_FEED: 'Filen gick inte att läsa som CSV, XML eller JSON (trasig eller avkortad fil).',
  UNKNOWN_FORMAT: 'Filen är ingen CSV-, XML- eller JSON-fil. Exportera lagerlistan som text.',
  MISSING_COLUMNS: 'Filen saknar obligatoriska kolumner (regnr, pris och miltal krävs).',
  WRONG_ENCODING:
    'Filen är sparad i en äldre teckenkodning (DOS eller Mac), så å, ä och ö skulle bli fel i Wayke. Exportera den som UTF-8 eller Windows-1252.',
  FEED_TOO_LARGE: 'Filen är för stor. Dela upp lagret i flera filer eller ta bort inbäddade bilder.',
  FEED_TOO_COMPLEX:
    'Filen har fler rader, kolumner, attribut, nycklar eller nivåer än en lagerlista kan ha och lästes inte, så att inget tas bort av misstag.',
};

/** The Swedish sentence for a file refused as a whole (the code's meaning; unknown codes keep the English text). */
export function feedErrorSv(code: string, message: string): string {
  const sv = FEED_ERROR_SV[code];
  return sv ? `${sv} (${message})` : message;
}
