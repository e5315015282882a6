import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSnapshotStore } from '../../../functions/adapters/dynamo-snapshot-store.js';
import { MemoryLog } from '../../../functions/adapters/logger.js';
import { DealerSchema } from '../../../functions/core/dealer-config.js';
import { classifyWaykeEvent, routeEvent } from '../../../functions/core/events/index.js';
import { DmsEventSchemas } from '../../../functions/core/events/envelope.js';
import { dealerIndex, makeIngestWebhook, OWN_CHANGE_WINDOW_MS } from '../../../functions/core/events/ingest-webhook.js';
import { fingerprint } from '../../../functions/core/import/fingerprint.js';
import type { CheckMarks, EventQueueMessage, SnapshotEntry } from '../../../functions/ports.js';
import { eventExamples } from '../../../scripts/event-examples.js';
import { startDynamo, TestClock, type Dynamo } from '../../support/engines.js';

const AD = '5f1c2b7e-0a4d-4c1e-9a57-3e2f1d9b8c01';
const SECRET = 'online-sale-webhook-secret';
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(`test/fixtures/wayke-online-sale/${name}.json`, 'utf8')) as Record<string, unknown>;
const update = (extra: Record<string, unknown> = {}) => ({
  id: AD,
  registrationNumber: 'KLM482',
  status: 'Published',
  ...extra,
});
const kindOf = (body: unknown) => {
  const classified = classifyWaykeEvent(body);
  if (!classified.ok) throw new Error(classified.reason);
  return routeEvent(classified.event);
};

describe('vehicle.reserved and vehicle.sold', () => {
  it('a vehicle update with the online sale’s reservation becomes vehicle.reserved', () => {
    expect(kindOf(fixture('vehicle-reserved'))).toBe('vehicle.reserved');
  });

  it('a vehicle update sold with the reservation still set becomes vehicle.sold', () => {
    expect(kindOf(fixture('vehicle-sold'))).toBe('vehicle.sold');
  });

  it('status Sold without the online sale (the dealer’s own removal) stays vehicle.updated', () => {
    expect(kindOf(update({ status: 'Sold' }))).toBe('vehicle.updated');
    expect(kindOf(update({ status: 'Sold', ecommerce: { enabled: true, reserved: false } }))).toBe('vehicle.updated');
  });

  it('a released reservation is a plain vehicle.updated', () => {
    expect(kindOf(update({ ecommerce: { enabled: true, reserved: false } }))).toBe('vehicle.updated');
  });

  it('an ecommerce object of the wrong shape is refused like any broken vehicle update', () => {
    expect(classifyWaykeEvent(update({ ecommerce: { reserved: 'yes' } })).ok).toBe(false);
  });

  it('the catalog examples of both kinds carry the car and validate against their schemas', () => {
    const examples = eventExamples();
    for (const kind of ['vehicle.reserved', 'vehicle.sold'] as const) {
      expect(DmsEventSchemas[kind].safeParse(examples[kind]).success, kind).toBe(true);
      expect(examples[kind].vehicle?.registrationNumber).toBe('KLM482');
    }
  });
});

describe('the webhook marks a car Wayke changed for the next import’s check', () => {
  let dynamo: Dynamo;
  let store: DynamoSnapshotStore;
  const clock = new TestClock();
  const dealerId = 'marks';
  const sent: EventQueueMessage[] = [];

  beforeAll(async () => {
    dynamo = await startDynamo();
    store = new DynamoSnapshotStore({ client: dynamo.client, tableName: await dynamo.table() });
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  const entry = (plate: string, lastSeen: Date): SnapshotEntry => {
    const print = fingerprint({ registrationNumber: plate, price: 100_000, mileage: 1000 });
    return {
      registrationNumber: plate,
      adId: AD,
      hash: print.hash,
      groups: print.groups,
      fields: print.fields,
      media: {},
      status: 'Published',
      lastSeen: lastSeen.toISOString(),
    };
  };

  const ingestWith = (checkMarks: CheckMarks) =>
    makeIngestWebhook({
      dealers: dealerIndex([
        DealerSchema.parse({ id: dealerId, name: 'Marks', branchId: AD, dms: { type: 'outbox' } }),
      ]),
      secrets: { getInboundAuth: async () => ({ webhookSecret: SECRET }) },
      queue: { send: async (message) => void sent.push(message) },
      clock,
      log: new MemoryLog(),
      checkMarks,
    });
  const post = (checkMarks: CheckMarks, body: unknown) =>
    ingestWith(checkMarks)({
      dealerId,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: Buffer.from(JSON.stringify(body)),
    });
  const checkOf = async (plate: string) => (await store.load(dealerId)).get(plate)?.check;

  it('an update for a car the import wrote long ago marks its entry, and is queued as before', async () => {
    await store.put(dealerId, [entry('KLM482', new Date(clock.now().getTime() - 10 * OWN_CHANGE_WINDOW_MS))]);
    const outcome = await post(store, update());
    expect(outcome).toMatchObject({ outcome: 'queued', kind: 'vehicle.updated' });
    expect(await checkOf('KLM482')).toBe(true);
  });

  it('an update right after the import wrote the entry (its own change) marks nothing', async () => {
    await store.put(dealerId, [entry('ABC123', clock.now())]);
    await post(store, update({ registrationNumber: 'ABC123' }));
    expect(await checkOf('ABC123')).toBeUndefined();
  });

  it('an online-sale update marks nothing (the import holds such a car anyway)', async () => {
    await store.put(dealerId, [entry('DEF456', new Date(0))]);
    const outcome = await post(store, update({ registrationNumber: 'DEF456', ecommerce: { reserved: true } }));
    expect(outcome).toMatchObject({ outcome: 'queued', kind: 'vehicle.reserved' });
    expect(await checkOf('DEF456')).toBeUndefined();
  });

  it('an update for a plate without an entry creates none', async () => {
    await post(store, update({ registrationNumber: 'NOPE12' }));
    expect((await store.load(dealerId)).has('NOPE12')).toBe(false);
  });

  it('a mark that cannot be written fails the call before anything is queued (Wayke retries it)', async () => {
    const before = sent.length;
    const down: CheckMarks = {
      markForCheck: async () => {
        throw new Error('table unavailable');
      },
    };
    await expect(post(down, update())).rejects.toThrow('table unavailable');
    expect(sent.length).toBe(before);
  });
});
