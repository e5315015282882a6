/**
 * The ONE place that knows how Wayke names things. The canonical {@link Vehicle} goes out as a
 * create/patch body ({@link toWaykeBody}) and comes back from a read ad ({@link fromWaykeAd});
 * every Wayke field name the contract (`docs/wayke-api.md`) marks *assumed* lives in the tables
 * below and nowhere else, so it can be corrected in one place once Wayke's OpenAPI is at hand.
 *
 * Units: mileage is km inside the project. Wayke is sent the odometer in the unit of the dealer's
 * market (`core/market.ts`: Scandinavian mil for SE, km for NO and FI), converted here and only
 * here, both ways: rounded to the nearest whole mil on the way out, ×10 on the way back; a read ad
 * that states its unit (`odometerReading`) is read in that unit. Prices are whole amounts incl. VAT.
 */
import * as z from 'zod';
import type { Market } from '../core/dealer-config.js';
import type { MileageUnit } from '../core/feed/fields.js';
import { DEFAULT_MARKET, kmFrom, kmIn, mileageUnitOf } from '../core/market.js';
import { VehicleFieldSchemas, type Vehicle, type VehicleField } from '../core/vehicle.js';
import type {
  AdStatus,
  ExtraMedia,
  OnlineSaleState,
  WaykeAd,
  WaykeForm,
  WaykeRepresentation,
  WaykeVehicleDetails,
} from '../ports.js';

/** Statuses Wayke accepts for an ad. */
export const AD_STATUSES = ['Published', 'Unpublished', 'Sold', 'Deleted'] as const satisfies readonly AdStatus[];

/**
 * Market code sent on create, per dealer market **(assumed: ISO 3166 alpha-2, as Wayke's public
 * React components type it — `MarketCode = 'NO' | 'SE'`, `src/@types/market.ts` in
 * `wayke-se/components-react`; `FI` by the same rule)**.
 */
export const WAYKE_MARKET_CODE: { readonly [M in Market]: string } = { SE: 'SE', NO: 'NO', FI: 'FI' };

/**
 * Wayke's names of the odometer units, as its read side carries them in `odometerReading.unit`
 * (`wayke-se/components-react`: the search item and related-items layouts show
 * `odometerReading.value` in `odometerReading.unit`, defaulting to `ScandinavianMile`, and its lead
 * hook `src/hooks/useSubmitLead.ts` sends `readingUnit` `Kilometer` for NO, `ScandinavianMile` else).
 */
export const WAYKE_ODOMETER_UNITS: { readonly [U in MileageUnit]: string } = {
  km: 'Kilometer',
  mil: 'ScandinavianMile',
};

/**
 * The read side's odometer under an ad's `vehicle` section, `{ value, unit }` **(assumed: the
 * dealer API's read ad carries it as the public read side does, beside the write-side `mileage`)**.
 */
const ODOMETER_READING_KEY = 'odometerReading';

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

/**
 * How a gallery goes into `media[]`: `entry-per-image` (one item per image) or `one-gallery-entry`
 * (every image in one entry, the project's first reading). Each entry is one media item: Wayke's
 * read side renders an `image` item from its first file only and a `threesixty` item from all of
 * them (`src/components/Gallery/index.tsx` in `wayke-se/components-react`), and the panorama guide
 * puts the frames of one 360 item in one entry (`Media/Panorama (360) Upload.md` in
 * `wayke-se/Documentation`). Switch here if Wayke's test environment shows otherwise.
 */
export type MediaGrouping = 'entry-per-image' | 'one-gallery-entry';
export const MEDIA_GROUPING = 'entry-per-image' as MediaGrouping;

/** Canonical km → Wayke mil (whole mil, rounded half up). */
export const kmToMil = (km: number): number => kmIn('mil', km);
/** Wayke mil → canonical km. */
export const milToKm = (mil: number): number => kmFrom('mil', mil);

/** The odometer value Wayke is sent for a dealer of `market`: whole mil for SE, km for NO and FI. */
export const toWaykeMileage = (km: number, market: Market | undefined): number => kmIn(mileageUnitOf(market), km);

/**
 * The km a dealer's mileage reads back as from Wayke: 12 345 km → 1 235 mil → 12 350 km for SE.
 * What Wayke holds for a vehicle is the same as what was sent when these agree, so a comparison
 * of a read ad with the feed (drift, adoption) must compare `mileageAsWaykeKeepsIt` of the feed's
 * value, or every odd km would be a change on every run.
 */
export const mileageAsWaykeKeepsIt = (km: number, market: Market | undefined): number =>
  kmFrom(mileageUnitOf(market), toWaykeMileage(km, market));

/** The body of `POST /vehicle` and `PATCH /vehicle/{id}`. */
export interface WaykeAdBody {
  branch: string;
  marketCode?: string;
  status?: AdStatus;
  vehicle?: Record<string, unknown>;
  ad?: Record<string, unknown>;
}

/** The body of `PUT /vehicle/{id}/media` (and the value of `ad.media`): one entry per media item. */
export type WaykeMediaList = Array<{ fileUrls: string[] }>;

