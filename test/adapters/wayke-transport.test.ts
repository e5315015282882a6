/**
 * The Wayke transport alone, against a scripted HTTP server on 127.0.0.1 (not the simulator): each
 * test decides the answers, so token refresh, the Retry-After cap and the branch limit are seen
 * without any endpoint or mapping code in the way.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WaykeAuthError, WaykeRetryableError } from '../../functions/adapters/wayke-errors.js';
import { WaykeTransport, type WaykeClientOptions } from '../../functions/adapters/wayke-transport.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

let server: Server;
let base: string;
let route: Route;
let tokenRequests: number;
let tokensIssued: string[];

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/connect/token') {
      tokenRequests += 1;
      const token = `token-${tokenRequests}`;
      tokensIssued.push(token);
      send(res, 200, { access_token: token, expires_in: 3600 });
      return;
    }
    void route(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  tokenRequests = 0;
  tokensIssued = [];
  route = (_req, res) => send(res, 200, { ok: true });
});

function transport(overrides: Partial<WaykeClientOptions> = {}): WaykeTransport {
  return new WaykeTransport({
    authUrl: base,
    dealerApiUrl: base,
    mediaApiUrl: base,
    clientId: 'transport-client',
    clientSecret: 'transport-secret',
    backoffBaseMs: 1,
    backoffMaxMs: 2,
    ...overrides,
  });
}

const get = (t: WaykeTransport, branchKey = 'branch-a') =>
  t.call({ operation: 'probe', method: 'GET', host: 'dealer', path: '/probe', branchKey, context: {} });

describe('WaykeTransport auth', () => {
  it('on a 401 refreshes the token once and retries with the new one', async () => {
    const seen: string[] = [];
    route = (req, res) => {
      seen.push(req.headers.authorization ?? '');
      if (req.headers.authorization === 'Bearer token-1') send(res, 401, { message: 'expired' });
      else send(res, 200, { ok: true });
    };
    const result = await get(transport());
    expect(result).toEqual({ status: 200, body: { ok: true } });
    expect(seen).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(tokenRequests).toBe(2);
  });

  it('a second 401 after the refresh is an auth error, not another refresh', async () => {
    let calls = 0;
    route = (_req, res) => {
      calls += 1;
      send(res, 401, { message: 'no access' });
    };
    await expect(get(transport())).rejects.toBeInstanceOf(WaykeAuthError);
    expect(calls).toBe(2);
    expect(tokenRequests).toBe(2);
  });
});

describe('WaykeTransport Retry-After', () => {
  it('fails as retryable at once when Retry-After is beyond the cap, naming the wait', async () => {
    let calls = 0;
    route = (_req, res) => {
      calls += 1;
      send(res, 429, { message: 'slow down' }, { 'retry-after': '31' });
    };
    const error = await get(transport({ retryAfterCapMs: 30_000 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaykeRetryableError);
    expect((error as WaykeRetryableError).retryAfterMs).toBe(31_000);
    expect((error as WaykeRetryableError).context).toMatchObject({ operation: 'probe', status: 429, attempts: 1 });
    expect(calls).toBe(1);
  });

  it('waits out a Retry-After within the cap and then succeeds', async () => {
    const at: number[] = [];
    route = (_req, res) => {
      at.push(Date.now());
      if (at.length === 1) send(res, 429, {}, { 'retry-after': '1' });
      else send(res, 200, { ok: true });
    };
    await expect(get(transport())).resolves.toMatchObject({ status: 200 });
    expect(at).toHaveLength(2);
    // Not before the instant the header named (whole seconds on the wire; allow the clock's rounding).
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(990);
  });
});

describe('WaykeTransport branch limit', () => {
  it('keeps at most maxConcurrency calls of one branch in flight; another branch is not held up', async () => {
    let inFlight = 0;
    let peak = 0;
    const held: Array<() => void> = [];
    route = (req, res) => {
      if (req.url === '/probe-other') {
        send(res, 200, { other: true });
        return;
      }
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      held.push(() => {
        inFlight -= 1;
        send(res, 200, { ok: true });
      });
    };
    const t = transport({ maxConcurrency: 2 });
    const calls = Array.from({ length: 5 }, () => get(t));
    // While branch-a's two slots are held, a call of branch-b still goes through.
    await expect(
      t.call({
        operation: 'probe',
        method: 'GET',
        host: 'dealer',
        path: '/probe-other',
        branchKey: 'branch-b',
        context: {},
      }),
    ).resolves.toMatchObject({ body: { other: true } });
    while (held.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(inFlight).toBe(2);
    let released = 0;
    while (released < 5) {
      const next = held.shift();
      if (next) {
        next();
        released += 1;
      } else await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(calls);
    expect(peak).toBe(2);
  });
});
