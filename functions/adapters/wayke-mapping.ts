/**
 * The ONE place that knows how Wayke names things. The canonical {@link Vehicle} goes out as a
 * create/patch body ({@link toWaykeBody}) and comes back from a read ad ({@link fromWaykeAd});
 * every Wayke field name the contract (`docs/wayke-api.md`) marks *assumed* lives in the tables
 * below and nowhere else, so it can be corrected in one place once Wayke's OpenAPI is at hand.
 *
 * Units: mileage is km inside the project and Scandinavian mil (10 km) at Wayke — rounded to the
 * nearest whole mil on the way out, ×10 on the way back. Prices are whole SEK incl. VAT both sides.
 */
import * as z from 'zod';
import { VehicleFieldSchemas, type Vehicle, type VehicleField } from '../core/vehicle.js';
import type { Market } from '../core/dealer-config.js';
import type {
  AdStatus,
  OnlineSaleState,
  WaykeAd,
  WaykeForm,
  WaykeRepresentation,
  WaykeVehicleDetails,
} from '../ports.js';

/** Statuses Wayke accepts for an ad. */
export const AD_STATUSES = ['Published', 'Unpublished', 'Sold', 'Deleted'] as const satisfies readonly AdStatus[];

/** Market code sent on create **(assumed: every dealer of this project sells in Sweden)**. */
export const WAYKE_MARKET_CODE = 'SE';

/**
 * Canonical fields that are not part of the ad body: `images`, `videos` and `panorama` are source
 * URLs that become Wayke media through the media API (`mediaUrls`), `externalId` is the dealer's own stock id, kept by
 * the project. {@link fromWaykeAd} never returns them.
 */
export const FIELDS_NOT_SENT_TO_WAYKE = [
  'images',
  'videos',
  'panorama',
  'externalId',
] as const satisfies readonly VehicleField[];
type SentField = Exclude<VehicleField, (typeof FIELDS_NOT_SENT_TO_WAYKE)[number]>;

type Section = 'vehicle' | 'ad';

/**
 * Canonical field → where it goes in Wayke's body: `[section, name]`. `vehicle.registrationNumber`,
 * `vehicle.mileage`, `ad.price`, `ad.shortDescription`, `ad.description` and `ad.media` are
 * documented; the rest is **assumed** (from the read-side names and the documented body example).
 */
export const WAYKE_FIELD_PATHS: { readonly [K in SentField]: readonly [Section, string] } = {
  registrationNumber: ['vehicle', 'registrationNumber'],
  vin: ['vehicle', 'vin'],
  mileage: ['vehicle', 'mileage'],
  modelYear: ['vehicle', 'modelYear'],
  equipment: ['vehicle', 'equipment'],
  price: ['ad', 'price'],
  campaignPrice: ['ad', 'campaignPrice'],
  oldPrice: ['ad', 'oldPrice'],
  leasingPrice: ['ad', 'leasingPrice'],
  shortDescription: ['ad', 'shortDescription'],
  description: ['ad', 'description'],
  manufacturerPackages: ['ad', 'manufacturerPackages'],
  deductibleVat: ['ad', 'deductibleVat'],
  contactOptions: ['ad', 'contactOptions'],
  exchangeRight: ['ad', 'exchangeRight'],
  carWarranty: ['ad', 'carWarranty'],
  servicePlanFollowed: ['ad', 'servicePlanFollowed'],
  documents: ['ad', 'documents'],
};

const SENT_FIELDS = Object.keys(WAYKE_FIELD_PATHS) as SentField[];

/** Wayke's name of the ad's media list under `ad`, and of the urls in each entry. */
const MEDIA_KEY = 'media';
const FILE_URLS_KEY = 'fileUrls';

/** Canonical km → Wayke mil (whole mil, rounded half up). */
export const kmToMil = (km: number): number => Math.round(km / 10);
/** Wayke mil → canonical km. */
export const milToKm = (mil: number): number => mil * 10;

