import { XMLParser } from 'fast-xml-parser';
import type { VehicleField } from '../vehicle.js';
import { FeedError } from './errors.js';
import { FEED_LIMITS, tooComplex } from './limits.js';
import { normaliseFieldName, type FieldResolver } from './fields.js';
import type { ParsedFeed, RecordSink } from './parsed.js';
import { assign, type RawRecord } from './record.js';
import { isBlank } from './values.js';

/**
 * Parser settings: values stay strings (we coerce them, and `012345` must not become 12345);
 * attributes are kept under `@`; no DTD is ever read (the pre-check refuses one), so the only
 * entities are the five predefined ones, and numeric character references (`&#228;`) decode —
 * fast-xml-parser only decodes those when `htmlEntities` is set, and an empty map adds no names.
 */
const PARSER_OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: '',
  attributesGroupName: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: {} as unknown as boolean,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // `<bf:regnr>` is the field `regnr`, whatever namespace a DMS puts it in.
  removeNSPrefix: true,
  jPath: false,
} as const;

const parser = new XMLParser(PARSER_OPTIONS);

/**
 * A parser that hands the big list elements (images, equipment, packages: two thirds of a
 * typical feed's tags) over as raw text, read by {@link listContent}: fast-xml-parser spends
 * most of its time per tag, and this more than halves it.
 */
function parserWithRawLists(names: readonly string[]): XMLParser {
  if (names.length === 0) return parser;
  return new XMLParser({ ...PARSER_OPTIONS, stopNodes: names.map((name) => `*.${name}`) });
}

/** Fields whose elements are read raw (see {@link parserWithRawLists}). */
const RAW_LIST_FIELDS = new Set<VehicleField>(['images', 'equipment', 'manufacturerPackages']);

const XML_ENTITY = /&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(lt|gt|amp|apos|quot));/g;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

/** Decodes the five predefined entities and numeric references, nothing else (as the parser does). */
export function decodeXmlText(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(
    XML_ENTITY,
    (whole, hex: string | undefined, decimal: string | undefined, name: string | undefined) => {
      if (name) return PREDEFINED[name]!;
      const code = hex ? parseInt(hex, 16) : Number(decimal);
      const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
      return valid ? String.fromCodePoint(code) : whole;
    },
  );
}

/**
 * A copy of a short string cut from a chunk, so the vehicle keeps a few bytes instead of the
 * whole 64 KB chunk alive (V8 keeps substrings as views into their parent).
 */
const detach = (value: string): string => (value.length < 13 ? value : ` ${value}`.slice(1));

/**
 * Turns the raw content of a list element into what the parser would have made of it: text
 * (`a|b`), or `{ childName: [texts] }` for child elements of any name. Anything beyond plain
 * children with text — attributes, CDATA, deeper nesting, mixed text — goes through the parser.
 */
function listContent(raw: string): unknown {
  if (!raw.includes('<')) return decodeXmlText(raw.trim());
  const children: Record<string, string[]> = {};
  let cursor = 0;
  for (const child of scan(raw, 0, raw.length, false)) {
    const content = raw.slice(child.contentStart, child.contentEnd);
    const plainTag = child.contentStart - child.start === child.name.length + 2;
    if (
      !plainTag ||
      content.includes('<') ||
      raw.slice(cursor, child.start).trim() !== '' ||
      child.name.includes(':')
    ) {
      return (parser.parse(`<r>${raw}</r>`) as Node).r ?? '';
    }
    (children[child.name] ??= []).push(detach(decodeXmlText(content.trim())));
    cursor = child.end;
  }
  if (raw.slice(cursor).trim() !== '') return (parser.parse(`<r>${raw}</r>`) as Node).r ?? '';
  return children;
}

/**
 * Text handed to fast-xml-parser per call (whole vehicles, at least one). Small chunks keep its
 * object trees young garbage that dies before V8 promotes it: on a 10,000-vehicle feed, 250
 * vehicles per call peaked near 300 MB RSS, ~30 vehicles (≈ 64 KB) under 200 MB.
 */
const CHUNK_CHARS = 64 * 1024;

const UNSAFE = /<!(?:DOCTYPE|ENTITY)/gi;

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

const lineAt = (text: string, offset: number): number => {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
};

