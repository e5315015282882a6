import { XMLParser } from 'fast-xml-parser';
import type { VehicleField } from '../vehicle.js';
import { FeedError } from './errors.js';
import { normaliseFieldName, type FieldResolver } from './fields.js';
import type { ParsedFeed, RecordSink } from './parsed.js';
import { assign, type RawRecord } from './record.js';
import { isBlank } from './values.js';
import { lineAt, malformed, scan, type Span } from './xml-scan.js';

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
 * A parser that hands the big list elements (images, 360 frames, equipment, packages: two thirds of a
 * typical feed's tags) over as raw text, read by {@link listContent}: fast-xml-parser spends
 * most of its time per tag, and this more than halves it.
 */
function parserWithRawLists(names: readonly string[]): XMLParser {
  if (names.length === 0) return parser;
  return new XMLParser({ ...PARSER_OPTIONS, stopNodes: names.map((name) => `*.${name}`) });
}

/** Fields whose elements are read raw (see {@link parserWithRawLists}). */
const RAW_LIST_FIELDS = new Set<VehicleField>(['images', 'videos', 'panorama', 'equipment', 'manufacturerPackages']);

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

/**
 * Element names of the big list fields, from the first vehicles (a DMS writes every vehicle
 * alike), to be read raw (see {@link parserWithRawLists}).
 */
function rawListNamesOf(text: string, spans: readonly Span[], resolver: FieldResolver): Set<string> {
  const names = new Set<string>();
  for (const span of spans.slice(0, 5)) {
    for (const child of scan(text, span.contentStart, span.contentEnd, false)) {
      const target = resolver.resolve(child.name);
      if (target && RAW_LIST_FIELDS.has(target.field) && !child.name.includes(':')) names.add(child.name);
    }
  }
  return names;
}

/** The index of the last vehicle of the chunk that starts with `spans[first]`. */
function chunkLast(spans: readonly Span[], first: number): number {
  const start = spans[first]!.start;
  let last = first;
  while (last + 1 < spans.length && spans[last + 1]!.end - start <= CHUNK_CHARS) last++;
  return last;
}

/** The vehicle elements `spans[first..last]` (all named as the first), parsed in one call. */
function parseChunk(
  text: string,
  spans: readonly Span[],
  first: number,
  last: number,
  chunkParser: XMLParser,
): unknown[] {
  let chunk: Node;
  try {
    chunk = chunkParser.parse(`<r>${text.slice(spans[first]!.start, spans[last]!.end)}</r>`) as Node;
  } catch (error) {
    malformed(text, spans[first]!.start, (error as Error).message);
  }
  const parsed = (chunk.r as Node | undefined)?.[localName(spans[first]!.name)];
  return Array.isArray(parsed) ? parsed : [parsed];
}

/** Reads XML: the repeated children of the root are vehicles, their children and attributes fields. */
export function readXml(text: string, resolver: FieldResolver, sink: RecordSink): ParsedFeed {
  assertSafeXml(text);
  // One pass checks the whole document and yields the root's children.
  const spans = vehicleSpans(text, scan(text, 0, text.length, true, 1), resolver);
  const rawListNames = rawListNamesOf(text, spans, resolver);
  const chunkParser = parserWithRawLists([...rawListNames]);
  const fields = new XmlFields(resolver, rawListNames);
  for (let first = 0; first < spans.length; ) {
    const last = chunkLast(spans, first);
    for (const element of parseChunk(text, spans, first, last, chunkParser)) sink(fields.record(element));
    first = last + 1;
  }
  return fields.parsed();
}

/** Turns parsed vehicle elements into records, and remembers which names the file used. */
class XmlFields {
  private readonly seenFields = new Set<VehicleField>();
  private readonly seenNames = new Set<string>();
  private readonly unused = new Set<string>();

  constructor(
    private readonly resolver: FieldResolver,
    private readonly rawListNames: ReadonlySet<string>,
  ) {}

  /** A vehicle element's child elements and attributes as fields (its own text is no field). */
  record(element: unknown): RawRecord {
    const record: RawRecord = {};
    if (!isNode(element)) return record;
    for (const key in element) {
      if (key === '#text') continue;
      if (key === '@') this.attributes(record, element['@']);
      else this.collect(record, key, element[key]);
    }
    return record;
  }

  parsed(): ParsedFeed {
    return {
      seenFields: this.seenFields,
      unusedNames: [...this.unused],
      presentNames: new Set([...this.seenNames].map(normaliseFieldName)),
    };
  }

  private attributes(record: RawRecord, attributes: unknown): void {
    if (!isNode(attributes)) return;
    for (const attribute in attributes) this.collect(record, attribute, attributes[attribute]);
  }

  private collect(record: RawRecord, name: string, value: unknown): void {
    this.seenNames.add(name);
    const target = this.resolver.resolve(name);
    if (!target) {
      this.unused.add(name);
      return;
    }
    this.seenFields.add(target.field);
    const read = this.rawListNames.has(name) ? rawList(value) : value;
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
