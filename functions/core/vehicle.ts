import { thousands } from './format-number.js';
import * as z from 'zod';
import { publicUrlProblem } from './public-url.js';

/**
 * The canonical vehicle ad: what a dealer's feed row becomes after reading and validation, and
 * what the Wayke mapping turns into API bodies (and back). Mileage is always km inside the project.
 *
 * Each field has its own schema so the feed reader can validate field by field: a mandatory field
 * that fails rejects the row, an optional one that fails is dropped with a warning.
 */

/**
 * Spaces and hyphens removed, ASCII letters upper-cased: `abc 123`, `ABC-123` → `ABC123`. Only
 * ASCII: Unicode case mapping would turn `ABß12` into `ABSS12` and `ıAB12` into `IAB12`, plates
 * the dealer never wrote; such input stays as it is and fails the plate pattern.
 */
export function normaliseRegistrationNumber(raw: string): string {
  return raw.replace(/[\s\-\u00a0]+/g, '').replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}

/**
 * Control characters (`\p{Cc}`: C0, DEL and C1) other than tab and line feed, which `cleanText`
 * removes once CR and CRLF line endings have become LF.
 */
const CONTROL_BUT_TAB_OR_LF = /[^\P{Cc}\t\n]/u;
const CONTROLS_BUT_TAB_OR_LF = /[^\P{Cc}\t\n]/gu;

/** Removes C0/C1 control characters except line breaks and tabs, then trims. */
export function cleanText(raw: string): string {
  // Most text needs no cleaning: one test instead of two replaces (runs for every list item).
  if (!CONTROL_BUT_TAB_OR_LF.test(raw)) return raw.trim();
  return raw.replace(/\r\n?/g, '\n').replace(CONTROLS_BUT_TAB_OR_LF, '').trim();
}

/**
 * What a real car can have: no car sells for more than 100 million kronor or leases for more
 * than a million a month, and no odometer shows 5 million km (the record is under 5 million).
 * Beyond that a value is a typo or a unit mix-up (öre, mil for km), and the row is rejected
 * rather than advertised.
 */
export const VALUE_BOUNDS = {
  priceSek: 100_000_000,
  leasingPriceSek: 1_000_000,
  mileageKm: 5_000_000,
} as const;

const sek = (max: number) =>
  z
    .number()
    .int('must be whole kronor')
    .positive('must be greater than 0')
    .max(max, `must be at most ${thousands(max, ' ')} kr`);
const positiveSek = sek(VALUE_BOUNDS.priceSek);
const httpUrl = z
  .string()
  .trim()
  .superRefine((value, context) => {
    const problem = publicUrlProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });

/**
 * A video Wayke can embed: YouTube, Vimeo or a direct `.mp4` file (Wayke's embedded-media guide,
 * `Media/EmbeddedMedia.md` in `wayke-se/Documentation`). Wayke hosts no video; it keeps the link.
 */