/** Refuses DTDs and entity declarations before any parser sees the text (XXE, billion laughs). */
export function assertSafeXml(text: string): void {
  UNSAFE.lastIndex = 0;
  for (let match = UNSAFE.exec(text); match; match = UNSAFE.exec(text)) {
    // Inside a comment or CDATA section it is text, not a declaration.
    if (enclosedBy(text, match.index, '<!--', '-->') || enclosedBy(text, match.index, '<![CDATA[', ']]>')) continue;
    const line = lineAt(text, match.index);
    throw new FeedError(
      'UNSAFE_XML',
      `The XML contains ${match[0].toUpperCase()} on line ${line}. Feeds must not declare a DTD or entities; remove the declaration (the predefined entities such as &amp; and numeric references such as &#228; work without it).`,
      { line },
    );
  }
}

/** Whether `at` lies inside the nearest `open … close` section before it. */
function enclosedBy(text: string, at: number, open: string, close: string): boolean {
  const start = text.lastIndexOf(open, at - 1);
  if (start === -1) return false;
  const end = text.indexOf(close, start + open.length);
  return end === -1 || end > at;
}

/** Attributes in the tag `[nameEnd, gt)`: counted only for long tags, which are rare. */
function assertAttributeLimit(text: string, nameEnd: number, gt: number): void {
  if (gt - nameEnd < FEED_LIMITS.attributes * 4) return;
  let count = 0;
  for (let i = text.indexOf('=', nameEnd); i !== -1 && i < gt; i = text.indexOf('=', i + 1)) {
    if (++count > FEED_LIMITS.attributes)
      throw tooComplex('attributes', `line ${lineAt(text, nameEnd)}`, lineAt(text, nameEnd));
  }
}

/** One element: where it starts (`<`) and ends (after `>`), and where its content lies. */
interface Span {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly contentStart: number;
  readonly contentEnd: number;
}

function malformed(text: string, offset: number, what: string): never {
  const line = lineAt(text, offset);
  throw new FeedError('MALFORMED_FEED', `The XML is not well-formed at line ${line}: ${what}.`, { line });
}

const snippet = (text: string, at: number): string => text.slice(at, at + 20).split('\n')[0]!;

/** True for a character that may start an XML name: a letter, `_`, `:` or anything non-ASCII. */
function isNameStart(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code === 58 || code > 127;
}

/** True for the characters that end a tag name: whitespace, `/`, `>`. */
function endsName(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 47 || code === 62;
}

/** The `>` that ends the tag starting at `lt`, skipping quoted attribute values; -1 if none. */
function tagEnd(text: string, lt: number, to: number): number {
  const gt = text.indexOf('>', lt);
  if (gt === -1 || gt >= to) return -1;
  // Fast path: no quotes and no stray `<` between here and the first `>`.
  let plain = true;
  for (let i = lt + 1; i < gt; i++) {
    const code = text.charCodeAt(i);
    if (code === 34 || code === 39 || code === 60) {
      plain = false;
      break;
    }
  }
  if (plain) return gt;
  let quote = 0;
  for (let i = lt + 1; i < to; i++) {
    const code = text.charCodeAt(i);
    if (quote !== 0) {
      if (code === quote) quote = 0;
      else if (code === 60) return -1;
    } else if (code === 34 || code === 39) quote = code;
    else if (code === 60) return -1;
    else if (code === 62) return i;
  }
  return -1;
}

/**
 * Checks that the markup in `[from, to)` nests properly (every element closed, by its own name,
 * nothing but blank space outside the top element when `document` is set) and returns the
 * elements at the top level of the range (`depth` 0) or one level below it (`depth` 1). This is
 * the well-formedness check: fast-xml-parser on its own accepts mismatched and missing closing
 * tags, which would let a cut-off feed through. Hand-written because it runs over every tag of
 * a feed that may hold a million of them.
 */