/** The body of `POST /vehicle` and `PATCH /vehicle/{id}`. */
export interface WaykeAdBody {
  branch: string;
  marketCode?: string;
  status?: AdStatus;
  vehicle?: Record<string, unknown>;
  ad?: Record<string, unknown>;
}

/** The body of `PUT /vehicle/{id}/media` (and the value of `ad.media`). */
export type WaykeMediaList = Array<{ fileUrls: string[] }>;

/** Canonical fields to send; `null` clears an optional field (patch). */
export type VehicleFields = { readonly [K in keyof Vehicle]?: Vehicle[K] | null };

/** Wayke's media list for the given urls, in order (an empty list clears the ad's media). */
export function toWaykeMedia(mediaUrls: readonly string[]): WaykeMediaList {
  return mediaUrls.length === 0 ? [] : [{ [FILE_URLS_KEY]: [...mediaUrls] }];
}

/** The status body of `PUT /vehicle/{id}/ad/status`. */
export const toWaykeStatusBody = (status: AdStatus): { status: AdStatus } => ({ status });

/**
 * Builds a create or patch body. For create pass the whole vehicle and `create: true` (adds the
 * market code); for patch pass only what changes — absent fields are left alone, `null` clears.
 * `images` and `externalId` are ignored (see {@link FIELDS_NOT_SENT_TO_WAYKE}).
 */
export function toWaykeBody(input: {
  branchId: string;
  fields: VehicleFields;
  status?: AdStatus;
  mediaUrls?: readonly string[];
  create?: boolean;
}): WaykeAdBody {
  const sections: Record<Section, Record<string, unknown>> = { vehicle: {}, ad: {} };
  for (const field of SENT_FIELDS) {
    const value = input.fields[field];
    if (value === undefined) continue;
    const [section, name] = WAYKE_FIELD_PATHS[field];
    sections[section][name] = field === 'mileage' && typeof value === 'number' ? kmToMil(value) : cloneValue(value);
  }
  if (input.mediaUrls !== undefined) sections.ad[MEDIA_KEY] = toWaykeMedia(input.mediaUrls);

  const body: WaykeAdBody = { branch: input.branchId };
  if (input.create) body.marketCode = WAYKE_MARKET_CODE;
  if (input.status !== undefined) body.status = input.status;
  if (Object.keys(sections.vehicle).length > 0) body.vehicle = sections.vehicle;
  if (Object.keys(sections.ad).length > 0) body.ad = sections.ad;
  return body;
}

function cloneValue(value: unknown): unknown {
  if (Array.isArray(value))
    return (value as unknown[]).map((item) => (item && typeof item === 'object' ? { ...item } : item));
  return value;
}

/**
 * A read ad (`GET /vehicle/{id}/ad`, find by plate) **(assumed: the create body's shape plus
 * `id`)**. Lenient on purpose: unknown fields pass, so Wayke adding one never breaks a run.
 */
export const WaykeAdResponseSchema = z
  .object({
    id: z.string().min(1),
    branch: z.string().optional(),
    branchId: z.string().optional(),
    status: z.enum(AD_STATUSES),
    vehicle: z.record(z.string(), z.unknown()).default({}),
    ad: z.record(z.string(), z.unknown()).default({}),
  })
  .loose();

/**
 * Registry facts Wayke adds to an ad's `vehicle` section, by the project's name → Wayke's read-side
 * name. `manufacturer`, `modelName`, `modelSeries` (Wayke's public e-commerce SDK, vehicle lookup),
 * `fuelType` and `gearBox` (Wayke's public e-commerce web, vehicle) are from Wayke's public code,
 * `vehicleIdentificationNumber` from its webhooks; `color` and `firstRegistrationDate` are
 * **assumed** (see `docs/wayke-api.md`).
 */
export const WAYKE_DETAIL_NAMES: { readonly [K in keyof WaykeVehicleDetails]-?: string } = {
  make: 'manufacturer',
  model: 'modelName',
  variant: 'modelSeries',
  firstRegistration: 'firstRegistrationDate',
  fuel: 'fuelType',
  gearbox: 'gearBox',
  colour: 'color',
  vin: 'vehicleIdentificationNumber',
};

