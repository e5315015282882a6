/**
 * List fields of a record (images, videos, 360 frames, equipment, packages, contact options,
 * documents): split into items, each item checked on its own — a bad item is dropped with a
 * warning that names it and why, the good ones are kept in order.
 */
import type * as z from 'zod';
import { redactUrl } from '../public-url.js';
import { VehicleFieldSchemas, type VehicleField } from '../vehicle.js';
import { FEED_LIMITS } from './limits.js';
import { PLAIN_ITEM } from './plain-items.js';
import type { FieldProblem, RawSlot } from './record.js';
import { contactItemsOf, contactOptionOf, documentsOf, imageUrlsOf, itemsOf, scalarOf, show } from './values.js';

export type ListField =
  | 'images'
  | 'videos'
  | 'panorama'
  | 'equipment'
  | 'manufacturerPackages'
  | 'contactOptions'
  | 'documents';

const LIST_FIELD_NAMES = new Set<VehicleField>([
  'images',
  'videos',
  'panorama',
  'equipment',
  'manufacturerPackages',
  'contactOptions',
  'documents',
] satisfies ListField[]);

export const isListField = (field: VehicleField): field is ListField => LIST_FIELD_NAMES.has(field);

/** zod's message for the first issue, without its path noise. */
export function firstIssue(error: z.ZodError): string {
  return error.issues[0]?.message ?? 'is not valid';
}

function textItemsOf(value: unknown): unknown[] {
  return itemsOf(value).map((item) => scalarOf(item));
}

/** The raw items of each list field, before validation. Videos and frames are links, split like image links. */
const LIST_ITEMS: Record<ListField, (value: unknown) => unknown[]> = {
  images: imageUrlsOf,
  videos: imageUrlsOf,
  panorama: imageUrlsOf,
  documents: documentsOf,
  contactOptions: contactItemsOf,
  equipment: textItemsOf,
  manufacturerPackages: textItemsOf,
};

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

/** Links, equipment and packages are texts: their raw items are scalars already (see `LIST_ITEMS`). */
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
 * The items the schema accepts, in order. Each item is checked by hand first (`PLAIN_ITEM`, the
 * same rules as the schema: on a 10,000-car feed zod cost ~0.5 s for 300,000 list items); only an
 * item the plain check does not accept goes through zod, which keeps it or words why not.
 */
function validItems(field: ListField, { values, dropped }: ListItems): unknown[] {
  const plain = PLAIN_ITEM[field];
  const schema = (VehicleFieldSchemas[field] as unknown as z.ZodArray<z.ZodType>).element;
  const kept: unknown[] = [];
  // A plain loop: it runs for every list item of the feed.
  for (const value of values) {
    const checked = plain(value);
    if (checked !== undefined) {
      kept.push(checked);
      continue;
    }
    const parsed = schema.safeParse(value);
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