function scan(text: string, from: number, to: number, document: boolean, depth: 0 | 1 = 0): Span[] {
  const found: Span[] = [];
  const names: string[] = [];
  const starts: number[] = [];
  const contentStarts: number[] = [];
  const children: number[] = [];
  let roots = 0;
  let cursor = from;
  while (cursor < to) {
    let lt = text.indexOf('<', cursor);
    if (lt === -1 || lt >= to) lt = to;
    if (document && names.length === 0 && lt > cursor) {
      const blank = text.slice(cursor, lt).search(/\S/);
      if (blank !== -1)
        malformed(
          text,
          cursor + blank,
          roots > 0 ? 'text after the end of the root element' : 'text before the root element',
        );
    }
    if (lt === to) break;
    const next = text.charCodeAt(lt + 1);
    if (next === 33 /* ! */) {
      const terminator = text.startsWith('!--', lt + 1) ? '-->' : text.startsWith('![CDATA[', lt + 1) ? ']]>' : null;
      const close = terminator ? text.indexOf(terminator, lt + 4) : -1;
      if (close === -1 || close + 3 > to)
        malformed(
          text,
          lt,
          `"${snippet(text, lt)}" is not a valid tag, comment or CDATA section (a "<" in text must be written &lt;)`,
        );
      cursor = close + 3;
      continue;
    }
    if (next === 63 /* ? */) {
      const close = text.indexOf('?>', lt + 2);
      if (close === -1 || close + 2 > to)
        malformed(text, lt, `the processing instruction "${snippet(text, lt)}" is never closed`);
      cursor = close + 2;
      continue;
    }
    const closing = next === 47; /* / */
    const nameStart = closing ? lt + 2 : lt + 1;
    const gt = isNameStart(text.charCodeAt(nameStart)) ? tagEnd(text, lt, to) : -1;
    if (gt === -1)
      malformed(
        text,
        lt,
        `"${snippet(text, lt)}" is not a valid tag, comment or CDATA section (a "<" in text must be written &lt;)`,
      );
    let nameEnd = nameStart + 1;
    while (nameEnd < gt && !endsName(text.charCodeAt(nameEnd))) nameEnd++;
    cursor = gt + 1;
    if (closing) {
      if (text.slice(nameEnd, gt).trim() !== '')
        malformed(text, lt, `the closing tag "${snippet(text, lt)}" is not just </name>`);
      const open = names.pop();
      const name = text.slice(nameStart, nameEnd);
      if (open === undefined) malformed(text, lt, `</${name}> closes an element that was never opened`);
      if (open !== name)
        malformed(text, lt, `</${name}> closes <${open}>, opened on line ${lineAt(text, starts[starts.length - 1]!)}`);
      const start = starts.pop()!;
      const contentStart = contentStarts.pop()!;
      if (names.length === depth) found.push({ name, start, end: cursor, contentStart, contentEnd: lt });
      continue;
    }
    const name = text.slice(nameStart, nameEnd);
    assertAttributeLimit(text, nameEnd, gt);
    if (names.length > 0 && ++children[names.length - 1]! > FEED_LIMITS.items)
      throw tooComplex('items', `<${names[names.length - 1]}> on line ${lineAt(text, starts[starts.length - 1]!)}`);
    if (names.length === 0) {
      if (document && roots > 0)
        malformed(text, lt, `a second top-level element <${name}> (a feed has one root element)`);
      roots++;
    }
    if (text.charCodeAt(gt - 1) === 47 /* / */) {
      if (names.length === depth)
        found.push({ name, start: lt, end: cursor, contentStart: cursor, contentEnd: cursor });
      continue;
    }
    if (names.length >= FEED_LIMITS.depth)
      throw tooComplex('depth', `<${name}> on line ${lineAt(text, lt)}`, lineAt(text, lt));
    names.push(name);
    starts.push(lt);
    contentStarts.push(cursor);
    children[names.length - 1] = 0;
  }
  if (names.length > 0) {
    const lastLine = lineAt(text, text.trimEnd().length);
    throw new FeedError(
      'MALFORMED_FEED',
      `The XML ends on line ${lastLine} before ${names.map((name) => `<${name}>`).join(', ')} ${names.length > 1 ? 'are' : 'is'} closed; the file looks cut off. Upload the complete export.`,
      { line: lastLine },
    );
  }
  return found;
}

/** `bf:annons` → `annons` (fast-xml-parser drops the prefix too). */
const localName = (name: string): string => name.slice(name.indexOf(':') + 1);

