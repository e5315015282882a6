import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DmsApiError,
  DmsApiFeedSource,
  DmsApiUnavailableError,
  jsonPath,
} from '../../functions/adapters/dms-api-feed-source.js';
import { MemoryLog } from '../../functions/adapters/logger.js';
import { readFeed } from '../../functions/core/feed/index.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;
let server: Server;
let base: string;
let handler: Handler = (_req, res) => res.end('[]');
const seen: Array<{ path: string; auth?: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    seen.push({
      path: `${url.pathname}${url.search}`,
      ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
    });
    handler(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const car = (n: number) => ({
  regnr: `ABC${String(n).padStart(3, '0')}`,
  pris: 100000 + n,
  miltal: 1000 + n,
  bilder: [`https://img.test/${n}.jpg`],
});
const json = (res: ServerResponse, body: unknown, status = 200) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const settings = (extra: Record<string, unknown>) => ({ url: `${base}/api/stock`, maxPages: 1000, ...extra });

describe('DmsApiFeedSource (node:http)', () => {
  it('follows next-page links, reads the list at listPath, sends the bearer token, and yields JSON the feed reader reads', async () => {
    seen.length = 0;
    handler = (_req, res, url) => {
      const page = Number(url.searchParams.get('cursor') ?? '1');
      json(res, {
        data: { vehicles: [car(page * 10), car(page * 10 + 1)] },
        links: { next: page < 3 ? `/api/stock?cursor=${page + 1}` : null },
      });
    };
    const log = new MemoryLog();
    const source = new DmsApiFeedSource({
      settings: settings({ listPath: 'data.vehicles', nextPath: 'links.next' }),
      token: async () => 'tok-secret',
      log,
    });
    const feed = await source.next('bilhallen');
    expect(seen.map((s) => s.path)).toEqual(['/api/stock', '/api/stock?cursor=2', '/api/stock?cursor=3']);
    expect(seen.every((s) => s.auth === 'Bearer tok-secret')).toBe(true);
    const read = readFeed(await feed!.load(1e9), { name: feed!.name, now: new Date('2026-11-29T00:00:00Z') });
    expect(read.error).toBeNull();
    expect(read.format).toBe('json');
    expect(read.vehicles.map((v) => v.vehicle.registrationNumber)).toEqual([
      'ABC010',
      'ABC011',
      'ABC020',
      'ABC021',
      'ABC030',
      'ABC031',
    ]);
    expect(read.vehicles[0]?.vehicle.mileage).toBe(10_100); // miltal is mil
    expect(log.text()).not.toContain('tok-secret');
    expect(await source.archived()).toBeNull();
    expect(await source.settle()).toBeNull();
  });

  it('walks page numbers until an empty page (or a page that repeats)', async () => {
    seen.length = 0;
    handler = (_req, res, url) => {
      const page = Number(url.searchParams.get('page'));
      json(res, page <= 2 ? [car(page)] : []);
    };
    const source = new DmsApiFeedSource({ settings: settings({ pageParam: 'page' }), token: async () => undefined });
    const feed = await source.next('d');
    expect(JSON.parse(Buffer.from(await feed!.load(1e9)).toString())).toEqual([car(1), car(2)]);
    expect(seen.map((s) => s.path)).toEqual(['/api/stock?page=1', '/api/stock?page=2', '/api/stock?page=3']);
    expect(seen[0]?.auth).toBeUndefined();

    seen.length = 0;
    handler = (_req, res) => json(res, [car(1)]); // ignores the parameter
    const same = await new DmsApiFeedSource({
      settings: settings({ pageParam: 'page' }),
      token: async () => undefined,
    }).next('d');
    expect(JSON.parse(Buffer.from(await same!.load(1e9)).toString())).toEqual([car(1)]);
    expect(seen).toHaveLength(2);
  });

  it('waits as long as a 429 Retry-After asks before asking again', async () => {
    const arrivals: number[] = [];
    handler = (_req, res) => {
      arrivals.push(Date.now());
      if (arrivals.length === 1) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end('{}');
      } else json(res, [car(7)]);
    };
    const feed = await new DmsApiFeedSource({ settings: settings({}), token: async () => 't', maxAttempts: 3 }).next(
      'd',
    );
    expect(feed?.size).toBeGreaterThan(0);
    expect(arrivals).toHaveLength(2);
    // Not a speed check: the second request must not come before the instant the DMS named.
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(950);
  });

  it('retries 5xx, then gives up as retryable; a 401 is permanent and not retried', async () => {
    seen.length = 0;
    let calls = 0;
    handler = (_req, res) => (++calls < 3 ? json(res, { error: 'busy' }, 503) : json(res, [car(1)]));
    const ok = await new DmsApiFeedSource({ settings: settings({}), token: async () => 't', maxAttempts: 3 }).next('d');
    expect(ok?.size).toBeGreaterThan(0);
    expect(calls).toBe(3);

    handler = (_req, res) => json(res, {}, 500);
    await expect(
      new DmsApiFeedSource({ settings: settings({}), token: async () => 't', maxAttempts: 2 }).next('d'),
    ).rejects.toBeInstanceOf(DmsApiUnavailableError);

    seen.length = 0;
    handler = (_req, res) => json(res, { error: 'nope' }, 401);
    const refused = new DmsApiFeedSource({ settings: settings({}), token: async () => 'wrong-token' }).next('d');
    await expect(refused).rejects.toBeInstanceOf(DmsApiError);
    await expect(refused).rejects.toThrow(/401.*dmsApiToken/);
    await expect(refused).rejects.not.toThrow(/wrong-token/);
    expect(seen).toHaveLength(1);
  });

  it('times out a page that never answers', async () => {
    handler = () => undefined; // never answers
    const source = new DmsApiFeedSource({
      settings: settings({}),
      token: async () => 't',
      timeoutMs: 100,
      maxAttempts: 1,
    });
    await expect(source.next('d')).rejects.toThrow(/did not answer within 100 ms/);
  });

  it('rejects an answer without a list, and flags a pull over the size limit', async () => {
    handler = (_req, res) => json(res, { data: {} });
    await expect(
      new DmsApiFeedSource({ settings: settings({ listPath: 'data.vehicles' }), token: async () => 't' }).next('d'),
    ).rejects.toThrow(/no vehicle list at "data.vehicles"/);
    handler = (_req, res) =>
      json(
        res,
        Array.from({ length: 50 }, (_, i) => car(i)),
      );
    const big = await new DmsApiFeedSource({ settings: settings({}), token: async () => 't', maxBytes: 500 }).next('d');
    expect(big!.size).toBeGreaterThan(500);
  });

  it('never sends the token to another origin: a next link elsewhere stops the pull with a clear error', async () => {
    // Prepare: a second server on another port (another origin) that records what it receives.
    const elsewhere: Array<string | undefined> = [];
    const other = createServer((req, res) => {
      elsewhere.push(req.headers.authorization);
      res.end('{"items":[]}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', () => resolve()));
    const otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    handler = (_req, res) => json(res, { items: [car(1)], next: `${otherBase}/steal` });
    try {
      // Act
      const pull = new DmsApiFeedSource({
        settings: settings({ listPath: 'items', nextPath: 'next' }),
        token: async () => 'tok-secret',
      }).next('d');
      // Assess
      await expect(pull).rejects.toThrow(DmsApiError);
      await expect(pull).rejects.toThrow(/links to http:\/\/127\.0\.0\.1:\d+, not the configured/);
      expect(elsewhere).toEqual([]);
    } finally {
      other.closeAllConnections();
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it('enforces the size while the answer streams: an endless body is cut off, not read whole', async () => {
    // Prepare: an answer without content-length that would go on for 64 MB.
    let written = 0;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      const chunk = `${JSON.stringify(car(1))},`.repeat(2000);
      const pump = (): void => {
        while (written < 64 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end('{}]');
      };
      pump();
    };
    // Act
    const feed = await new DmsApiFeedSource({
      settings: settings({}),
      token: async () => 't',
      maxBytes: 1024 * 1024,
    }).next('d');
    // Assess: refused as too large after about the limit, long before the end.
    await expect(feed!.load(1e9)).rejects.toThrow(/over/);
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('reads a page of 150,000 items (no spread of the list), and stops past the item limit', async () => {
    const items = Array.from({ length: 150_000 }, () => ({ regnr: 'X' }));
    handler = (_req, res) => json(res, { items });
    const feed = await new DmsApiFeedSource({
      settings: settings({ listPath: 'items' }),
      token: async () => 't',
      maxItems: 200_000,
    }).next('d');
    expect(JSON.parse(new TextDecoder().decode(await feed!.load(1e9)))).toHaveLength(150_000);
    await expect(
      new DmsApiFeedSource({
        settings: settings({ listPath: 'items' }),
        token: async () => 't',
        maxItems: 100_000,
      }).next('d'),
    ).rejects.toThrow(/more than 100000 vehicles/);
  });

  it('reads dotted paths', () => {
    expect(jsonPath({ a: { b: [{ c: 1 }] } }, 'a.b.0.c')).toBe(1);
    expect(jsonPath({ a: 1 }, 'a.b')).toBeUndefined();
  });
});
