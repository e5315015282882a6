import type { VehicleField } from '../vehicle.js';
import { FeedError } from './errors.js';
import { normaliseFieldName, type FieldResolver } from './fields.js';
import type { ParsedFeed, UnreadableRecord } from './parsed.js';
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

/**
 * The array of vehicles: the document itself, or the one array property of an object (looked
 * for one level down too: `{"data": {"vehicles": [...]}}`).
 */
function vehicleArray(document: unknown): unknown[] {
  if (Array.isArray(document)) return document;
  let node = document;
  for (let depth = 0; depth < 3 && isNode(node); depth++) {
    const arrays = Object.entries(node).filter(([, value]) => Array.isArray(value)) as Array<[string, unknown[]]>;
    const ofObjects = arrays.filter(([, value]) => value.length === 0 || value.some(isNode));
    const candidates = ofObjects.length > 0 ? ofObjects : arrays;
    if (candidates.length === 1) return candidates[0]![1];
    if (candidates.length > 1) {
      throw new FeedError(
        'MALFORMED_FEED',
        `The JSON object has several arrays (${candidates.map(([key]) => `"${key}"`).join(', ')}); the feed must be an array of vehicles or an object with one array of vehicles.`,
      );
    }
    const objects = Object.values(node).filter(isNode);
    if (objects.length !== 1) break;
    node = objects[0];
  }
  throw new FeedError('MALFORMED_FEED', 'The JSON holds no array of vehicles; the feed must be an array of vehicles or an object with one array property holding them, such as {"vehicles": [...]}.');
}

/** Reads JSON: an array of vehicle objects, or an object with one array property holding them. */
export function readJson(text: string, resolver: FieldResolver): ParsedFeed {
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
  const records: Array<RawRecord | UnreadableRecord> = [];
  for (const item of vehicleArray(document)) {
    if (!isNode(item)) {
      records.push({ unreadable: [{ field: 'row', message: `is ${Array.isArray(item) ? 'an array' : JSON.stringify(item)?.slice(0, 40) ?? 'empty'}, not a vehicle object` }] });
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
    records.push(record);
  }
  return { records, seenFields, unusedNames: [...unused], presentNames: new Set([...seenNames].map(normaliseFieldName)) };
}