/** The most numerous element name among siblings, with its elements in document order. */
function mostNumerous(spans: Span[]): Span[] {
  const counts = new Map<string, number>();
  let best = '';
  let bestCount = 0;
  for (const span of spans) {
    const count = (counts.get(span.name) ?? 0) + 1;
    counts.set(span.name, count);
    if (count > bestCount) {
      best = span.name;
      bestCount = count;
    }
  }
  return spans.filter((span) => span.name === best);
}

/**
 * Finds the vehicle elements: the repeated children of the root. When no child name repeats, a
 * child whose own children name fields is a single vehicle; otherwise the child holding the most
 * elements is a wrapper (`<export><info/><annonser><annons>…`) and is looked through.
 */
function vehicleSpans(text: string, rootChildren: Span[], resolver: FieldResolver): Span[] {
  let children = rootChildren;
  for (let depth = 0; depth < 4; depth++) {
    const vehicles = mostNumerous(children);
    if (vehicles.length !== 1) return vehicles;
    let inner: Span[] = [];
    for (const child of children) {
      const grandchildren = scan(text, child.contentStart, child.contentEnd, false);
      if (grandchildren.some((grandchild) => resolver.resolve(localName(grandchild.name)) !== null)) return [child];
      if (grandchildren.length > inner.length) inner = grandchildren;
    }
    if (inner.length === 0) return vehicles;
    children = inner;
  }
  return [];
}

/** Reads XML: the repeated children of the root are vehicles, their children and attributes fields. */
export function readXml(text: string, resolver: FieldResolver, sink: RecordSink): ParsedFeed {
  assertSafeXml(text);
  // One pass checks the whole document and yields the root's children.
  const spans = vehicleSpans(text, scan(text, 0, text.length, true, 1), resolver);

  // Element names of the big list fields, from the first vehicles (a DMS writes every vehicle alike).
  const rawListNames = new Set<string>();
  for (const span of spans.slice(0, 5)) {
    for (const child of scan(text, span.contentStart, span.contentEnd, false)) {
      const target = resolver.resolve(child.name);
      if (target && RAW_LIST_FIELDS.has(target.field) && !child.name.includes(':')) rawListNames.add(child.name);
    }
  }
  const chunkParser = parserWithRawLists([...rawListNames]);

  const seenFields = new Set<VehicleField>();
  const seenNames = new Set<string>();
  const unused = new Set<string>();
  for (let first = 0; first < spans.length; ) {
    let last = first;
    while (last + 1 < spans.length && spans[last + 1]!.end - spans[first]!.start <= CHUNK_CHARS) last++;
    const name = localName(spans[first]!.name);
    let chunk: Node;
    try {
      chunk = chunkParser.parse(`<r>${text.slice(spans[first]!.start, spans[last]!.end)}</r>`) as Node;
    } catch (error) {
      malformed(text, spans[first]!.start, (error as Error).message);
    }
    first = last + 1;
    const parsed = (chunk.r as Node | undefined)?.[name];
    const elements = Array.isArray(parsed) ? parsed : [parsed];
    for (const element of elements) {
      const record: RawRecord = {};
      if (isNode(element)) {
        for (const key in element) {
          if (key === '#text') continue;
          if (key === '@') {
            const attributes = element['@'];
            if (isNode(attributes))
              for (const attribute in attributes) collect(record, attribute, attributes[attribute]);
            continue;
          }
          collect(record, key, element[key]);
        }
      }
      sink(record);
    }
  }
  return { seenFields, unusedNames: [...unused], presentNames: new Set([...seenNames].map(normaliseFieldName)) };

  function collect(record: RawRecord, name: string, value: unknown): void {
    seenNames.add(name);
    const target = resolver.resolve(name);
    if (!target) {
      unused.add(name);
      return;
    }
    seenFields.add(target.field);
    const read = rawListNames.has(name) ? rawList(value) : value;
    if (!isBlank(read)) assign(record, target, read);
  }
}

/** A raw list element (a string, an array of them if repeated, or with attributes) read as the parser would. */
function rawList(value: unknown): unknown {
  if (typeof value === 'string') return listContent(value);
  if (Array.isArray(value)) return value.map(rawList);
  if (isNode(value) && typeof value['#text'] === 'string') {
    const content = listContent(value['#text']);
    return isNode(content)
      ? { ...content, ...(value['@'] ? { '@': value['@'] } : {}) }
      : { ...value, '#text': content };
  }
  return value;
}
