import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DMS_EVENT_KINDS } from '../../../functions/core/dealer-config.js';
import { EVENT_CATALOG_DIR, eventCatalogFiles } from '../../../functions/core/events/catalog.js';
import { DmsEventSchemas } from '../../../functions/core/events/envelope.js';
import { eventExamples } from '../../../scripts/event-examples.js';
import { schemaErrors } from '../../support/event-schemas.js';

describe('the event catalog (docs/events)', () => {
  it('is what the zod schemas generate: regenerate with `npm run events:catalog` when this fails', () => {
    // Prepare
    const generated = eventCatalogFiles(eventExamples());
    // Act
    const committed = new Map(
      readdirSync(EVENT_CATALOG_DIR).map((file) => [
        `${EVENT_CATALOG_DIR}/${file}`,
        readFileSync(`${EVENT_CATALOG_DIR}/${file}`, 'utf8'),
      ]),
    );
    // Assess
    expect([...committed.keys()].sort()).toEqual([...generated.keys()].sort());
    for (const [path, text] of generated) expect(committed.get(path), path).toBe(text);
  });

  it('has a schema and an example for every delivered type, and each example matches its schema (Ajv) and its zod schema', () => {
    const examples = eventExamples();
    for (const kind of DMS_EVENT_KINDS) {
      const example = readFileSync(`${EVENT_CATALOG_DIR}/${kind}.example.json`, 'utf8');
      expect(schemaErrors(example), kind).toEqual([]);
      expect(DmsEventSchemas[kind].safeParse(examples[kind]).success, kind).toBe(true);
    }
  });

  it('the purchase example carries what a DMS needs to create the car', () => {
    const purchase = JSON.parse(readFileSync(`${EVENT_CATALOG_DIR}/vehicle.purchased.example.json`, 'utf8'));
    expect(purchase).toMatchObject({
      type: 'vehicle.purchased',
      waykeId: expect.any(String),
      registrationNumber: 'KLM482',
    });
    expect(purchase.vehicle).toMatchObject({
      make: 'Volvo',
      model: 'V90',
      vin: 'YV1ZWA8UDL2123456',
      mileageKm: 43100,
      status: 'Published',
    });
    expect(purchase.vehicle.images.length).toBeGreaterThan(0);
  });

  it.each([
    [
      'mileage in an unnamed unit',
      (body: Record<string, any>) => ({ ...body, vehicle: { ...body.vehicle, mileage: 4310 } }),
    ],
    ['no id', ({ id: _id, ...body }: Record<string, any>) => body],
    ['a plate that is not normalised', (body: Record<string, any>) => ({ ...body, registrationNumber: 'klm 482' })],
    ['a vehicle on an order', (body: Record<string, any>) => ({ ...body, type: 'order.created' })],
    ['an unknown type', (body: Record<string, any>) => ({ ...body, type: 'vehicle.exploded' })],
  ])('a body with %s breaks the schema', (_name, change) => {
    const purchase = JSON.parse(readFileSync(`${EVENT_CATALOG_DIR}/vehicle.purchased.example.json`, 'utf8'));
    expect(schemaErrors(JSON.stringify(change(purchase)))).not.toEqual([]);
  });
});
