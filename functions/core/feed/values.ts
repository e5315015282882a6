/**
 * Turning the text Swedish DMSs write into typed values: `189 900 kr`, `99 000:-`, `249 900,00`,
 * `ja`/`nej`, `|`-separated lists. Values arrive as CSV strings, XML nodes (strings, or objects
 * with `#text`, `@` attributes and child elements) or JSON values; these helpers accept all three.
 */

/** An XML element as fast-xml-parser gives it: text under `#text`, attributes under `@`. */
type Node = Record<string, unknown>;

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

/** True for what counts as "field absent": nothing, an empty or blank cell, an empty list or element. */
export function isBlank(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.every(isBlank);
  if (isNode(value)) {
    for (const key in value) {
      if (!isBlank(value[key])) return false;
    }
    return true;
  }
  return false;
}

const ATTRIBUTE_VALUE_KEYS = ['value', 'url', 'href', 'src', 'varde', 'namn', 'name'];

/** The single scalar a value holds (first non-blank of a repeated element), or undefined. */
export function scalarOf(value: unknown): string | number | boolean | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      if (!isBlank(item)) return scalarOf(item);
    }
    return undefined;
  }
  return isNode(value) ? scalarOfElement(value) : undefined;
}

/**
 * An element's scalar: its text, else a value-like attribute (or its only one), else the value
 * of the one child it wraps (`<paket><namn>Plus</namn></paket>` holds `Plus`).
 */
function scalarOfElement(node: Node): string | number | boolean | undefined {
  const text = node['#text'];
  if (typeof text === 'string' || typeof text === 'number') return text;
  const attribute = isNode(node['@']) ? attributeValue(node['@']) : undefined;
  if (attribute !== undefined) return attribute;
  const keys = Object.keys(node).filter((key) => key !== '@');
  return keys.length === 1 ? scalarOf(node[keys[0]!]) : undefined;
}

/** The attribute that holds an element's value: a value-like name first, else the only attribute. */
function attributeValue(attributes: Node): string | undefined {
  for (const key of ATTRIBUTE_VALUE_KEYS) {
    if (typeof attributes[key] === 'string') return attributes[key];
  }
  const values = Object.values(attributes);
  return values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
}

