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
  videos: ['video', 'film', 'filmer', 'videolank', 'videourl', 'youtube', 'videolankar', 'videor'],
  panorama: ['360', '360bilder', 'bilder360', 'threesixty', 'panoramabilder', 'snurr', 'bild360'],
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

/** The unit a mileage column is written in: the profile's, else what its name says (`miltal`). */
function mileageUnitOf(name: string, forcedUnit: MileageUnit | undefined): MileageUnit {
  return forcedUnit ?? (MIL_NAMES.has(name) ? 'mil' : 'km');
}

/** A name the mapping profile gives a field: it outranks every canonical name and alias. */
function profileTarget(field: VehicleField, name: string, forcedUnit: MileageUnit | undefined): FieldTarget {
  if (field !== 'mileage') return { field, rank: 0 };
  return { field, rank: 0, unit: mileageUnitOf(name, forcedUnit) };
}

/**
 * A field's canonical name (rank 1) or one of its aliases (rank 2). km columns outrank mil
 * columns when a file has both, so an alias in mil ranks 3 unless the profile forces the unit.
 */
function aliasTarget(
  field: VehicleField,
  name: string,
  canonical: boolean,
  forcedUnit: MileageUnit | undefined,
): FieldTarget {
  const rank = canonical ? 1 : 2;
  if (field !== 'mileage') return { field, rank };
  const unit = mileageUnitOf(name, forcedUnit);
  return { field, rank: !canonical && unit === 'mil' && !forcedUnit ? 3 : rank, unit };
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
      this.profileNames.set(field, [names].flat());
      for (const name of [names].flat().map(normaliseFieldName))
        this.byName.set(name, profileTarget(field, name, forcedUnit));
    }
    for (const [field, aliases] of Object.entries(FIELD_ALIASES) as Array<[VehicleField, readonly string[]]>) {
      if (mappedFields.has(field)) continue;
      for (const [index, name] of [normaliseFieldName(field), ...aliases].entries()) {
        if (!this.byName.has(name)) this.byName.set(name, aliasTarget(field, name, index === 0, forcedUnit));
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
