import type * as z from 'zod';
import { MANDATORY_FIELDS, VehicleFieldSchemas, maxModelYear, type Vehicle, type VehicleField } from '../vehicle.js';
import { redactUrl } from '../public-url.js';
import type { FieldTarget, MileageUnit } from './fields.js';
import { FEED_LIMITS } from './limits.js';
import {
  contactItemsOf,
  contactOptionOf,
  documentsOf,
  imageUrlsOf,
  itemsOf,
  scalarOf,
  show,
  toBoolean,
  toInteger,
  toKilometres,
  toKronor,
  toText,
  type Coerced,
} from './values.js';

/** A problem with one field of one record. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
  /** A stable name for problems with the row's structure rather than a field's value. */
  readonly code?: RowProblemCode;
  /** The message in Swedish, where one is written (the row-structure problems). */
  readonly messageSv?: string;
}

/**
 * - `RAGGED_ROW`: a CSV row with more or fewer cells than the header;
 * - `UNBALANCED_QUOTE`: a quoted CSV cell spanning lines shaped like rows of the feed;
 * - `TOO_MANY_ITEMS`: a list field with more items than one vehicle can have.
 */
export type RowProblemCode = 'RAGGED_ROW' | 'UNBALANCED_QUOTE' | 'TOO_MANY_ITEMS';

/** What one record contributed, field by field, before coercion. */
export interface RawSlot {
  value: unknown;
  rank: number;
  unit: MileageUnit | undefined;
}
export type RawRecord = Partial<Record<VehicleField, RawSlot>>;

/** Puts a non-blank value into its field unless a better-ranked column already filled it. */
export function assign(record: RawRecord, target: FieldTarget, value: unknown): void {
  const current = record[target.field];
  if (current && current.rank <= target.rank) return;
  record[target.field] = { value, rank: target.rank, unit: target.unit };
}

export type RecordOutcome =
  | { readonly ok: true; readonly vehicle: Vehicle; readonly warnings: FieldProblem[] }
  | { readonly ok: false; readonly registrationNumber?: string; readonly errors: FieldProblem[] };

const OPTIONAL_PRICES = new Set<VehicleField>(['campaignPrice', 'oldPrice', 'leasingPrice']);
const MANDATORY = new Set<VehicleField>(MANDATORY_FIELDS);
export type ListField =
  | 'images'
  | 'videos'
  | 'panorama'
  | 'equipment'
  | 'manufacturerPackages'
  | 'contactOptions'
  | 'documents';
const LIST_FIELDS = new Set<VehicleField>([
  'images',
  'videos',
  'panorama',
  'equipment',
  'manufacturerPackages',
  'contactOptions',
  'documents',
]);

/** zod's message for the first issue, without its path noise. */
function firstIssue(error: z.ZodError): string {
  return error.issues[0]?.message ?? 'is not valid';
}

/** Coerces a scalar field's raw value to the type its schema expects. */
function coerceScalar(field: VehicleField, slot: RawSlot): Coerced<unknown> {
  switch (field) {
    case 'price':
    case 'campaignPrice':
    case 'oldPrice':
    case 'leasingPrice':
      return toKronor(slot.value);
    case 'mileage':
      return toKilometres(slot.value, slot.unit ?? 'km');
    case 'modelYear':
      return toInteger(slot.value);
    case 'deductibleVat':
    case 'exchangeRight':
    case 'servicePlanFollowed':
      return toBoolean(slot.value);
    default:
      return toText(slot.value);
  }
}

/** Validates one scalar field; returns the value or the message for the dealer. */
function scalarField(field: VehicleField, slot: RawSlot, now: Date): Coerced<unknown> {
  const coerced = coerceScalar(field, slot);
  if (!coerced.ok) return coerced;
  const parsed = VehicleFieldSchemas[field].safeParse(coerced.value);
  if (!parsed.success) return { ok: false, message: `"${show(slot.value)}" ${firstIssue(parsed.error)}` };
  if (field === 'modelYear' && (parsed.data as number) > maxModelYear(now)) {
    return { ok: false, message: `"${show(slot.value)}" must be ${maxModelYear(now)} or earlier` };
  }
  return { ok: true, value: parsed.data };
}

/** The raw items of each list field, before validation. */
const LIST_ITEMS: Record<ListField, (value: unknown) => unknown[]> = {
  images: imageUrlsOf,
  videos: imageUrlsOf,
  panorama: imageUrlsOf,
  documents: documentsOf,
  contactOptions: contactItemsOf,
  equipment: textItemsOf,
  manufacturerPackages: textItemsOf,
};

function textItemsOf(value: unknown): unknown[] {
  return itemsOf(value).map((item) => scalarOf(item));
}

/** Items a list field keeps for validation, and the ones already left out (with why). */
interface ListItems {
  readonly values: unknown[];
  readonly dropped: string[];
}

/** Turns one raw item into what the field's schema validates, or names it as left out. */
type ItemReader = (candidate: unknown, items: ListItems) => void;

const contactItem: ItemReader = (candidate, { values, dropped }) => {
  const option = contactOptionOf(candidate);
  if (option === undefined) dropped.push(`"${show(candidate)}" (use email, callMe or phone)`);
  else if (!values.includes(option)) values.push(option);
};

