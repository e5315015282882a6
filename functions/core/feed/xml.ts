import { XMLParser, XMLValidator } from 'fast-xml-parser';
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
});

const UNSAFE = /<!(?:DOCTYPE|ENTITY)/i;

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Refuses DTDs and entity declarations before any parser sees the text (XXE, billion laughs). */
export function assertSafeXml(text: string): void {
  const match = UNSAFE.exec(text);
  if (match) {
    const line = text.slice(0, match.index).split('\n').length;
    throw new FeedError(
      'UNSAFE_XML',
      `The XML contains ${match[0].toUpperCase()} on line ${line}. Feeds must not declare a DTD or entities; remove the declaration (the predefined entities such as &amp; and numeric references such as &#228; work without it).`,
      { line },
    );
  }
}

function elementChildren(node: Node): string[] {
  return Object.keys(node).filter((key) => key !== '#text' && key !== '@');
}

/**
 * Finds the vehicle elements: the repeated children of the root. A root with one wrapper child
 * that holds the repeated elements (`<export><annonser><annons>…`) is looked through.
 */
function vehicleElements(document: Node, resolver: FieldResolver): Node[] {
  const roots = elementChildren(document);
  if (roots.length === 0) return [];
  let node: unknown = document[roots[0]!];
  for (let depth = 0; depth < 4; depth++) {
    if (!isNode(node)) return [];
    const children = elementChildren(node);
    if (children.length === 0) return [];
    // Group by element name; the vehicles are the most numerous.
    let best = children[0]!;
    let bestCount = 0;
    for (const name of children) {
      const value = node[name];
      const count = Array.isArray(value) ? value.length : 1;
      if (count > bestCount) {
        best = name;
        bestCount = count;
      }
    }
    const chosen = node[best];
    const list = (Array.isArray(chosen) ? chosen : [chosen]).filter(isNode);
    // One element only: it is the vehicle if its children look like fields, else a wrapper.
    if (bestCount === 1 && list.length === 1) {
      const only = list[0]!;
      const fieldLike = elementChildren(only).some((name) => resolver.resolve(name) !== null);
      const inner = elementChildren(only);
      if (!fieldLike && inner.length > 0) {
        node = only;
        continue;
      }
    }
    return (Array.isArray(chosen) ? chosen : [chosen]).map((item) => (isNode(item) ? item : { '#text': item }));
  }
  return [];
}

/** Reads XML: the repeated children of the root are vehicles, their children and attributes fields. */
export function readXml(text: string, resolver: FieldResolver): ParsedFeed {
  assertSafeXml(text);
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    const { line, msg } = validation.err;
    // The validator reports elements still open at the end as `Invalid '["a","b"]' found.` on line 1.
    const open = /^Invalid '\[(.*)\]' found\.?$/s.exec(msg);
    if (open) {
      const names = open[1]!.split(',').map((name) => `<${name.trim().replace(/^"|"$/g, '')}>`);
      const lastLine = text.trimEnd().split('\n').length;
      throw new FeedError(
        'MALFORMED_FEED',
        `The XML ends on line ${lastLine} before ${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} closed; the file looks cut off. Upload the complete export.`,
        { line: lastLine },
      );
    }
    throw new FeedError('MALFORMED_FEED', `The XML is not well-formed at line ${line}: ${msg}`, { line });
  }
  let document: Node;
  try {
    document = parser.parse(text) as Node;
  } catch (error) {
    throw new FeedError('MALFORMED_FEED', `The XML cannot be read: ${(error as Error).message}`, {}, { cause: error });
  }

  const seenFields = new Set<VehicleField>();
  const unused = new Set<string>();
  const seenNames = new Set<string>();
  const records: RawRecord[] = [];
  for (const element of vehicleElements(document, resolver)) {
    const record: RawRecord = {};
    const attributes = element['@'];
    const entries: Array<[string, unknown]> = Object.entries(element).filter(([key]) => key !== '@' && key !== '#text');
    if (isNode(attributes)) entries.push(...Object.entries(attributes));
    for (const [name, value] of entries) {
      seenNames.add(name);
      const target = resolver.resolve(name);
      if (!target) {
        unused.add(name);
        continue;
      }
      seenFields.add(target.field);
      if (!isBlank(value)) assign(record, target, value);
    }
    records.push(record);
  }
  return { records, seenFields, unusedNames: [...unused], presentNames: new Set([...seenNames].map(normaliseFieldName)) };
}
