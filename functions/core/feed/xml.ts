import { XMLParser } from 'fast-xml-parser';
import type { VehicleField } from '../vehicle.js';
import { FeedError } from './errors.js';
import { normaliseFieldName, type FieldResolver } from './fields.js';
import type { ParsedFeed } from './parsed.js';
import { assign, type RawRecord } from './record.js';
import { isBlank } from './values.js';

/**
 * Parser settings: values stay strings (we coerce them, and `012345` must not become 12345);
 * attributes are kept under `@`; no DTD is ever read (the pre-check refuses one), so the only
 * entities are the five predefined ones, and numeric character references (`&#228;`) decode —
 * fast-xml-parser only decodes those when `htmlEntities` is set, and an empty map adds no names.
 */
const parser = new XMLParser({
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
  jPath: false,
} as ConstructorParameters<typeof XMLParser>[0]);

/** Vehicles parsed per fast-xml-parser call: keeps the object tree of a 50 MB feed small. */
const VEHICLES_PER_CHUNK = 250;

const UNSAFE = /<!(?:DOCTYPE|ENTITY)/i;

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

const lineAt = (text: string, offset: number): number => {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
};

/** Refuses DTDs and entity declarations before any parser sees the text (XXE, billion laughs). */
export function assertSafeXml(text: string): void {
  const match = UNSAFE.exec(text);
  if (match) {
    const line = lineAt(text, match.index);
    throw new FeedError(
      'UNSAFE_XML',
      `The XML contains ${match[0].toUpperCase()} on line ${line}. Feeds must not declare a DTD or entities; remove the declaration (the predefined entities such as &amp; and numeric references such as &#228; work without it).`,
      { line },
    );
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

/**
 * Markup at a `<`: comment, CDATA, processing instruction, other `<!…>`, or a tag (group 1 `/`
 * for a closing tag, group 2 the name, group 3 the attributes, ending in `/` when self-closing).
 */
const MARKUP = /<(?:!--[\s\S]*?-->|!\[CDATA\[[\s\S]*?\]\]>|\?[\s\S]*?\?>|!\w[^>]*>|(\/?)([^\s/>!?"'=<]+)((?:[^>"'<]|"[^"<]*"|'[^'<]*')*)>)/y;

function malformed(text: string, offset: number, what: string): never {
  const line = lineAt(text, offset);
  throw new FeedError('MALFORMED_FEED', `The XML is not well-formed at line ${line}: ${what}.`, { line });
}

/**
 * Checks that the markup in `[from, to)` nests properly (every element closed, by its own name,
 * nothing but blank space outside the top element when `document` is set) and returns the
 * elements at the top level of the range. This is the well-formedness check: fast-xml-parser on
 * its own accepts mismatched and missing closing tags, which would let a cut-off feed through.
 */
function scan(text: string, from: number, to: number, document: boolean): Span[] {
  const top: Span[] = [];
  const names: string[] = [];
  const starts: number[] = [];
  const contentStarts: number[] = [];
  let cursor = from;
  while (cursor < to) {
    const lt = text.indexOf('<', cursor);
    const textEnd = lt === -1 || lt > to ? to : lt;
    if (document && names.length === 0 && textEnd > cursor && text.slice(cursor, textEnd).trim() !== '') {
      malformed(text, cursor + text.slice(cursor, textEnd).search(/\S/), top.length > 0 ? 'text after the end of the root element' : 'text before the root element');
    }
    if (textEnd === to) break;
    MARKUP.lastIndex = lt;
    const match = MARKUP.exec(text);
    if (!match || MARKUP.lastIndex > to) malformed(text, lt, `"${text.slice(lt, lt + 20).split('\n')[0]}" is not a valid tag, comment or CDATA section (a "<" in text must be written &lt;)`);
    cursor = MARKUP.lastIndex;
    const name = match[2];
    if (name === undefined) continue; // comment, CDATA, processing instruction
    const attributes = match[3]!;
    if (match[1] === '/') {
      if (attributes.trim() !== '') malformed(text, lt, `the closing tag </${name}> has attributes`);
      const open = names.pop();
      if (open === undefined) malformed(text, lt, `</${name}> closes an element that was never opened`);
      if (open !== name) malformed(text, lt, `</${name}> closes <${open}>, opened on line ${lineAt(text, starts[starts.length - 1]!)}`);
      const start = starts.pop()!;
      const contentStart = contentStarts.pop()!;
      if (names.length === 0) top.push({ name, start, end: cursor, contentStart, contentEnd: lt });
      continue;
    }
    if (document && names.length === 0 && top.length > 0) malformed(text, lt, `a second top-level element <${name}> after </${top[0]!.name}> (a feed has one root element)`);
    if (attributes.endsWith('/')) {
      if (names.length === 0) top.push({ name, start: lt, end: cursor, contentStart: cursor, contentEnd: cursor });
      continue;
    }
    names.push(name);
    starts.push(lt);
    contentStarts.push(cursor);
  }
  if (names.length > 0) {
    const lastLine = lineAt(text, text.trimEnd().length);
    throw new FeedError(
      'MALFORMED_FEED',
      `The XML ends on line ${lastLine} before ${names.map((name) => `<${name}>`).join(', ')} ${names.length > 1 ? 'are' : 'is'} closed; the file looks cut off. Upload the complete export.`,
      { line: lastLine },
    );
  }
  return top;
}

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
function vehicleSpans(text: string, root: Span, resolver: FieldResolver): Span[] {
  let parent = root;
  for (let depth = 0; depth < 4; depth++) {
    const children = scan(text, parent.contentStart, parent.contentEnd, false);
    const vehicles = mostNumerous(children);
    if (vehicles.length !== 1) return vehicles;
    let wrapper: Span | undefined;
    let wrapperSize = 0;
    for (const child of children) {
      const grandchildren = scan(text, child.contentStart, child.contentEnd, false);
      if (grandchildren.some((grandchild) => resolver.resolve(grandchild.name) !== null)) return [child];
      if (grandchildren.length > wrapperSize) {
        wrapper = child;
        wrapperSize = grandchildren.length;
      }
    }
    if (!wrapper) return vehicles;
    parent = wrapper;
  }
  return [];
}

/** Reads XML: the repeated children of the root are vehicles, their children and attributes fields. */
export function readXml(text: string, resolver: FieldResolver): ParsedFeed {
  assertSafeXml(text);
  const roots = scan(text, 0, text.length, true);
  const root = roots[0];
  const spans = root ? vehicleSpans(text, root, resolver) : [];

  const seenFields = new Set<VehicleField>();
  const seenNames = new Set<string>();
  const unused = new Set<string>();
  const records: RawRecord[] = [];
  for (let first = 0; first < spans.length; first += VEHICLES_PER_CHUNK) {
    const last = Math.min(first + VEHICLES_PER_CHUNK, spans.length) - 1;
    const name = spans[first]!.name;
    let chunk: Node;
    try {
      chunk = parser.parse(`<r>${text.slice(spans[first]!.start, spans[last]!.end)}</r>`) as Node;
    } catch (error) {
      malformed(text, spans[first]!.start, (error as Error).message);
    }
    const parsed = (chunk.r as Node | undefined)?.[name];
    const elements = Array.isArray(parsed) ? parsed : [parsed];
    for (const element of elements) {
      const record: RawRecord = {};
      if (isNode(element)) {
        for (const key in element) {
          if (key === '#text') continue;
          if (key === '@') {
            const attributes = element['@'];
            if (isNode(attributes)) for (const attribute in attributes) collect(record, attribute, attributes[attribute]);
            continue;
          }
          collect(record, key, element[key]);
        }
      }
      records.push(record);
    }
  }
  return { records, seenFields, unusedNames: [...unused], presentNames: new Set([...seenNames].map(normaliseFieldName)) };

  function collect(record: RawRecord, name: string, value: unknown): void {
    seenNames.add(name);
    const target = resolver.resolve(name);
    if (!target) {
      unused.add(name);
      return;
    }
    seenFields.add(target.field);
    if (!isBlank(value)) assign(record, target, value);
  }
}
