/** The client's building blocks: backoff, Retry-After, token cache single flight, keyed limiter. */
import { describe, expect, it } from 'vitest';
import { KeyedConcurrencyLimiter } from '../../functions/adapters/wayke-concurrency.js';
import { fullJitterDelayMs, parseRetryAfterMs } from '../../functions/adapters/wayke-retry.js';
import { WaykeTokenCache } from '../../functions/adapters/wayke-token-cache.js';

describe('fullJitterDelayMs', () => {
  const options = { baseMs: 100, maxMs: 1000 };
  it('draws uniformly below base·2^(retry-1), capped', () => {
    expect(fullJitterDelayMs(1, options, () => 0)).toBe(0);
    expect(fullJitterDelayMs(1, options, () => 0.999)).toBe(99);
    expect(fullJitterDelayMs(3, options, () => 0.5)).toBe(200);
    expect(fullJitterDelayMs(10, options, () => 0.5)).toBe(500);
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-11-29T01:00:00Z');
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs(' 0 ', now)).toBe(0);
    expect(parseRetryAfterMs('Sun, 29 Nov 2026 01:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfterMs('Sun, 29 Nov 2026 00:59:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
    expect(parseRetryAfterMs('', now)).toBeUndefined();
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
  });
});

describe('WaykeTokenCache', () => {
  it('shares one fetch among concurrent callers and caches until the margin', async () => {
    let now = 0;
    const cache = new WaykeTokenCache({ refreshMarginMs: 60_000, clock: { now: () => new Date(now) } });
    let fetches = 0;
    const fetch = async () => {
      fetches += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { accessToken: `t${fetches}`, expiresInSeconds: 3600 };
    };
    const tokens = await Promise.all(Array.from({ length: 50 }, () => cache.get('k', fetch)));
    expect(new Set(tokens)).toEqual(new Set(['t1']));
    now = 3_539_999;
    expect(await cache.get('k', fetch)).toBe('t1');
    now = 3_540_000;
    expect(await cache.get('k', fetch)).toBe('t2');
    expect(fetches).toBe(2);
  });

  it('invalidates only the stale token, and a failed fetch is not cached', async () => {
    const cache = new WaykeTokenCache();
    let n = 0;
    const fetch = async () => ({ accessToken: `t${++n}`, expiresInSeconds: 3600 });
    expect(await cache.get('k', fetch)).toBe('t1');
    cache.invalidate('k', 't1');
    expect(await cache.get('k', fetch)).toBe('t2');
    cache.invalidate('k', 't1'); // late 401 for the old token: keeps t2
    expect(await cache.get('k', fetch)).toBe('t2');
    await expect(cache.get('other', async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('other', fetch)).toBe('t3');
  });

  it('keys by auth host, client id and secret without holding the secret', () => {
    const key = WaykeTokenCache.keyOf('https://auth', 'id', 'very-secret');
    expect(key).not.toContain('very-secret');
    expect(key).not.toBe(WaykeTokenCache.keyOf('https://auth', 'id', 'rotated'));
  });
});

describe('KeyedConcurrencyLimiter', () => {
  it('runs at most `limit` tasks per key, in arrival order, keys independent', async () => {
    const limiter = new KeyedConcurrencyLimiter(2);
    const order: string[] = [];
    let inA = 0;
    let maxA = 0;
    const gates: Array<() => void> = [];
    const task = (key: string, name: string) =>
      limiter.run(key, async () => {
        order.push(name);
        if (key === 'a') maxA = Math.max(maxA, ++inA);
        await new Promise<void>((resolve) => gates.push(resolve));
        if (key === 'a') inA -= 1;
      });
    const all = [task('a', 'a1'), task('a', 'a2'), task('a', 'a3'), task('b', 'b1')];
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(order).toEqual(['a1', 'a2', 'b1']);
    expect(limiter.running('a')).toBe(2);
    while (gates.length > 0) {
      gates.shift()!();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(all);
    expect(order).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(maxA).toBe(2);
    expect(limiter.running('a')).toBe(0);
  });

  it('releases the slot when a task throws', async () => {
    const limiter = new KeyedConcurrencyLimiter(1);
    await expect(limiter.run('k', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(limiter.run('k', async () => 1)).resolves.toBe(1);
  });
});
