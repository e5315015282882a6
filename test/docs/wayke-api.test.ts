/**
 * `docs/wayke-api.md` names every Wayke name the mapping module uses, so the contract page cannot
 * fall behind the code: every string of the mapping's exported name tables (whatever tables are
 * added later), and every name and path of a full create body the mapping builds.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as mapping from '../../functions/adapters/wayke-mapping.js';
import { leaves } from '../../functions/local/contract-check/compare.js';
import { sampleVehicle } from '../../functions/local/contract-check/sample.js';

const doc = readFileSync(new URL('../../docs/wayke-api.md', import.meta.url), 'utf8');

/** The text of every code span and fenced block of the page: where a name is spelled. */
const spans: string[] = [
  ...[...doc.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1] as string),
  ...[...doc.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1] as string),
];
const tokens = new Set(spans.flatMap((span) => span.split(/[^A-Za-z0-9_]+/).filter(Boolean)));
const spelled = (path: string): boolean => spans.some((span) => span.includes(path));

/** Exports that list the project's own field names, not Wayke's. */
const PROJECT_NAME_TABLES = new Set(['FIELDS_NOT_SENT_TO_WAYKE']);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;

/** The strings of a name table: a string, an array of them, or a plain object's values (its keys are ours). */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (isPlainObject(value)) return Object.values(value).flatMap(stringsOf);
  return [];
}

const tableNames = Object.entries(mapping)
  .filter(([name]) => !PROJECT_NAME_TABLES.has(name))
  .flatMap(([name, value]) => stringsOf(value).map((wayke) => [name, wayke] as const));

/** Every key of a body, at any depth, inside arrays too (`fileUrls` of a media entry, `url` of a document). */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
}

const fullBody = mapping.toWaykeBody({
  branchId: 'branch',
  fields: sampleVehicle('ABC123'),
  status: 'Published',
  mediaUrls: ['https://media.example/1', 'https://media.example/2'],
  create: true,
});

describe('docs/wayke-api.md', () => {
  it('finds the mapping module name tables to check', () => {
    expect(tableNames.map(([table]) => table)).toEqual(
      expect.arrayContaining(['AD_STATUSES', 'WAYKE_FIELD_PATHS', 'WAYKE_DETAIL_NAMES']),
    );
  });

  it.each(tableNames)('names %s: `%s`', (_table, name) => {
    expect(tokens.has(name) || spelled(name)).toBe(true);
  });

  it.each(Object.values(mapping.WAYKE_FIELD_PATHS).map(([section, name]) => `${section}.${name}`))(
    'spells the field path `%s`',
    (path) => {
      expect(spelled(path)).toBe(true);
    },
  );

  it.each(leaves(fullBody).map(([path]) => path))('spells the body path `%s` of a full create body', (path) => {
    expect(spelled(path)).toBe(true);
  });

  it.each([...new Set(keysOf(fullBody))])('names the body key `%s`', (key) => {
    expect(tokens.has(key)).toBe(true);
  });
});
