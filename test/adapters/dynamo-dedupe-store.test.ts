import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDedupeStore } from '../../functions/adapters/dynamo-dedupe-store.js';
import { DynamoDeliveryAttempts } from '../../functions/adapters/dynamo-delivery-attempts.js';
import { RetryableError } from '../../functions/core/errors.js';
import { createDedupeTable, dynamoClient, startLocalDynamo } from '../support/webhooks.js';

let server: { url: string; stop(): Promise<void> };
let client: DynamoDBClient;
let now = new Date('2026-10-01T00:00:00Z');
const clock = { now: () => now };
const id = (n: number) => n.toString(16).padStart(64, '0');

beforeAll(async () => {
  server = await startLocalDynamo();
  client = dynamoClient(server.url);
  await createDedupeTable(client, 'dedupe');
});
afterAll(async () => {
  client.destroy();
  await server.stop();
});

describe('DynamoDedupeStore (dynalite)', () => {
  it('records an accepted event once, with a TTL in days', async () => {
    const store = new DynamoDedupeStore({ client, tableName: 'dedupe', ttlDays: 3, clock });
    expect(await store.wasDelivered(id(1))).toBe(false);
    expect(await store.markDelivered(id(1), { dealerId: 'd1', type: 'vehicle.purchased' })).toBe(true);
    expect(await store.wasDelivered(id(1))).toBe(true);
    expect(await store.markDelivered(id(1), { dealerId: 'd1', type: 'vehicle.purchased' })).toBe(false);
    const item = await client.send(new GetItemCommand({ TableName: 'dedupe', Key: { pk: { S: `event#${id(1)}` } } }));
    expect(Number(item.Item?.expiresAt?.N)).toBe(now.getTime() / 1000 + 3 * 86_400);
    expect(item.Item?.dealerId?.S).toBe('d1');
  });

  it('racing writers: exactly one wins the conditional write', async () => {
    const store = new DynamoDedupeStore({ client, tableName: 'dedupe', clock });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => store.markDelivered(id(2), { dealerId: 'd1', type: 'x' })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('a record past its expiry no longer counts (TTL deletes lazily) and can be written again', async () => {
    const store = new DynamoDedupeStore({ client, tableName: 'dedupe', ttlDays: 1, clock });
    await store.markDelivered(id(3), { dealerId: 'd1', type: 'x' });
    now = new Date(now.getTime() + 86_400_000 + 1000);
    expect(await store.wasDelivered(id(3))).toBe(false);
    expect(await store.markDelivered(id(3), { dealerId: 'd1', type: 'x' })).toBe(true);
    expect(await store.wasDelivered(id(3))).toBe(true);
  });

  it('deliveredAmong: one answer for many ids (more than one page of 100), expired records excluded', async () => {
    const store = new DynamoDedupeStore({ client, tableName: 'dedupe', ttlDays: 1, clock });
    const ids = Array.from({ length: 150 }, (_, i) => id(1000 + i));
    for (const eventId of ids.filter((_, i) => i % 3 === 0))
      await store.markDelivered(eventId, { dealerId: 'd1', type: 'x' });
    const found = await store.deliveredAmong([...ids, ids[0]!]);
    expect([...found].sort()).toEqual(ids.filter((_, i) => i % 3 === 0).sort());
    expect(await store.deliveredAmong([])).toEqual(new Set());
    now = new Date(now.getTime() + 2 * 86_400_000);
    expect(await store.deliveredAmong(ids)).toEqual(new Set());
  });

  it('engine failures are retryable', async () => {
    const store = new DynamoDedupeStore({ client, tableName: 'no-such-table', clock });
    await expect(store.wasDelivered(id(4))).rejects.toBeInstanceOf(RetryableError);
    await expect(store.markDelivered(id(4), { dealerId: 'd1', type: 'x' })).rejects.toBeInstanceOf(RetryableError);
    await expect(store.deliveredAmong([id(4)])).rejects.toBeInstanceOf(RetryableError);
  });
});

describe('DynamoDeliveryAttempts (dynalite)', () => {
  it("counts one event's failures atomically, also when they race", async () => {
    const attempts = new DynamoDeliveryAttempts({ client, tableName: 'dedupe', clock });
    expect((await attempts.recordFailure(id(101), { dealerId: 'd1', endpoint: false })).failures).toBe(1);
    const raced = await Promise.all(
      Array.from({ length: 5 }, () => attempts.recordFailure(id(101), { dealerId: 'd1', endpoint: false })),
    );
    expect(raced.map((r) => r.failures).sort()).toEqual([2, 3, 4, 5, 6]);
    expect((await attempts.recordFailure(id(102), { dealerId: 'd1', endpoint: false })).failures).toBe(1);
  });

  it('keeps since when an endpoint fails until it succeeds once, per dealer', async () => {
    const attempts = new DynamoDeliveryAttempts({ client, tableName: 'dedupe', clock });
    const start = now;
    expect((await attempts.recordFailure(id(103), { dealerId: 'd2', endpoint: true })).endpointFailingSince).toEqual(
      start,
    );
    now = new Date(start.getTime() + 20 * 60_000);
    expect((await attempts.recordFailure(id(103), { dealerId: 'd2', endpoint: true })).endpointFailingSince).toEqual(
      start,
    );
    expect((await attempts.recordFailure(id(104), { dealerId: 'd3', endpoint: true })).endpointFailingSince).toEqual(
      now,
    );
    // A Wayke failure says nothing about the DMS endpoint.
    expect(
      (await attempts.recordFailure(id(105), { dealerId: 'd2', endpoint: false })).endpointFailingSince,
    ).toBeUndefined();
    await attempts.recordEndpointSuccess('d2');
    expect((await attempts.recordFailure(id(106), { dealerId: 'd2', endpoint: true })).endpointFailingSince).toEqual(
      now,
    );
  });

  it('a missing table is a retryable error, not a silent zero', async () => {
    const attempts = new DynamoDeliveryAttempts({ client, tableName: 'no-such-table', clock });
    await expect(attempts.recordFailure(id(107), { dealerId: 'd1', endpoint: true })).rejects.toBeInstanceOf(
      RetryableError,
    );
  });
});

describe('DynamoDedupeStore: the last delivery per subject (dynalite)', () => {
  it('is written with the event and read back; the newest wins; it expires with the TTL', async () => {
    const store = new DynamoDedupeStore({ client, tableName: 'dedupe', ttlDays: 1, clock });
    expect(await store.lastDelivery('d1:ad-1')).toBeNull();
    const first = { subject: 'd1:ad-1', eventId: id(110), bodyHash: 'a'.repeat(64), contentHash: 'b'.repeat(64) };
    await store.markDelivered(id(110), { dealerId: 'd1', type: 'vehicle.updated', last: first });
    expect(await store.lastDelivery('d1:ad-1')).toEqual(first);
    const second = { ...first, eventId: id(111), contentHash: 'c'.repeat(64) };
    await store.markDelivered(id(111), { dealerId: 'd1', type: 'vehicle.updated', last: second });
    expect(await store.lastDelivery('d1:ad-1')).toEqual(second);
    expect(await store.lastDelivery('d1:ad-2')).toBeNull();
    now = new Date(now.getTime() + 2 * 86_400_000);
    expect(await store.lastDelivery('d1:ad-1')).toBeNull();
  });
});