/** The registry facts of a read ad's `vehicle` section: non-empty strings only; a date as `YYYY-MM-DD`. */
export function detailsOf(vehicle: Record<string, unknown>): WaykeVehicleDetails {
  const details: Record<string, string> = {};
  for (const [field, name] of Object.entries(WAYKE_DETAIL_NAMES)) {
    const value = vehicle[name];
    if (typeof value !== 'string' || value.trim().length === 0) continue;
    if (field === 'vin') {
      const vin = VehicleFieldSchemas.vin.safeParse(value);
      if (vin.success) details[field] = vin.data;
      continue;
    }
    if (field === 'firstRegistration') {
      const date = /^(\d{4}-\d{2}-\d{2})/.exec(value.trim())?.[1];
      if (date && !Number.isNaN(Date.parse(date))) details[field] = date;
      continue;
    }
    details[field] = value.trim();
  }
  return details;
}

/** The answer of `POST /vehicle`. */
export const WaykeCreateResponseSchema = z.object({ id: z.string().min(1) }).loose();

/** The answer of both image uploads. */
export const WaykeImageResponseSchema = z
  .object({ mediaId: z.string().min(1), fileId: z.string().optional(), url: z.string().url() })
  .loose();

/** An answer that does not look like the contract says. */
export class WaykeResponseShapeError extends Error {
  override readonly name = 'WaykeResponseShapeError';
}

/** Fields without which a read ad is no use to the project: a malformed or missing one fails the read. */
const MANDATORY_FIELDS = ['registrationNumber', 'price', 'mileage'] as const satisfies readonly SentField[];
const isMandatory = (field: SentField): boolean => (MANDATORY_FIELDS as readonly SentField[]).includes(field);

/**
 * Maps a read ad back to the canonical vehicle (mil → km). A mandatory field that is missing or
 * malformed throws {@link WaykeResponseShapeError}; a malformed optional field is dropped, so one
 * odd value in Wayke never blocks an import.
 */
export function fromWaykeAd(raw: unknown): WaykeAd {
  const ad = parseAd(raw);
  const { vehicle, problems } = readVehicle({ vehicle: ad.vehicle, ad: ad.ad });
  if (problems.length > 0)
    throw new WaykeResponseShapeError(`Unexpected ad ${ad.id} from Wayke: ${problems.join('; ')}`);

  const branchId = ad.branch ?? ad.branchId;
  const details = detailsOf(ad.vehicle);
  return {
    id: ad.id,
    ...(branchId !== undefined ? { branchId } : {}),
    status: ad.status,
    vehicle,
    mediaUrls: mediaUrlsOf(ad.ad[MEDIA_KEY]),
    ...(Object.keys(details).length > 0 ? { details } : {}),
  };
}

