/**
 * Hand-written checks for the common valid field value and list item, the same rules as the
 * schemas in `vehicle.ts` (from the same functions and constants: `publicUrlProblem`,
 * `videoUrlProblem`, `cleanText`, `VALUE_BOUNDS`, the plate and VIN patterns), without zod's
 * per-call cost (~0.6 s on a 10,000-car feed). Each returns what the schema would output, or
 * `undefined` when it does not plainly accept the item — then zod decides and words the problem.
 * `test/core/feed/plain-items.test.ts` holds every check to its schema.
 */
import { publicUrlProblem } from '../public-url.js';
import {
  CONTACT_OPTIONS,
  MIN_MODEL_YEAR,
  REGISTRATION_NUMBER,
  VALUE_BOUNDS,
  VIN,
  cleanText,
  normaliseRegistrationNumber,
  normaliseVin,
  videoUrlProblem,
  type VehicleField,
} from '../vehicle.js';
import type { ListField } from './list-field.js';

type PlainCheck = (value: unknown) => unknown;

/** `httpUrl`: a string, trimmed, that is a public http(s) URL. */
function publicUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const url = value.trim();
  return publicUrlProblem(url) === null ? url : undefined;
}

/** `videoUrl`: a public URL that is also a link Wayke can embed. */
function videoUrl(value: unknown): string | undefined {
  const url = publicUrl(value);
  return url !== undefined && videoUrlProblem(url) === null ? url : undefined;
}

/** An equipment or package item: cleaned text that is not empty. */
function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = cleanText(value);
  return cleaned.length > 0 ? cleaned : undefined;
}

function contactOption(value: unknown): unknown {
  return (CONTACT_OPTIONS as readonly unknown[]).includes(value) ? value : undefined;
}

/** A document as `documentOf` builds it: `{ url }` or `{ url, name }` with a text name, nothing else. */
function documentItem(value: unknown): { url: string; name?: string } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { url, name, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return undefined;
  const checked = publicUrl(url);
  if (checked === undefined) return undefined;
  if (!('name' in value)) return { url: checked };
  return typeof name === 'string' ? { url: checked, name: cleanText(name) } : undefined;
}

export const PLAIN_ITEM: Record<ListField, PlainCheck> = {
  images: publicUrl,
  panorama: publicUrl,
  videos: videoUrl,
  equipment: text,
  manufacturerPackages: text,
  contactOptions: contactOption,
  documents: documentItem,
};

/** Whole kronor above 0 and at most `max` (zod's `int()` is a safe integer). */
const kronor =
  (max: number): PlainCheck =>
  (value) =>
    Number.isSafeInteger(value) && (value as number) > 0 && (value as number) <= max ? value : undefined;

const mileage: PlainCheck = (value) =>
  Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= VALUE_BOUNDS.mileageKm
    ? value
    : undefined;

/** At least the oldest model year; the newest depends on the day and is checked after either path. */
const modelYear: PlainCheck = (value) =>
  Number.isSafeInteger(value) && (value as number) >= MIN_MODEL_YEAR ? value : undefined;

/** A text normalised by `normalise` that then matches `pattern`. */
const patterned =
  (normalise: (raw: string) => string, pattern: RegExp): PlainCheck =>
  (value) => {
    if (typeof value !== 'string') return undefined;
    const normalised = normalise(value);
    return pattern.test(normalised) ? normalised : undefined;
  };

const boolean: PlainCheck = (value) => (typeof value === 'boolean' ? value : undefined);

/** The scalar fields' checks; a field without one always goes through its schema. */
export const PLAIN_SCALAR: Partial<Record<VehicleField, PlainCheck>> = {
  registrationNumber: patterned(normaliseRegistrationNumber, REGISTRATION_NUMBER),
  vin: patterned(normaliseVin, VIN),
  price: kronor(VALUE_BOUNDS.priceSek),
  campaignPrice: kronor(VALUE_BOUNDS.priceSek),
  oldPrice: kronor(VALUE_BOUNDS.priceSek),
  leasingPrice: kronor(VALUE_BOUNDS.leasingPriceSek),
  mileage,
  modelYear,
  shortDescription: text,
  description: text,
  carWarranty: text,
  externalId: text,
  deductibleVat: boolean,
  exchangeRight: boolean,
  servicePlanFollowed: boolean,
};
