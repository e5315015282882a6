/**
 * The simulator's reading of the Wayke contract (`docs/wayke-api.md`), written independently of
 * the client's mapping module on purpose: if both encoded the same names from one table, a wrong
 * name would pass every test. Bodies are strict — an unknown field is a 400 naming it — so a
 * mapping typo shows up here rather than as silently ignored data in production.
 */
import * as z from 'zod';

export const SIM_AD_STATUSES = ['Published', 'Unpublished', 'Sold', 'Deleted'] as const;
export type SimAdStatus = (typeof SIM_AD_STATUSES)[number];

/** The markets Wayke serves; an ad's `marketCode` must be its branch's. */
export const SIM_MARKETS = ['SE', 'NO', 'FI'] as const;
export type SimMarket = (typeof SIM_MARKETS)[number];

/**
 * The unit the write-side `vehicle.mileage` is in, per market, and the name Wayke's read side gives
 * it in `vehicle.odometerReading.unit` (`Kilometer | ScandinavianMile`, as `wayke-se/components-react`
 * reads it): Sweden counts Scandinavian mil, Norway and Finland km.
 */
export const SIM_ODOMETER_UNIT: { readonly [M in SimMarket]: 'ScandinavianMile' | 'Kilometer' } = {
  SE: 'ScandinavianMile',
  NO: 'Kilometer',
  FI: 'Kilometer',
};

/** Where a read ad carries the odometer with its unit, beside the write-side `mileage`. */
export const ODOMETER_READING = 'odometerReading';

const int = z.number().int('must be an integer');
const positiveInt = int.positive('must be greater than 0');
const text = z.string().min(1, 'must not be empty');
const textList = z.array(z.string().min(1, 'must not be empty'));
const httpUrl = z.string().regex(/^https?:\/\/\S+$/i, 'must be an http(s) URL');

const vehicleSection = {
  registrationNumber: z.string().regex(/^[A-Za-z0-9ÅÄÖåäö]{2,7}$/, 'must be 2–7 letters or digits'),
  vin: z.string().regex(/^[A-HJ-NPR-Z0-9]{17}$/, 'must be 17 characters without I, O or Q'),
  mileage: int.nonnegative('must be 0 or more'),
  modelYear: int.min(1900, 'must be 1900 or later'),
  equipment: textList,
};

const MediaListSchema = z.array(z.object({ fileUrls: z.array(z.string()) }).strict());

const adSection = {
  price: positiveInt,
  campaignPrice: positiveInt,
  oldPrice: positiveInt,
  leasingPrice: positiveInt,
  shortDescription: text,
  description: text,
  manufacturerPackages: textList,
  deductibleVat: z.boolean(),
  contactOptions: z.array(z.enum(['email', 'callMe', 'phone'])),
  exchangeRight: z.boolean(),
  carWarranty: text,
  servicePlanFollowed: z.boolean(),
  documents: z.array(z.object({ url: httpUrl, name: z.string().optional() }).strict()),
  media: MediaListSchema,
};

/** Mandatory on create; may not be cleared (`null`) by a patch. */
export const MANDATORY_PATHS = ['branch', 'vehicle.registrationNumber', 'vehicle.mileage', 'ad.price'] as const;

type Shape = Record<string, z.ZodType>;
const optionalAll = (shape: Shape): Shape =>
  Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, s.optional()]));
const nullableAll = (shape: Shape, keep: readonly string[]): Shape =>
  Object.fromEntries(
    Object.entries(shape).map(([k, s]) => [k, keep.includes(k) ? s.optional() : s.nullable().optional()]),
  );

const marketCode = z.enum(SIM_MARKETS, `must be one of ${SIM_MARKETS.join(', ')}`);

export const CreateBodySchema = z
  .object({
    branch: text,
    marketCode: marketCode.optional(),
    status: z.enum(SIM_AD_STATUSES, 'must be one of Published, Unpublished, Sold, Deleted').optional(),
    vehicle: z.object(optionalAll(vehicleSection)).strict(),
    ad: z.object(optionalAll(adSection)).strict(),
  })
  .strict();

export const PatchBodySchema = z
  .object({
    branch: text.optional(),
    marketCode: marketCode.optional(),
    status: z.enum(SIM_AD_STATUSES, 'must be one of Published, Unpublished, Sold, Deleted').optional(),
    vehicle: z
      .object(nullableAll(vehicleSection, ['registrationNumber', 'mileage']))
      .strict()
      .optional(),
    ad: z
      .object(nullableAll(adSection, ['price']))
      .strict()
      .optional(),
  })
  .strict();

export type CreateBody = z.infer<typeof CreateBodySchema>;
export type PatchBody = z.infer<typeof PatchBodySchema>;

export const StatusBodySchema = z
  .object({ status: z.enum(SIM_AD_STATUSES, 'must be one of Published, Unpublished, Sold, Deleted') })
  .strict();
export const MediaBodySchema = z.object({ media: MediaListSchema }).strict();
export const ImageUrlBodySchema = z
  .object({
    url: httpUrl,
    branchId: text,
    purpose: z.literal('Vehicle', 'must be "Vehicle"').optional(),
    sortOrder: int.nonnegative('must be 0 or more').optional(),
  })
  .strict();

/** An embedded video is registered with the body of an image-URL upload (`Media/EmbeddedMedia.md`). */
export const EmbeddedVideoBodySchema = ImageUrlBodySchema;

/**
 * The simulator's reading of "YouTube, Vimeo and direct .mp4 URLs" (`Media/EmbeddedMedia.md`):
 * a youtube.com / youtu.be / vimeo.com host (or a subdomain), or a path ending in `.mp4`.
 */
export function isEmbeddableVideo(link: string): boolean {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return false;
  }
  const host = url.hostname.toLowerCase();
  const on = (domain: string) => host === domain || host.endsWith(`.${domain}`);
  return on('youtube.com') || on('youtu.be') || on('vimeo.com') || /\.mp4$/i.test(url.pathname);
}

/** One problem with a request body: a dotted field path (`ad.media[0].fileUrls[1]`) and why. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out || '(body)';
}

const valueAt = (body: object, path: string): unknown => {
  let value: unknown = body;
  for (const key of path.split('.'))
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
};

/** The mandatory paths absent (or null) in the body. */
const missing = (body: object, mandatory: readonly string[]): FieldProblem[] =>
  mandatory
    .filter((path) => {
      const value = valueAt(body, path);
      return value === undefined || value === null;
    })
    .map((path) => ({ field: path, message: 'is required' }));

/** Zod's issues as field problems; an unknown key is named by its own path. */
const problemsOf = (issues: readonly z.core.$ZodIssue[]): FieldProblem[] =>
  issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: fieldPath([...issue.path, key]), message: 'is not a known field' }))
      : [{ field: fieldPath(issue.path), message: issue.message }],
  );

/** Validates a body: mandatory presence first (so the message says "is required"), then types. */
export function check<S extends z.ZodType>(
  schema: S,
  body: unknown,
  mandatory: readonly string[] = [],
): { ok: true; value: z.output<S> } | { ok: false; problems: FieldProblem[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return { ok: false, problems: [{ field: '(body)', message: 'must be a JSON object' }] };
  const absent = missing(body, mandatory);
  if (absent.length > 0) return { ok: false, problems: absent };
  const parsed = schema.safeParse(body);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, problems: problemsOf(parsed.error.issues) };
}

/** `ABC 123`, `abc-123` → `ABC123`: how the simulator indexes plates. */
export const normalisePlate = (raw: string): string => raw.replace(/[\s\-\u00a0]+/g, '').toUpperCase();