function parseAd(raw: unknown): z.output<typeof WaykeAdResponseSchema> {
  const parsed = WaykeAdResponseSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`);
  throw new WaykeResponseShapeError(`Unexpected ad from Wayke: ${issues.join('; ')}`);
}

/** The canonical fields of a read ad's sections, and what is wrong with its mandatory ones. */
function readVehicle(sections: Record<Section, Record<string, unknown>>): { vehicle: Vehicle; problems: string[] } {
  const vehicle: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const field of SENT_FIELDS) {
    const [section, name] = WAYKE_FIELD_PATHS[field];
    const value = sections[section][name];
    if (value === undefined || value === null) {
      if (isMandatory(field)) problems.push(`${section}.${name} is missing`);
      continue;
    }
    const checked = VehicleFieldSchemas[field].safeParse(canonicalValue(field, value));
    if (checked.success) vehicle[field] = checked.data;
    else if (isMandatory(field)) problems.push(`${section}.${name} is malformed`);
  }
  return { vehicle: vehicle as Vehicle, problems };
}

/** A read value in the project's unit and shape, before its schema checks it. */
function canonicalValue(field: SentField, value: unknown): unknown {
  if (field === 'mileage' && typeof value === 'number') return milToKm(value);
  // Wayke may add keys of its own to a document (an id, a type): keep the two we know.
  if (field === 'documents' && Array.isArray(value)) return (value as unknown[]).map(knownDocumentKeys);
  return value;
}

function knownDocumentKeys(doc: unknown): unknown {
  if (!doc || typeof doc !== 'object') return doc;
  const { url, name } = doc as Record<string, unknown>;
  return name === undefined || name === null ? { url } : { url, name };
}

/** Flattens Wayke's media list (`[{ fileUrls: [...] }, …]`) to urls in order; tolerant of junk. */
export function mediaUrlsOf(media: unknown): string[] {
  if (!Array.isArray(media)) return [];
  const urls: string[] = [];
  for (const entry of media) {
    const fileUrls = entry && typeof entry === 'object' ? (entry as Record<string, unknown>)[FILE_URLS_KEY] : undefined;
    if (Array.isArray(fileUrls)) for (const url of fileUrls) if (typeof url === 'string') urls.push(url);
  }
  return urls;
}

// ═════════════════════════ Online sale and hand edits (read side) ═════════════════════════
//
// What the import reads of an ad before it changes it: whether Wayke's online sale holds the
// ad, and each sent field as Wayke holds it, so a hand edit in Wayke is told from a unit round
// trip. Kept apart from the body mapping above on purpose: that one maps what is sent, this one
// how Wayke's side reads.

/**
 * The online sale's object on a read ad (and on a `vehicle-updated` webhook about it) and its
 * reservation flag. `ecommerce.reserved` is Wayke's read-side name (`SearchItem_vehicle_ecommerce`
 * in `src/@types/gql/SearchItem.ts` of `wayke-se/components-react`); that the dealer API's ad and
 * the webhook carry the same object is **assumed**.
 */
export const ONLINE_SALE_NAMES = { section: 'ecommerce', reserved: 'reserved' } as const;

/**
 * Where an ad stands in the online sale: reserved while the flag is set, sold once its status is
 * `Sold` with the flag still set (the buyer's reservation became the sale) — **assumed**: Wayke's
 * public code names the reservation, not how a completed online sale reads.
 */
export function onlineSaleOf(raw: unknown): OnlineSaleState | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const body = raw as Record<string, unknown>;
  const sale = body[ONLINE_SALE_NAMES.section];
  if (!sale || typeof sale !== 'object') return undefined;
  if ((sale as Record<string, unknown>)[ONLINE_SALE_NAMES.reserved] !== true) return undefined;
  return body.status === 'Sold' ? 'sold' : 'reserved';
}

/** A read ad with its online-sale state (from the raw body {@link fromWaykeAd} read). */
export function withOnlineSale(ad: WaykeAd, raw: unknown): WaykeAd {
  const onlineSale = onlineSaleOf(raw);
  return onlineSale ? { ...ad, onlineSale } : ad;
}

/** Mileage as Wayke holds it per market: Scandinavian mil in Sweden, km in Norway and Finland. */
const mileageAsHeld = (km: number, market: Market): number => (market === 'SE' ? kmToMil(km) : km);

/**
 * Each sent field of `vehicle` as Wayke holds it for a dealer in `market`, as JSON text: what the
 * import sends and what it reads back (mapped to km by {@link fromWaykeAd}) compare equal unless
 * someone changed the value in Wayke. 12 345 km goes out as 1 235 mil and reads back as 12 350 km:
 * both hold 1 235 here.
 */
export function waykeSideForm(vehicle: Vehicle, market: Market): WaykeForm {
  const form: Record<string, string> = {};
  for (const field of SENT_FIELDS) {
    const value = vehicle[field];
    if (value === undefined) continue;
    const held = field === 'mileage' && typeof value === 'number' ? mileageAsHeld(value, market) : value;
    form[field] = JSON.stringify(held);
  }
  return form;
}

/** The client's {@link WaykeRepresentation}: {@link waykeSideForm}. */
export const WAYKE_REPRESENTATION: WaykeRepresentation = { form: waykeSideForm };