export function videoUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be a URL';
  }
  const host = parsed.hostname.toLowerCase().replace(/^(www\.|m\.)/, '');
  if (host === 'youtube.com' || host === 'youtu.be' || host === 'vimeo.com' || host === 'player.vimeo.com') return null;
  if (/\.mp4$/i.test(parsed.pathname)) return null;
  return 'must be a YouTube or Vimeo link or an .mp4 file';
}
const videoUrl = httpUrl.superRefine((value, context) => {
  const problem = videoUrlProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

export const CONTACT_OPTIONS = ['email', 'callMe', 'phone'] as const;

/** Highest model year accepted: next year, as new models are sold the year before. */
export const maxModelYear = (now: Date): number => now.getUTCFullYear() + 1;

/** A registration number once normalised: 2–7 letters or digits. */
export const REGISTRATION_NUMBER = /^[A-Z0-9]{2,7}$/;
/** A VIN once normalised: 17 characters, never I, O or Q. */
export const VIN = /^[A-HJ-NPR-Z0-9]{17}$/;
/** The oldest model year accepted. */
export const MIN_MODEL_YEAR = 1900;

/** Whitespace removed, upper-cased: `yv1 zwa8u…` → `YV1ZWA8U…`. */
export const normaliseVin = (raw: string): string => raw.replace(/\s+/g, '').toUpperCase();

export const VehicleFieldSchemas = {
  registrationNumber: z
    .string()
    .transform(normaliseRegistrationNumber)
    .pipe(z.string().regex(REGISTRATION_NUMBER, 'must be 2–7 letters or digits')),
  price: positiveSek,
  mileage: z
    .number()
    .int('must be whole kilometres')
    .nonnegative('must be 0 or more')
    .max(
      VALUE_BOUNDS.mileageKm,
      `must be at most ${thousands(VALUE_BOUNDS.mileageKm, ',')} km (check the unit: mil or km)`,
    ),
  campaignPrice: positiveSek,
  oldPrice: positiveSek,
  leasingPrice: sek(VALUE_BOUNDS.leasingPriceSek),
  modelYear: z.number().int().min(MIN_MODEL_YEAR, `must be ${MIN_MODEL_YEAR} or later`),
  shortDescription: z.string().transform(cleanText).pipe(z.string().min(1, 'must not be empty')),
  description: z.string().transform(cleanText).pipe(z.string().min(1, 'must not be empty')),
  images: z.array(httpUrl),
  /** Video links, in the dealer's order; each becomes one embedded-video media item. */
  videos: z.array(videoUrl),
  /** The frames of one 360° (panorama) set, in order; together they become one panorama media item. */
  panorama: z.array(httpUrl),
  documents: z.array(z.object({ url: httpUrl, name: z.string().transform(cleanText).optional() }).strict()),
  equipment: z.array(z.string().transform(cleanText).pipe(z.string().min(1))),
  manufacturerPackages: z.array(z.string().transform(cleanText).pipe(z.string().min(1))),
  deductibleVat: z.boolean(),
  exchangeRight: z.boolean(),
  servicePlanFollowed: z.boolean(),
  carWarranty: z.string().transform(cleanText).pipe(z.string().min(1, 'must not be empty')),
  contactOptions: z.array(z.enum(CONTACT_OPTIONS)),
  vin: z.string().transform(normaliseVin).pipe(z.string().regex(VIN, 'must be 17 characters without I, O or Q')),
  externalId: z.string().transform(cleanText).pipe(z.string().min(1)),
} as const;

export type VehicleField = keyof typeof VehicleFieldSchemas;

export const MANDATORY_FIELDS = ['registrationNumber', 'price', 'mileage'] as const satisfies readonly VehicleField[];

export const VehicleSchema = z
  .object({
    registrationNumber: VehicleFieldSchemas.registrationNumber,
    price: VehicleFieldSchemas.price,
    mileage: VehicleFieldSchemas.mileage,
    campaignPrice: VehicleFieldSchemas.campaignPrice.optional(),
    oldPrice: VehicleFieldSchemas.oldPrice.optional(),
    leasingPrice: VehicleFieldSchemas.leasingPrice.optional(),
    modelYear: VehicleFieldSchemas.modelYear.optional(),
    shortDescription: VehicleFieldSchemas.shortDescription.optional(),
    description: VehicleFieldSchemas.description.optional(),
    images: VehicleFieldSchemas.images.optional(),
    videos: VehicleFieldSchemas.videos.optional(),
    panorama: VehicleFieldSchemas.panorama.optional(),
    documents: VehicleFieldSchemas.documents.optional(),
    equipment: VehicleFieldSchemas.equipment.optional(),
    manufacturerPackages: VehicleFieldSchemas.manufacturerPackages.optional(),
    deductibleVat: VehicleFieldSchemas.deductibleVat.optional(),
    exchangeRight: VehicleFieldSchemas.exchangeRight.optional(),
    servicePlanFollowed: VehicleFieldSchemas.servicePlanFollowed.optional(),
    carWarranty: VehicleFieldSchemas.carWarranty.optional(),
    contactOptions: VehicleFieldSchemas.contactOptions.optional(),
    vin: VehicleFieldSchemas.vin.optional(),
    externalId: VehicleFieldSchemas.externalId.optional(),
  })
  .strict();

/** A validated canonical vehicle ad. */
export type Vehicle = z.output<typeof VehicleSchema>;