/** A short, printable rendering of a raw value for messages. */
export function show(value: unknown): string {
  const scalar = scalarOf(value);
  const text = scalar === undefined ? (JSON.stringify(value) ?? String(value)) : String(scalar);
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}…` : oneLine;
}

const SPACES = /[\s\u00a0\u2007\u2009\u202f']+/g;

/**
 * Parses a number the way Swedish DMSs write it: spaces (also non-breaking) as thousands
 * separators, `kr`/`SEK`/`:-`/`,-` around it, a decimal comma or point. Returns NaN if it is not
 * a number.
 */
export function parseSwedishNumber(raw: string): number {
  let text = raw.replace(SPACES, '');
  text = text.replace(/^(?:sek|kr\.?)/i, '').replace(/(?:kr\.?|sek|:-|,-|\.-|:|km|mil)$/i, '');
  if (/^[-+]?\d+$/.test(text)) return Number(text);
  let sign = 1;
  if (text.startsWith('-')) {
    sign = -1;
    text = text.slice(1);
  } else if (text.startsWith('+')) {
    text = text.slice(1);
  }
  // Thousands groups with a dot or comma and nothing after them: 189.900, 189,900, 1.234.567.
  if (/^\d{1,3}(?:\.\d{3})+$/.test(text) || /^\d{1,3}(?:,\d{3})+$/.test(text))
    return sign * Number(text.replace(/[.,]/g, ''));
  // 1.234,50 (Swedish/German) or 1,234.50 (English).
  if (/^\d{1,3}(?:\.\d{3})+,\d+$/.test(text)) return sign * Number(text.replace(/\./g, '').replace(',', '.'));
  if (/^\d{1,3}(?:,\d{3})+\.\d+$/.test(text)) return sign * Number(text.replace(/,/g, ''));
  if (/^\d*[.,]\d+$/.test(text) || /^\d+[.,]$/.test(text)) return sign * Number(text.replace(',', '.'));
  return NaN;
}

export type Coerced<T> = { ok: true; value: T } | { ok: false; message: string };

const fail = (message: string): Coerced<never> => ({ ok: false, message });

/** An amount in whole kronor; öre are dropped (`249 900,50` → 249900). */
export function toKronor(value: unknown): Coerced<number> {
  const scalar = scalarOf(value);
  if (typeof scalar === 'number')
    return Number.isFinite(scalar) ? { ok: true, value: Math.trunc(scalar) } : fail(`"${show(value)}" is not a number`);
  if (typeof scalar !== 'string') return fail(`"${show(value)}" is not an amount`);
  const number = parseSwedishNumber(scalar);
  if (Number.isNaN(number)) return fail(`"${show(value)}" is not an amount in kronor`);
  return { ok: true, value: Math.trunc(number) };
}

/**
 * A mileage in km. `unit` is the unit the column is written in; a value that says `mil` or `km`
 * itself overrides it (`4 410 mil`).
 */
export function toKilometres(value: unknown, unit: 'km' | 'mil'): Coerced<number> {
  const scalar = scalarOf(value);
  let number: number;
  let valueUnit = unit;
  if (typeof scalar === 'number') number = scalar;
  else if (typeof scalar === 'string') {
    const trimmed = scalar.trim().toLowerCase();
    if (trimmed.endsWith('mil')) valueUnit = 'mil';
    else if (trimmed.endsWith('km')) valueUnit = 'km';
    number = parseSwedishNumber(scalar);
  } else return fail(`"${show(value)}" is not a mileage`);
  if (!Number.isFinite(number)) return fail(`"${show(value)}" is not a number`);
  return { ok: true, value: Math.round(valueUnit === 'mil' ? number * 10 : number) };
}

/** A whole number such as a model year (`2019`, `2019.0`). */
export function toInteger(value: unknown): Coerced<number> {
  const scalar = scalarOf(value);
  const number = typeof scalar === 'number' ? scalar : typeof scalar === 'string' ? parseSwedishNumber(scalar) : NaN;
  if (!Number.isFinite(number)) return fail(`"${show(value)}" is not a number`);
  if (!Number.isInteger(number)) return fail(`"${show(value)}" is not a whole number`);
  return { ok: true, value: number };
}

const TRUE_WORDS = new Set(['ja', 'j', 'yes', 'y', 'true', 't', '1', 'x', 'sant']);
const FALSE_WORDS = new Set(['nej', 'n', 'no', 'false', 'f', '0', 'falskt']);

/** ja/nej, j/n, yes/no, y/n, true/false, 1/0, x (an empty cell is "absent", not false). */
export function toBoolean(value: unknown): Coerced<boolean> {
  const scalar = scalarOf(value);
  if (typeof scalar === 'boolean') return { ok: true, value: scalar };
  if (typeof scalar === 'number' && (scalar === 0 || scalar === 1)) return { ok: true, value: scalar === 1 };
  const word = typeof scalar === 'string' ? scalar.trim().toLowerCase() : undefined;
  if (word !== undefined && TRUE_WORDS.has(word)) return { ok: true, value: true };
  if (word !== undefined && FALSE_WORDS.has(word)) return { ok: true, value: false };
  return fail(`"${show(value)}" is not yes or no (use ja/nej, yes/no, true/false, 1/0 or x)`);
}

/** A text value; numbers and booleans are written as text. */
export function toText(value: unknown): Coerced<string> {
  const scalar = scalarOf(value);
  if (scalar === undefined) return fail(`"${show(value)}" is not a text`);
  return { ok: true, value: String(scalar) };
}

// Every pattern here runs on text from the file: none may backtrack over a run of characters
// (`\s*x\s*` or `[\s,]+(?=…)` split a 1 MB cell of spaces in quadratic time). Separators are
// split on plainly and the pieces trimmed.
const LIST_SEPARATOR = /\||\r\n?|\n/;
const URL_START = /https?:\/\//gi;

/** Splits on a separator pattern and trims; empty pieces are dropped. */
function splitTrimmed(text: string, separator: RegExp): string[] {
  const items: string[] = [];
  for (const piece of text.split(separator)) {
    const item = piece.trim();
    if (item !== '') items.push(item);
  }
  return items;
}

/** `text` without trailing characters from `chars` (a loop: a `[…]+$` pattern can backtrack). */
function trimEndOf(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text[end - 1]!)) end--;
  return text.slice(0, end);
}

const URL_TRAILER = ' \t\r\n\u00a0,;';

/**
 * Appends one by one: `push(...list)` passes every item as an argument and throws a RangeError
 * past ~100,000 of them (a vehicle with 150,000 images).
 */
function appendAll(target: unknown[], items: readonly unknown[]): void {
  for (const item of items) target.push(item);
}

/**
 * The items of a list field. A string is split on `|` and line breaks; an array gives its items
 * (each an XML child element or a JSON item, not split again); an XML element with child
 * elements gives the children in document order per name, whatever their name.
 */
export function itemsOf(value: unknown, keepObjects = false): unknown[] {
  if (typeof value === 'string') return splitTrimmed(value, LIST_SEPARATOR);
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (Array.isArray(value)) return itemsOfArray(value, keepObjects);
  if (isNode(value)) return itemsOfElement(value);
  return [];
}

function itemsOfArray(value: readonly unknown[], keepObjects: boolean): unknown[] {
  const items: unknown[] = [];
  for (const item of value) {
    if (isBlank(item)) continue;
    // A wrapper element in a list of wrappers is opened; a document object is an item itself.
    if (!keepObjects && isWrapper(item)) appendAll(items, itemsOf(item));
    else items.push(item);
  }
  return items;
}

/** An element with neither text nor attributes: only children, which are the items. */
const isWrapper = (item: unknown): item is Node => isNode(item) && !('#text' in item) && !('@' in item);

/** The non-blank children of an element in order per name; an element without children is its scalar split. */
function itemsOfElement(value: Node): unknown[] {
  const items: unknown[] = [];
  let children = false;
  for (const key in value) {
    if (key === '#text' || key === '@') continue;
    children = true;
    const child = value[key];
    if (Array.isArray(child)) {
      for (const item of child) if (!isBlank(item)) items.push(item);
    } else if (!isBlank(child)) items.push(child);
  }
  if (children) return items;
  const scalar = scalarOf(value);
  return scalar === undefined ? [] : itemsOf(String(scalar));
}

/**
 * Image URLs: list items, where one item holding several URLs (separated by commas or
 * whitespace, as some DMSs write them) is split before each `http(s)://`.
 */
