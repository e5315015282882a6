/**
 * Field-by-field comparison of what was sent to Wayke with what Wayke reads back, by Wayke's
 * name. The names come from the body the mapping built (`toWaykeBody`), not from a list here, so
 * a name the mapping adds or renames is checked without touching this file.
 */
import { isWaykeReadOnlyName, WAYKE_FIELD_PATHS } from '../../adapters/wayke-mapping.js';

/** One row of the check: one Wayke name in one step. */
export interface CheckRow {
  /** The step that sent it: `create`, `PUT media`, `status`, `PATCH null`, `video`. */
  readonly step: string;
  /** Wayke's name: a dotted path in the ad body (`ad.campaignPrice`), or what a step checks. */
  readonly name: string;
  /** The project's field name, when the name is one of the mapping's field paths. */
  readonly field?: string;
  readonly sent: unknown;
  /** False when the read ad has nothing under the name (`readBack` is then undefined). */
  readonly present: boolean;
  readonly readBack?: unknown;
  readonly ok: boolean;
  /** Why a row is not ok, or was not checked. */
  readonly note?: string;
  /** True when the step could not run against this Wayke (the row is then not ok either). */
  readonly skipped?: boolean;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** `ad.campaignPrice` → `campaignPrice`: the mapping's own table, inverted. */
const FIELD_BY_NAME: ReadonlyMap<string, string> = new Map(
  Object.entries(WAYKE_FIELD_PATHS).map(([field, [section, name]]) => [`${section}.${name}`, field]),
);

/** The canonical field of a Wayke name, if the mapping has one for it. */
export const fieldOfName = (name: string): string | undefined => FIELD_BY_NAME.get(name);

/** Every leaf of a body as `[dotted path, value]`; arrays are leaves (compared as a whole). */
export function leaves(body: unknown, prefix = ''): Array<[string, unknown]> {
  if (!isObject(body)) return prefix ? [[prefix, body]] : [];
  return Object.entries(body).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return isObject(value) ? leaves(value, path) : [[path, value] as [string, unknown]];
  });
}

/** The value at a dotted path, and whether anything is there. */
export function valueAt(body: unknown, path: string): { present: boolean; value?: unknown } {
  let value: unknown = body;
  for (const key of path.split('.')) {
    if (!isObject(value) || !Object.hasOwn(value, key)) return { present: false };
    value = value[key];
  }
  return value === null ? { present: false } : { present: true, value };
}

/**
 * Whether what was sent came back: equal primitives; arrays of the same length, item by item;
 * objects with every key that was sent (Wayke may add its own, e.g. an id on a document).
 */
export function roundTrips(sent: unknown, read: unknown): boolean {
  if (Array.isArray(sent))
    return Array.isArray(read) && read.length === sent.length && sent.every((item, i) => roundTrips(item, read[i]));
  if (isObject(sent))
    return isObject(read) && Object.entries(sent).every(([key, value]) => roundTrips(value, read[key]));
  return Object.is(sent, read);
}

/** One row per leaf of the sent body, compared with the same name in the read ad. */
export function compareBody(step: string, sent: unknown, read: unknown): CheckRow[] {
  return leaves(sent).map(([name, value]) => {
    const back = valueAt(read, name);
    const field = fieldOfName(name);
    const ok = back.present && roundTrips(value, back.value);
    return {
      step,
      name,
      ...(field ? { field } : {}),
      sent: value,
      present: back.present,
      ...(back.present ? { readBack: back.value } : {}),
      ok,
      ...(ok ? {} : { note: back.present ? 'read back differs' : 'not read back under this name' }),
    };
  });
}

const SECTIONS = ['vehicle', 'ad'] as const;

/**
 * Names in the read ad's sections that were not sent and are not read-only names Wayke adds: where
 * a field that did not come back under its assumed name may have gone.
 */
export function unsentNames(sent: unknown, read: unknown): string[] {
  const names: string[] = [];
  for (const section of SECTIONS) {
    const readSection = valueAt(read, section).value;
    if (!isObject(readSection)) continue;
    const sentSection = valueAt(sent, section).value;
    for (const key of Object.keys(readSection)) {
      const name = `${section}.${key}`;
      if (!isWaykeReadOnlyName(name) && !(isObject(sentSection) && Object.hasOwn(sentSection, key))) names.push(name);
    }
  }
  return names;
}