const documentItem: ItemReader = (candidate, { values, dropped }) => {
  if (typeof candidate === 'object' && candidate !== null && 'invalid' in candidate)
    dropped.push(`"${(candidate as { invalid: string }).invalid}" (no URL)`);
  else values.push(candidate);
};

/** Images, equipment and packages are texts: their raw items are scalars already (see `LIST_ITEMS`). */
const textItem: ItemReader = (candidate, { values }) => {
  if (typeof candidate === 'string' || typeof candidate === 'number' || typeof candidate === 'boolean')
    values.push(String(candidate));
};

const ITEM_READERS: Record<ListField, ItemReader> = {
  contactOptions: contactItem,
  documents: documentItem,
  images: textItem,
  videos: textItem,
  panorama: textItem,
  equipment: textItem,
  manufacturerPackages: textItem,
};

/** How a dropped item is named: a document by its URL; URLs without their credentials. */
function shownItem(field: ListField, value: unknown): string {
  return redactUrl(show(field === 'documents' ? (value as { url: string }).url : value));
}

/**
 * The items the schema accepts. The whole list in one call first (the common case: every item
 * is fine); item by item only when something is wrong, to keep the good items and name the bad.
 */
function validItems(field: ListField, { values, dropped }: ListItems): unknown[] {
  const schema = VehicleFieldSchemas[field] as unknown as z.ZodArray<z.ZodType>;
  const whole = schema.safeParse(values);
  if (whole.success) return whole.data;
  const kept: unknown[] = [];
  for (const value of values) {
    const parsed = schema.element.safeParse(value);
    if (parsed.success) kept.push(parsed.data);
    else dropped.push(`"${shownItem(field, value)}" (${firstIssue(parsed.error)})`);
  }
  return kept;
}

/** The warning naming the items left out (the first five, and how many more). */
function droppedWarning(field: ListField, dropped: readonly string[]): FieldProblem {
  const shown = dropped.slice(0, 5).join(', ');
  const more = dropped.length > 5 ? ` and ${dropped.length - 5} more` : '';
  return {
    field,
    message: `left out ${dropped.length === 1 ? 'an item' : `${dropped.length} items`}: ${shown}${more}`,
  };
}

/** The `TOO_MANY_ITEMS` problem: one vehicle's list, not the file (the other vehicles are read as usual). */
function tooManyItems(field: ListField, count: number): FieldProblem {
  return {
    field,
    code: 'TOO_MANY_ITEMS',
    message: `has ${count} items; a vehicle may have at most ${FEED_LIMITS.listItems}`,
    messageSv: `har ${count} poster; ett fordon får ha högst ${FEED_LIMITS.listItems}`,
  };
}

/**
 * Validates a list field item by item: bad items are dropped (and named in a warning), good ones
 * kept in order — one broken image URL must not cost the ad its other nine pictures.
 */
export function listField(
  field: ListField,
  slot: RawSlot,
  warnings: FieldProblem[],
  errors: FieldProblem[],
): unknown[] | undefined {
  const candidates = LIST_ITEMS[field](slot.value);
  if (candidates.length > FEED_LIMITS.listItems) {
    errors.push(tooManyItems(field, candidates.length));
    return undefined;
  }
  const items: ListItems = { values: [], dropped: [] };
  const readItem = ITEM_READERS[field];
  for (const candidate of candidates) if (candidate !== undefined) readItem(candidate, items);
  const kept = validItems(field, items);
  if (items.dropped.length > 0) warnings.push(droppedWarning(field, items.dropped));
  return kept.length > 0 ? kept : undefined;
}

/**
 * Turns one record's raw fields into a vehicle. A missing or invalid mandatory field rejects the
 * record (every mandatory problem is listed); an invalid optional field is dropped with a warning.
 */
export function buildVehicle(record: RawRecord, now: Date): RecordOutcome {
  const errors: FieldProblem[] = [];
  const warnings: FieldProblem[] = [];
  const vehicle: Record<string, unknown> = {};
  let registrationNumber: string | undefined;

  for (const field of MANDATORY_FIELDS) {
    const slot = record[field];
    if (!slot) {
      errors.push({ field, message: 'is missing' });
      continue;
    }
    const result = scalarField(field, slot, now);
    if (result.ok) {
      vehicle[field] = result.value;
      if (field === 'registrationNumber') registrationNumber = result.value as string;
    } else errors.push({ field, message: result.message });
  }

  for (const field in record) {
    const key = field as VehicleField;
    if (MANDATORY.has(key)) continue;
    const slot = record[key]!;
    if (LIST_FIELDS.has(key)) {
      const items = listField(key as ListField, slot, warnings, errors);
      if (items) vehicle[key] = items;
      continue;
    }
    const result = scalarField(key, slot, now);
    if (result.ok) vehicle[key] = result.value;
    // DMSs write 0 in an optional price column to mean "none": absent, not worth a warning.
    else if (
      OPTIONAL_PRICES.has(key) &&
      coerceScalar(key, slot).ok &&
      (coerceScalar(key, slot) as { value: number }).value === 0
    )
      continue;
    else warnings.push({ field: key, message: `${result.message}; left out` });
  }

  if (errors.length > 0) return registrationNumber ? { ok: false, registrationNumber, errors } : { ok: false, errors };
  return { ok: true, vehicle: vehicle as Vehicle, warnings };
}
