import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRateLimiter } from '../../functions/adapters/dynamo-rate-limiter.js';
import { startDynamo, type Dynamo } from '../support/engines.js';
import { createDedupeTable } from '../support/webhooks.js';

let dynamo: Dynamo;
let table: string;
beforeAll(async () => {
  dynamo = await startDynamo();
  table = `rate-${process.pid}`;
  await createDedupeTable(dynamo.client, table);
});
afterAll(() => dynamo.stop());

const limit = { requestsPerSecond: 10, burst: 50 };

describe('DynamoRateLimiter (a token bucket on DynamoDB)', () => {
  it('allows the burst at once, then refuses with the seconds until a token is back', async () => {
    // Prepare
    let now = 1_000_000;
    const limiter = new DynamoRateLimiter({ client: dynamo.client, tableName: table, now: () => now });
    // Act
    const answers = [];
    for (let i = 0; i < 51; i++) answers.push(await limiter.take('dealer-a', limit));
    // Assess
    expect(answers.slice(0, 50).every((a) => a.allowed)).toBe(true);
    expect(answers[50]).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 100; // one token refills in 1/10 s
    expect(await limiter.take('dealer-a', limit)).toEqual({ allowed: true });
    expect((await limiter.take('dealer-a', limit)).allowed).toBe(false);
  });

  it('is shared by every instance (Lambda containers) and separate per key', async () => {
    const now = 5_000_000;
    const one = new DynamoRateLimiter({ client: dynamo.client, tableName: table, now: () => now });
    const two = new DynamoRateLimiter({ client: dynamo.client, tableName: table, now: () => now });
    const small = { requestsPerSecond: 1, burst: 2 };
    expect((await one.take('dealer-b', small)).allowed).toBe(true);
    expect((await two.take('dealer-b', small)).allowed).toBe(true);
    const refused = await one.take('dealer-b', small);
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect((await two.take('dealer-c', small)).allowed).toBe(true);
  });

  it('refuses the excess of concurrent requests, never granting more than the burst', async () => {
    const now = 9_000_000;
    const limiter = new DynamoRateLimiter({ client: dynamo.client, tableName: table, now: () => now });
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => limiter.take('dealer-d', { requestsPerSecond: 1, burst: 10 })),
    );
    expect(answers.filter((a) => a.allowed).length).toBeLessThanOrEqual(10);
    expect(answers.filter((a) => a.allowed).length).toBeGreaterThan(0);
  });
});