/** Canonical fields to send; `null` clears an optional field (patch). */
export type VehicleFields = { readonly [K in keyof Vehicle]?: Vehicle[K] | null };

/**
 * Wayke's media list: the gallery images (grouped by {@link MEDIA_GROUPING}), then the 360 set as
 * one entry, then one entry per video — images first because the first item is the listing's cover
 * picture, which a video or a 360 frame strip is not. An empty result clears the ad's media.
 */
export function toWaykeMedia(
  imageUrls: readonly string[],
  extra: ExtraMedia = {},
  grouping: MediaGrouping = MEDIA_GROUPING,
): WaykeMediaList {
  const entry = (urls: readonly string[]) => ({ [FILE_URLS_KEY]: [...urls] });
  const images =
    grouping === 'entry-per-image' ? imageUrls.map((url) => entry([url])) : imageUrls.length ? [entry(imageUrls)] : [];
  const panorama = extra.panoramaUrls?.length ? [entry(extra.panoramaUrls)] : [];
  const videos = (extra.videoUrls ?? []).map((url) => entry([url]));
  return [...images, ...panorama, ...videos];
}

/** The body of `PUT /vehicle/{id}/media`. */
export const toWaykeMediaBody = (imageUrls: readonly string[], extra?: ExtraMedia): { media: WaykeMediaList } => ({
  [MEDIA_KEY]: toWaykeMedia(imageUrls, extra),
});

/** A create or patch body with the ad's whole media list set (`ad.media`), the rest as built. */
export function withWaykeMedia(body: WaykeAdBody, imageUrls: readonly string[], extra?: ExtraMedia): WaykeAdBody {
  return { ...body, ad: { ...(body.ad ?? {}), [MEDIA_KEY]: toWaykeMedia(imageUrls, extra) } };
}

/** The status body of `PUT /vehicle/{id}/ad/status`. */
export const toWaykeStatusBody = (status: AdStatus): { status: AdStatus } => ({ status });

/**
 * Builds a create or patch body. For create pass the whole vehicle and `create: true` (adds the
 * market code); for patch pass only what changes — absent fields are left alone, `null` clears.
 * `market` is the dealer's (absent: the config's default): it decides the market code and the
 * unit of `vehicle.mileage`. `images` and `externalId` are ignored (see {@link FIELDS_NOT_SENT_TO_WAYKE}).
 */
