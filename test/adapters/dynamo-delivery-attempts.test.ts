import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDedupeStore } from '../../functions/adapters/dynamo-dedupe-store.js';
import { DynamoDeliveryAttempts } from '../../functions/adapters/dynamo-delivery-attempts.js';
import { RetryableError } from '../../functions/core/errors.js';
import { createDedupeTable, dynamoClient, startLocalDynamo } from '../webhooks/support.js';

let server: { url: string; stop(): Promise<void> };
let client: DynamoDBClient;
let now = new Date('2026-10-01T00:00:00Z');
const clock = { now: () => now };
const id = (n: number) => n.toString(16).padStart(64, '0');

beforeAll(async () => {
  server = await startLocalDynamo();
  client = dynamoClient(server.url);
  await createDedupeTable(client, 'attempts');
});
afterAll(async () => {
  client.destroy();
  await server.stop();
});

describe('DynamoDeliveryAttempts (dynalite)', () => {
  it("counts one event's failures atomically, also when they race", async () => {
    const attempts = new DynamoDeliveryAttempts({ client, tableName: 'attempts', clock });
    expect((await attempts.recordFailure(id(1), { dealerId: 'd1', endpoint: false })).failures).toBe(1);
    const raced = await Promise.all(Array.from({ length: 5 }, () => attempts.recordFailure(id(1), { dealerId: 'd1', endpoint: false })));
    expect(raced.map((r) => r.failures).sort()).toEqual([2, 3, 4, 5, 6]);
    expect((await attempts.recordFailure(id(2), { dealerId: 'd1', endpoint: false })).failures).toBe(1);
  });

  it('keeps since when an endpoint fails until it succeeds once, per dealer', async () => {
    const attempts = new DynamoDeliveryAttempts({ client, tableName: 'attempts', clock });
    const start = now;
    expect((await attempts.recordFailure(id(3), { dealerId: 'd2', endpoint: true })).endpointFailingSince).toEqual(start);
    now = new Date(start.getTime() + 20 * 60_000);
    expect((await attempts.recordFailure(id(3), { dealerId: 'd2', endpoint: true })).endpointFailingSince).toEqual(start);
    expect((await attempts.recordFailure(id(4), { dealerId: 'd3', endpoint: true })).endpointFailingSince).toEqual(now);
    // A Wayke failure says nothing about the DMS endpoint.
    expect((await attempts.recordFailure(id(5), { dealerId: 'd2', endpoint: false })).endpointFailingSince).toBeUndefined();
    await attempts.recordEndpointSuccess('d2');
    expect((await attempts.recordFailure(id(6), { dealerId: 'd2', endpoint: true })).endpointFailingSince).toEqual(now);
  });

  it('a missing table is a retryable error, not a silent zero', async () => {
    const attempts = new DynamoDeliveryAttempts({ client, tableName: 'no-such-table', clock });
    await expect(attempts.recordFailure(id(7), { dealerId: 'd1', endpoint: true })).rejects.toBeInstanceOf(RetryableError);
  });
});

describe('DynamoDedupeStore: the last delivery per subject (dynalite)', () => {
  it('is written with the event and read back; the newest wins; it expires with the TTL', async () => {
    const store = new DynamoDedupeStore({ client, tableName: 'attempts', ttlDays: 1, clock });
    expect(await store.lastDelivery('d1:ad-1')).toBeNull();
    const first = { subject: 'd1:ad-1', eventId: id(10), bodyHash: 'a'.repeat(64), contentHash: 'b'.repeat(64) };
    await store.markDelivered(id(10), { dealerId: 'd1', type: 'vehicle.updated', last: first });
    expect(await store.lastDelivery('d1:ad-1')).toEqual(first);
    const second = { ...first, eventId: id(11), contentHash: 'c'.repeat(64) };
    await store.markDelivered(id(11), { dealerId: 'd1', type: 'vehicle.updated', last: second });
    expect(await store.lastDelivery('d1:ad-1')).toEqual(second);
    expect(await store.lastDelivery('d1:ad-2')).toBeNull();
    now = new Date(now.getTime() + 2 * 86_400_000);
    expect(await store.lastDelivery('d1:ad-1')).toBeNull();
  });
});