export function imageUrlsOf(value: unknown): string[] {
  const urls: string[] = [];
  for (const item of itemsOf(value)) {
    const scalar = scalarOf(item);
    if (scalar === undefined) continue;
    const text = String(scalar).trim();
    const starts: number[] = [];
    URL_START.lastIndex = 0;
    for (let match = URL_START.exec(text); match; match = URL_START.exec(text)) starts.push(match.index);
    if (starts.length < 2) {
      if (text) urls.push(text);
      continue;
    }
    // Anything before the first URL is kept as an item of its own (and reported as no URL).
    const before = trimEndOf(text.slice(0, starts[0]), URL_TRAILER);
    if (before) urls.push(before);
    for (let i = 0; i < starts.length; i++) {
      const url = trimEndOf(text.slice(starts[i], starts[i + 1] ?? text.length), URL_TRAILER);
      if (url) urls.push(url);
    }
  }
  return urls;
}

const DOCUMENT_URL_KEYS = ['url', 'href', 'src', 'link', 'lank'];
const DOCUMENT_NAME_KEYS = ['name', 'namn', 'title', 'titel', 'rubrik', 'beskrivning', 'description'];

function pick(node: Node, keys: readonly string[]): string | undefined {
  const attributes = isNode(node['@']) ? node['@'] : {};
  for (const [name, candidate] of [...Object.entries(node), ...Object.entries(attributes)]) {
    if (!keys.includes(name.toLowerCase())) continue;
    const scalar = scalarOf(candidate);
    if (scalar !== undefined && String(scalar).trim() !== '') return String(scalar).trim();
  }
  return undefined;
}

/** One document: a URL, `Name https://…`, or an object/element with url and name. */
function documentOf(item: unknown): { url: string; name?: string } | { invalid: string } {
  if (isNode(item)) {
    const url = pick(item, DOCUMENT_URL_KEYS);
    if (!url) return { invalid: show(item) };
    const name =
      pick(item, DOCUMENT_NAME_KEYS) ??
      (typeof item['#text'] === 'string' && item['#text'] !== url ? item['#text'] : undefined);
    return name ? { url, name } : { url };
  }
  const scalar = scalarOf(item);
  if (scalar === undefined) return { invalid: show(item) };
  const text = String(scalar).trim();
  const at = text.search(/https?:\/\//i);
  if (at > 0) {
    const name = trimEndOf(text.slice(0, at), ' \t\r\n\u00a0:=–-').trim();
    return name ? { url: text.slice(at).trim(), name } : { url: text.slice(at).trim() };
  }
  return { url: text };
}

/** Documents as `{ url, name? }`; an element holding url/name children directly is one document. */
export function documentsOf(value: unknown): Array<{ url: string; name?: string } | { invalid: string }> {
  if (isNode(value) && pick(value, DOCUMENT_URL_KEYS) !== undefined) return [documentOf(value)];
  return itemsOf(value, true).map(documentOf);
}

const CONTACT_WORDS: Record<string, 'email' | 'callMe' | 'phone'> = {
  email: 'email',
  epost: 'email',
  mail: 'email',
  mejl: 'email',
  callme: 'callMe',
  ringupp: 'callMe',
  ringmig: 'callMe',
  uppringning: 'callMe',
  callback: 'callMe',
  phone: 'phone',
  telefon: 'phone',
  tel: 'phone',
  ring: 'phone',
};

/** `email`, `callMe`, `phone` and their Swedish words (`e-post`, `ring upp`, `telefon`). */
export function contactOptionOf(item: unknown): 'email' | 'callMe' | 'phone' | undefined {
  const scalar = scalarOf(item);
  if (scalar === undefined) return undefined;
  const key = String(scalar)
    .toLowerCase()
    .replace(/[^a-z]/g, '');
  // Own keys only: `constructor` or `toString` must not find Object.prototype's.
  return Object.hasOwn(CONTACT_WORDS, key) ? CONTACT_WORDS[key] : undefined;
}

/** List items for contact options also accept commas (`email, phone`). */
export function contactItemsOf(value: unknown): unknown[] {
  const items: unknown[] = [];
  for (const item of itemsOf(value)) {
    if (typeof item === 'string') appendAll(items, splitTrimmed(item, /[,;]/));
    else items.push(item);
  }
  return items;
}
