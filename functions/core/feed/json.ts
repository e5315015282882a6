import type { VehicleField } from '../vehicle.js';
import { FeedError } from './errors.js';
import { assertJsonShape } from './json-shape.js';
import { normaliseFieldName, type FieldResolver } from './fields.js';
import type { ParsedFeed, RecordSink } from './parsed.js';
import { assign, type RawRecord } from './record.js';
import { isBlank } from './values.js';

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Line and column of a character offset, for parse errors. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

const VEHICLE_LIST_NAMES = new Set([
  'vehicles',
  'vehicle',
  'fordon',
  'bilar',
  'annonser',
  'ads',
  'cars',
  'items',
  'stock',
  'lager',
]);

/**
 * The array of vehicles: the document itself, or the one array (of objects) among its
 * properties, looked for up to three levels down (`{"data": {"fordon": [...]}}`). With several
 * candidates, one named like a vehicle list (`vehicles`, `fordon`, `annonser` …) wins.
 */
function vehicleArray(document: unknown): unknown[] {
  if (Array.isArray(document)) return document;
  const found: Array<{ path: string; key: string; items: unknown[] }> = [];
  const visit = (node: Node, path: string, depth: number): void => {
    for (const [key, value] of Object.entries(node)) {
      if (Array.isArray(value)) {
        if (value.length === 0 || value.some(isNode)) found.push({ path: `${path}${key}`, key, items: value });
      } else if (isNode(value) && depth < 3) visit(value, `${path}${key}.`, depth + 1);
    }
  };
  if (isNode(document)) visit(document, '', 1);
  if (found.length === 1) return found[0]!.items;
  const named = found.filter(({ key }) => VEHICLE_LIST_NAMES.has(normaliseFieldName(key)));
  if (named.length === 1) return named[0]!.items;
  if (found.length > 1) {
    throw new FeedError(
      'MALFORMED_FEED',
      `The JSON has several arrays (${found.map(({ path }) => `"${path}"`).join(', ')}) and none is clearly the vehicles; the feed must be an array of vehicles or an object with one array property holding them, such as {"vehicles": [...]}.`,
    );
  }
  throw new FeedError(
    'MALFORMED_FEED',
    'The JSON holds no array of vehicles; the feed must be an array of vehicles or an object with one array property holding them, such as {"vehicles": [...]}.',
  );
}

/** Reads JSON: an array of vehicle objects, or an object with one array property holding them. */
export function readJson(text: string, resolver: FieldResolver, sink: RecordSink): ParsedFeed {
  assertJsonShape(text);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const where = position ? lineAndColumn(text, Number(position[1])) : null;
    throw new FeedError(
      'MALFORMED_FEED',
      `The JSON cannot be read${where ? ` at line ${where.line}, column ${where.column}` : ''}: ${message}`,
      where ? { line: where.line } : {},
      { cause: error },
    );
  }

  const seenFields = new Set<VehicleField>();
  const seenNames = new Set<string>();
  const unused = new Set<string>();
  for (const item of vehicleArray(document)) {
    if (!isNode(item)) {
      sink({
        unreadable: [
          {
            field: 'row',
            message: `is ${Array.isArray(item) ? 'an array' : (JSON.stringify(item)?.slice(0, 40) ?? 'empty')}, not a vehicle object`,
          },
        ],
      });
      continue;
    }
    const record: RawRecord = {};
    for (const name in item) {
      seenNames.add(name);
      const target = resolver.resolve(name);
      if (!target) {
        unused.add(name);
        continue;
      }
      seenFields.add(target.field);
      const value = item[name];
      if (!isBlank(value)) assign(record, target, value);
    }
    sink(record);
  }
  return { seenFields, unusedNames: [...unused], presentNames: new Set([...seenNames].map(normaliseFieldName)) };
}