export function toWaykeBody(input: {
  branchId: string;
  fields: VehicleFields;
  status?: AdStatus;
  mediaUrls?: readonly string[];
  create?: boolean;
  market?: Market;
}): WaykeAdBody {
  const sections: Record<Section, Record<string, unknown>> = { vehicle: {}, ad: {} };
  for (const field of SENT_FIELDS) {
    const value = input.fields[field];
    if (value === undefined) continue;
    const [section, name] = WAYKE_FIELD_PATHS[field];
    sections[section][name] =
      field === 'mileage' && typeof value === 'number' ? toWaykeMileage(value, input.market) : cloneValue(value);
  }
  if (input.mediaUrls !== undefined) sections.ad[MEDIA_KEY] = toWaykeMedia(input.mediaUrls);

  const body: WaykeAdBody = { branch: input.branchId };
  if (input.create) body.marketCode = WAYKE_MARKET_CODE[input.market ?? DEFAULT_MARKET];
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

/**
 * Names Wayke's read ad carries that the project reads but never sends (`section.name`): the
 * registry facts and the odometer reading with its unit. A contract check does not take them for
 * a sent field that went elsewhere.
 */
export function isWaykeReadOnlyName(sectionAndName: string): boolean {
  const [section, name, ...rest] = sectionAndName.split('.');
  if (section !== 'vehicle' || name === undefined || rest.length > 0) return false;
  return name === ODOMETER_READING_KEY || Object.values<string>(WAYKE_DETAIL_NAMES).includes(name);
}

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

/**
 * The answer of both image uploads and of `POST /media/v2/embedded-video` (documented: `{ mediaId,
 * fileId, url }`; for a video `url` is the video's own link and `fileId` all zeros).
 */
export const WaykeImageResponseSchema = z
  .object({ mediaId: z.string().min(1), fileId: z.string().optional(), url: z.string().url() })
  .loose();

/** The `purpose` every media upload and registration names (documented in each media guide). */
export const MEDIA_PURPOSE = 'Vehicle';

/** The JSON body of `POST /media/v2/embedded-video` (documented in `Media/EmbeddedMedia.md`). */
export const toEmbeddedVideoBody = (input: { branchId: string; url: string; sortOrder: number }) => ({
  purpose: MEDIA_PURPOSE,
  branchId: input.branchId,
  sortOrder: input.sortOrder,
  url: input.url,
});

/** The form of `POST /media/v2/panorama-image` that creates a 360 container (form-urlencoded, documented). */
export const toPanoramaContainerForm = (input: { branchId: string; sortOrder: number }): URLSearchParams =>
  new URLSearchParams({
    'Metadata.Purpose': MEDIA_PURPOSE,
    'Metadata.BranchId': input.branchId,
    'Metadata.SortOrder': String(input.sortOrder),
  });

/** Form field names of a frame upload `POST /media/v2/panorama-image/{containerId}` (documented). */
export const PANORAMA_FRAME_FIELDS = { file: 'File', sortOrder: 'SortOrder' } as const;

/**
 * The answer of a container creation: documented as "a container id (UUID)", shown bare. Read as a
 * bare or JSON-quoted UUID, or **(assumed)** an object carrying it as `id` or `containerId`.
 */
export const WaykePanoramaContainerResponseSchema = z.union([
  z
    .string()
    .trim()
    .pipe(z.uuid())
    .transform((containerId) => ({ containerId })),
  z
    .object({ containerId: z.uuid() })
    .loose()
    .transform(({ containerId }) => ({ containerId })),
  z
    .object({ id: z.uuid() })
    .loose()
    .transform(({ id }) => ({ containerId: id })),
]);

/** The answer of a frame upload (documented: `{ imageId, url }`). */
export const WaykePanoramaFrameResponseSchema = z.object({ imageId: z.string().min(1), url: z.string().url() }).loose();

/** An answer that does not look like the contract says. */
export class WaykeResponseShapeError extends Error {
  override readonly name = 'WaykeResponseShapeError';
}

/** Fields without which a read ad is no use to the project: a malformed or missing one fails the read. */
const MANDATORY_FIELDS = ['registrationNumber', 'price', 'mileage'] as const satisfies readonly SentField[];
const isMandatory = (field: SentField): boolean => (MANDATORY_FIELDS as readonly SentField[]).includes(field);

/**
 * Maps a read ad back to the canonical vehicle (odometer → km). The odometer is read in the unit
 * the ad states (`odometerReading.unit`) and, when it states none, in the unit of `market` (the
 * dealer's; absent: the config's default). A mandatory field that is missing or malformed throws
 * {@link WaykeResponseShapeError}; a malformed optional field is dropped, so one odd value in Wayke
 * never blocks an import.
 */
export function fromWaykeAd(raw: unknown, market?: Market): WaykeAd {
  const ad = parseAd(raw);
  const { vehicle, problems } = readVehicle({ vehicle: ad.vehicle, ad: ad.ad }, market);
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
function readVehicle(
  sections: Record<Section, Record<string, unknown>>,
  market: Market | undefined,
): { vehicle: Vehicle; problems: string[] } {
  const vehicle: Record<string, unknown> = {};
  const problems: string[] = [];
  const odometer = odometerReadingOf(sections.vehicle[ODOMETER_READING_KEY]);
  for (const field of SENT_FIELDS) {
    const [section, name] = WAYKE_FIELD_PATHS[field];
    const value = field === 'mileage' && odometer ? odometer : sections[section][name];
    if (value === undefined || value === null) {
      if (isMandatory(field)) problems.push(`${section}.${name} is missing`);
      continue;
    }
    const checked = VehicleFieldSchemas[field].safeParse(canonicalValue(field, value, market));
    if (checked.success) vehicle[field] = checked.data;
    else if (isMandatory(field)) problems.push(`${section}.${name} is malformed`);
  }
  return { vehicle: vehicle as Vehicle, problems };
}

/** An odometer reading in a unit Wayke names, as the project's unit. */
interface OdometerReading {
  readonly value: number;
  readonly unit: MileageUnit;
}

/**
 * The ad's `odometerReading` when it is one (a number and a unit Wayke names); anything else is
 * ignored, and the write-side `mileage` is read in the market's unit instead.
 */
function odometerReadingOf(raw: unknown): OdometerReading | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const { value, unit } = raw as Record<string, unknown>;
  if (typeof value !== 'number') return undefined;
  const known = (Object.keys(WAYKE_ODOMETER_UNITS) as MileageUnit[]).find((u) => WAYKE_ODOMETER_UNITS[u] === unit);
  return known ? { value, unit: known } : undefined;
}

/** A read value in the project's unit and shape, before its schema checks it. */
function canonicalValue(field: SentField, value: unknown, market: Market | undefined): unknown {
  if (field === 'mileage') return mileageInKm(value, market);
  // Wayke may add keys of its own to a document (an id, a type): keep the two we know.
  if (field === 'documents' && Array.isArray(value)) return (value as unknown[]).map(knownDocumentKeys);
  return value;
}

/** The read odometer in km: in the unit it states, else a bare number in the market's unit. */
function mileageInKm(value: unknown, market: Market | undefined): unknown {
  if (typeof value === 'number') return kmFrom(mileageUnitOf(market), value);
  const reading = value as OdometerReading | undefined;
  if (reading && typeof reading === 'object' && typeof reading.value === 'number')
    return kmFrom(reading.unit, reading.value);
  return value;
}

function knownDocumentKeys(doc: unknown): unknown {
  if (!doc || typeof doc !== 'object') return doc;
  const { url, name } = doc as Record<string, unknown>;
  return name === undefined || name === null ? { url } : { url, name };
}

/** Flattens Wayke's media list (`[{ fileUrls: [...] }, …]`, any `type` ignored) to urls in order; tolerant of junk. */
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
