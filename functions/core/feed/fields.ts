import type { MappingProfile } from '../mapping-profile.js';
import type { VehicleField } from '../vehicle.js';

/**
 * Column/element name matching: case-insensitive after removing spaces, punctuation and
 * diacritics, so `Årsmodell`, `ARSMODELL` and `års-modell` are the same name.
 */
export function normaliseFieldName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

export type MileageUnit = 'km' | 'mil';

/** Where a column's values go: a canonical field, and for mileage the unit it is written in. */
export interface FieldTarget {
  readonly field: VehicleField;
  readonly unit?: MileageUnit;
  /** Lower wins when two columns of one record fill the same field: profile, canonical name, alias. */
  readonly rank: number;
}

/**
 * Names each field answers to besides its canonical name (already normalised). Mileage has two
 * sets: names in Swedish mil (10 km) and names in km.
 */
export const FIELD_ALIASES: Readonly<Record<VehicleField, readonly string[]>> = {
  registrationNumber: ['regnr', 'registreringsnummer', 'regno', 'registration', 'regnummer', 'registreringsnr'],
  vin: ['chassinummer', 'chassinr', 'vinnummer'],
  price: ['pris', 'defaultprice', 'forsaljningspris', 'saljpris'],
  campaignPrice: ['kampanjpris'],
  oldPrice: ['tidigarepris', 'ordinariepris'],
  leasingPrice: ['leasingpris'],
  mileage: [
    'mileage',
    'km',
    'matarstallning',
    'mileagekm',
    'matarstallningkm',
    'miltal',
    'mil',
    'mileagemil',
    'matarstallningmil',
  ],
  modelYear: ['arsmodell', 'modellar', 'modelyear', 'year', 'ar'],
  shortDescription: ['rubrik', 'kortbeskrivning', 'title'],
  description: ['beskrivning', 'annonstext'],
  images: ['bilder', 'bild', 'bildurl', 'bildurls', 'images', 'image', 'imageurls'],
  documents: ['dokument'],
  equipment: ['utrustning'],
  manufacturerPackages: ['tillverkarpaket', 'manufacturerpackaging'],
  deductibleVat: ['avdragsgillmoms', 'momsbil'],
  exchangeRight: ['bytesratt'],
  carWarranty: ['garanti'],
  servicePlanFollowed: ['servicebokfoljd', 'serviceprogramfoljt'],
  contactOptions: ['kontaktalternativ'],
  externalId: ['lagernummer', 'internnummer', 'stocknumber', 'lagernr'],
};

const MIL_NAMES = new Set(['miltal', 'mil', 'mileagemil', 'matarstallningmil']);

/** The names a reader can show a dealer for a field (canonical first, then the main aliases). */
export function describeField(field: VehicleField, profile?: MappingProfile): string {
  const mapped = profile?.fields?.[field];
  if (mapped)
    return `${field} (mapped to ${[mapped]
      .flat()
      .map((name) => `"${name}"`)
      .join(' or ')})`;
  const aliases = FIELD_ALIASES[field].slice(0, 3);
  return `${field} (or ${aliases.join(', ')})`;
}

/**
 * Resolves column/element names to canonical fields for one profile. Names the profile gives for
 * a field win, and replace the aliases of that field: when a dealer says "price is Utpris", a
 * column called "Pris" (maybe the purchase price) must not fill the price. Results are cached per
 * raw name, so records with the same keys cost one lookup per key.
 */
export class FieldResolver {
  private readonly byName = new Map<string, FieldTarget>();
  private readonly cache = new Map<string, FieldTarget | null>();
  /** Normalised names the profile maps, per field, to report profile names missing in the file. */
  readonly profileNames = new Map<VehicleField, string[]>();

  constructor(profile?: MappingProfile) {
    const forcedUnit = profile?.mileageUnit;
    const mappedFields = new Set<VehicleField>();
    for (const [field, names] of Object.entries(profile?.fields ?? {}) as Array<[VehicleField, string | string[]]>) {
      mappedFields.add(field);
      const normalised = [names].flat().map(normaliseFieldName);
      this.profileNames.set(field, [names].flat());
      for (const name of normalised) {
        const unit = field === 'mileage' ? (forcedUnit ?? (MIL_NAMES.has(name) ? 'mil' : 'km')) : undefined;
        this.byName.set(name, { field, rank: 0, ...(unit ? { unit } : {}) });
      }
    }
    for (const [field, aliases] of Object.entries(FIELD_ALIASES) as Array<[VehicleField, readonly string[]]>) {
      if (mappedFields.has(field)) continue;
      for (const [index, name] of [normaliseFieldName(field), ...aliases].entries()) {
        if (this.byName.has(name)) continue;
        const unit = field === 'mileage' ? (forcedUnit ?? (MIL_NAMES.has(name) ? 'mil' : 'km')) : undefined;
        // km columns outrank mil columns when a file has both.
        const rank = index === 0 ? 1 : field === 'mileage' && unit === 'mil' && !forcedUnit ? 3 : 2;
        this.byName.set(name, { field, rank, ...(unit ? { unit } : {}) });
      }
    }
  }

  resolve(name: string): FieldTarget | null {
    let target = this.cache.get(name);
    if (target === undefined) {
      target = this.byName.get(normaliseFieldName(name)) ?? null;
      this.cache.set(name, target);
    }
    return target;
  }
}
