/**
 * Validates delivered bodies against the published event catalog (`docs/events/*.schema.json`)
 * with a JSON Schema validator (Ajv, draft 2020-12, formats checked) — the files a DMS vendor
 * gets, not the zod schemas they were generated from.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';

const DIR = 'docs/events';

const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
ajv.addKeyword('x-version');

const validators = new Map(
  readdirSync(DIR)
    .filter((file) => file.endsWith('.schema.json'))
    .map((file) => [
      file.replace(/\.schema\.json$/, ''),
      ajv.compile(JSON.parse(readFileSync(`${DIR}/${file}`, 'utf8')) as object),
    ]),
);

/** The schema errors of one body (by its `type`), or `[]`. */
export function schemaErrors(body: string): string[] {
  const parsed = JSON.parse(body) as { type?: unknown };
  const validate = typeof parsed.type === 'string' ? validators.get(parsed.type) : undefined;
  if (!validate) return [`no schema for type ${String(parsed.type)}`];
  return validate(parsed)
    ? []
    : (validate.errors ?? []).map((error) => `${error.instancePath || '(root)'} ${error.message ?? ''}`);
}

/** Every delivered body matches the schema of its type (and there was at least one). */
export function expectValidDeliveries(deliveries: ReadonlyArray<{ readonly body: string }>): void {
  expect(deliveries.length).toBeGreaterThan(0);
  for (const delivery of deliveries) expect(schemaErrors(delivery.body), delivery.body.slice(0, 200)).toEqual([]);
}
