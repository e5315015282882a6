/**
 * The Wayke client against the Wayke simulator over real HTTP on 127.0.0.1 — no fetch mocking.
 * Faults are set per test through the simulator's deterministic counters (`throttleNext`, …) or
 * rates restricted to one route, so each test is repeatable.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLog } from '../../functions/adapters/logger.js';
import {
  createWaykeClientFactory,
  type MediaDownloadSettings,
  type WaykeClientOptions,
} from '../../functions/adapters/wayke-http-client.js';
import {
  WaykeAuthError,
  WaykeNotFoundError,
  WaykeRetryableError,
  WaykeValidationError,
} from '../../functions/adapters/wayke-errors.js';
import { startWaykeSimulator, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import type { Vehicle } from '../../functions/core/vehicle.js';
import type { WaykeApi } from '../../functions/ports.js';
import { RejectedError } from '../../functions/core/errors.js';
import { sampleVehicle } from '../../functions/local/contract-check/sample.js';
import { BRANCH } from '../support/import-harness.js';
import { startMediaHost } from '../support/media-host.js';
import { NO_FAULTS, OTHER_BRANCH, publishAd, simulatorWaykeClient } from '../support/simulator-client.js';

const CLIENT_ID = 'dealer-client-7f3a9c';
const CLIENT_SECRET = 'S3cr&t=with+special/chars%xyz';
const ROUTE = {
  token: 'POST /connect/token',
  create: 'POST /vehicle',
  patch: 'PATCH /vehicle/{id}',
  get: 'GET /vehicle/{id}/ad',
  find: 'GET /vehicle/{branchId}/vehicle/by-registration-number/{registrationNumber}',
  status: 'PUT /vehicle/{id}/ad/status',
  media: 'PUT /vehicle/{id}/media',
  imageUrl: 'POST /media/v2/image-url',
  image: 'POST /media/v2/image',
};

let sim: WaykeSimulator;
let log: MemoryLog;
let plateNo = 100;

const nextPlate = (): string => `WDM${plateNo++}`;
/** A vehicle with every field the client sends set, under a plate of its own. */
const vehicle = (): Vehicle => sampleVehicle(nextPlate());

const calls = (route: string): number => sim.state().calls[route] ?? 0;

/** The client under test, on the simulator with this file's credentials and a short backoff. */
function client(overrides: Partial<WaykeClientOptions & MediaDownloadSettings> = {}): WaykeApi {
  const settings = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, log, backoffBaseMs: 5, backoffMaxMs: 20 };
  return simulatorWaykeClient(sim, { ...settings, ...overrides });
}

beforeAll(async () => {
  sim = await startWaykeSimulator({ clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }] });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  sim.setFaults(NO_FAULTS);
  log = new MemoryLog();
});

describe('every call', () => {
  it('uploads images, creates, reads, finds, patches, sets status and media', async () => {
    const wayke = client();
    const byUrl = await wayke.uploadImageByUrl({
      branchId: BRANCH,
      url: 'https://dealer.example/img/1.jpg',
      sortOrder: 0,
    });
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const byBytes = await wayke.uploadImageBytes({
      branchId: BRANCH,
      bytes,
      fileName: 'front.jpg',
      contentType: 'image/jpeg',
      sortOrder: 1,
    });
    expect(byUrl.url.startsWith(sim.mediaApiUrl)).toBe(true);
    expect(byBytes.url.startsWith(sim.mediaApiUrl)).toBe(true);
    const media = sim.state().media;
    expect(media[byUrl.mediaId]).toMatchObject({
      sourceUrl: 'https://dealer.example/img/1.jpg',
      branchId: BRANCH,
      sortOrder: 0,
    });
    expect(media[byBytes.mediaId]).toMatchObject({
      fileName: 'front.jpg',
      contentType: 'image/jpeg',
      size: bytes.length,
      sortOrder: 1,
    });
    // The stored bytes are served back.
    expect(new Uint8Array(await (await fetch(byBytes.url)).arrayBuffer())).toEqual(bytes);

    const car = vehicle();
    const id = await publishAd(wayke, car, { mediaUrls: [byUrl.url] });
    const stored = sim.state().ads[id]!;
    expect(stored.branch).toBe(BRANCH);
    expect(stored.vehicle.mileage).toBe(4115); // km → mil on the wire

    const read = await wayke.getAd(id);
    expect(read).toEqual({
      id,
      branchId: BRANCH,
      status: 'Published',
      vehicle: car,
      mediaUrls: [byUrl.url],
      details: expect.any(Object),
    });
    // What Wayke adds from the registry comes back in the project's names, apart from the vehicle.
    expect(Object.keys(read.details!).sort()).toEqual([
      'colour',
      'firstRegistration',
      'fuel',
      'gearbox',
      'make',
      'model',
      'variant',
      'vin',
    ]);

    await wayke.patchAd({
      adId: id,
      branchId: BRANCH,
      registrationNumber: car.registrationNumber,
      fields: { price: 239_900, equipment: null },
      mediaUrls: [byBytes.url, byUrl.url],
    });
    const patched = await wayke.findAdByRegistrationNumber(BRANCH, car.registrationNumber);
    expect(patched?.vehicle.price).toBe(239_900);
    expect(patched?.vehicle.equipment).toBeUndefined();
    expect(patched?.mediaUrls).toEqual([byBytes.url, byUrl.url]);

    await wayke.setStatus(id, 'Sold', car.registrationNumber);
    await wayke.setMedia(id, [byUrl.url], car.registrationNumber);
    const final = await wayke.getAd(id);
    expect(final.status).toBe('Sold');
    expect(final.mediaUrls).toEqual([byUrl.url]);

    expect(await wayke.findAdByRegistrationNumber(OTHER_BRANCH, car.registrationNumber)).toBeNull();
  });

  it('sends nothing for a patch with nothing in it', async () => {
    const wayke = client();
    const before = calls(ROUTE.patch);
    await wayke.patchAd({ adId: 'any', branchId: BRANCH, registrationNumber: 'ABC123', fields: {} });
    expect(calls(ROUTE.patch)).toBe(before);
  });

  it('logs each call at debug level with method, path, status and duration', async () => {
    const wayke = client();
    const car = vehicle();
    await wayke.createAd({ branchId: BRANCH, vehicle: car, status: 'Published' });
    const line = log.lines.find((l) => l.level === 'DEBUG' && l.attributes?.operation === 'createAd');
    expect(line?.message).toBe('Wayke call');
    expect(line?.attributes).toMatchObject({
      method: 'POST',
      path: '/vehicle',
      status: 201,
      registrationNumber: car.registrationNumber,
    });
    expect(typeof line?.attributes?.durationMs).toBe('number');
  });
});

describe('tokens', () => {
  it('fetches one token and reuses it; clients of one factory share it', async () => {
    const before = calls(ROUTE.token);
    const wayke = client();
    await wayke.findAdByRegistrationNumber(BRANCH, 'NONE01');
    await wayke.findAdByRegistrationNumber(BRANCH, 'NONE02');
    expect(calls(ROUTE.token)).toBe(before + 1);

    const factory = createWaykeClientFactory({
      authUrl: sim.authUrl,
      dealerApiUrl: sim.dealerApiUrl,
      mediaApiUrl: sim.mediaApiUrl,
      log,
    });
    const a = factory({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const b = factory({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    await a.findAdByRegistrationNumber(BRANCH, 'NONE03');
    await b.findAdByRegistrationNumber(BRANCH, 'NONE04');
    expect(calls(ROUTE.token)).toBe(before + 2);
  });

  it('sends the secret URL-encoded (a secret with & = + / % works)', async () => {
    // CLIENT_SECRET holds every character that breaks an unencoded form body.
    await expect(client().findAdByRegistrationNumber(BRANCH, 'NONE05')).resolves.toBeNull();
  });

  it('refreshes 60 s before expiry, and 50 concurrent calls at expiry share ONE token request', async () => {
    let now = Date.parse('2026-11-29T00:00:00Z');
    const wayke = client({ clock: { now: () => new Date(now) } });
    const before = calls(ROUTE.token);
    await wayke.findAdByRegistrationNumber(BRANCH, 'NONE06');
    expect(calls(ROUTE.token)).toBe(before + 1);

    now += 3600_000 - 61_000; // just outside the refresh margin: still cached
    await wayke.findAdByRegistrationNumber(BRANCH, 'NONE07');
    expect(calls(ROUTE.token)).toBe(before + 1);

    now += 2_000; // inside the margin: refresh, once, for all 50
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => wayke.findAdByRegistrationNumber(BRANCH, `NX${i}`)),
    );
    expect(results.every((r) => r === null)).toBe(true);
    expect(calls(ROUTE.token)).toBe(before + 2);
  });

  it('on 401 refreshes once and retries; 50 concurrent 401s make one token request', async () => {
    const wayke = client();
    await wayke.findAdByRegistrationNumber(BRANCH, 'NONE08');
    const tokensBefore = calls(ROUTE.token);
    const findsBefore = calls(ROUTE.find);
    sim.revokeTokens();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => wayke.findAdByRegistrationNumber(BRANCH, `NY${i}`)),
    );
    expect(results.every((r) => r === null)).toBe(true);
    expect(calls(ROUTE.token)).toBe(tokensBefore + 1);
    expect(calls(ROUTE.find)).toBe(findsBefore + 100); // each: the refused call and its one retry
  });

  it('a 401 that survives the refresh is an auth error, never a loop', async () => {
    let apiRequests = 0;
    const standIn = await standInWayke((_req, res) => {
      apiRequests += 1;
      res.writeHead(401).end();
    });
    const error = await failure(standIn.wayke.getAd('ad-1'), WaykeAuthError).finally(standIn.close);
    expect(error.context).toMatchObject({ operation: 'getAd', status: 401, adId: 'ad-1' });
    expect(standIn.tokenRequests()).toBe(2);
    expect(apiRequests).toBe(2);
  });

  it('wrong credentials: an auth error after one token request, no secret in it', async () => {
    const before = calls(ROUTE.token);
    const wayke = client({ clientSecret: 'wrong-secret-value' });
    const error = await failure(wayke.findAdByRegistrationNumber(BRANCH, 'NONE09'), WaykeAuthError);
    expect(error.context).toMatchObject({
      operation: 'findAdByRegistrationNumber',
      phase: 'token',
      status: 400,
      registrationNumber: 'NONE09',
    });
    expect(error.cause).toBeInstanceOf(WaykeAuthError);
    expect(calls(ROUTE.token)).toBe(before + 1);
    const text = `${error.message} ${JSON.stringify(error.context)}`;
    expect(text).not.toContain('wrong-secret-value');
    expect(text).not.toContain(CLIENT_ID);
  });
});

describe('retries', () => {
  it('honours a 429 Retry-After in seconds: no request before the instant', async () => {
    const wayke = client();
    await wayke.findAdByRegistrationNumber(BRANCH, 'NONE10'); // token first
    sim.setFaults({ throttleNext: 1, retryAfterSeconds: 1, routes: [ROUTE.find] });
    const from = sim.state().requests.length;
    await expect(wayke.findAdByRegistrationNumber(BRANCH, 'NONE11')).resolves.toBeNull();
    const finds = sim
      .state()
      .requests.slice(from)
      .filter((r) => r.route === ROUTE.find);
    expect(finds.map((r) => r.status)).toEqual([429, 404]);
    expect(finds[0]!.retryAfter).toBe('1');
    expect(finds[1]!.at).toBeGreaterThanOrEqual(finds[0]!.respondedAt! + 1000);
  });

  it('honours a 429 Retry-After as an HTTP date, for every call to that host', async () => {
    const wayke = client();
    await wayke.findAdByRegistrationNumber(BRANCH, 'NONE12');
    sim.setFaults({ throttleNext: 1, retryAfterSeconds: 2, retryAfterAsDate: true, routes: [ROUTE.find] });
    const from = sim.state().requests.length;
    const first = wayke.findAdByRegistrationNumber(BRANCH, 'NONE13');
    // A second call starts once the client has seen the 429: it must wait at the same gate.
    await until(() => log.lines.some((l) => l.message === 'Wayke call failed; retrying'));
    const second = wayke.getAd('missing-ad').catch((e: unknown) => e);
    await first;
    expect(await second).toBeInstanceOf(WaykeNotFoundError);
    const seen = sim.state().requests.slice(from);
    const throttled = seen.find((r) => r.status === 429)!;
    const instant = Date.parse(throttled.retryAfter!);
    expect(throttled.retryAfter).toMatch(/GMT$/);
    for (const request of seen.filter((r) => r !== throttled)) expect(request.at).toBeGreaterThanOrEqual(instant);
    expect(seen).toHaveLength(3);
  });

  it('fails as retryable at once when Retry-After is beyond the cap', async () => {
    const wayke = client({ retryAfterCapMs: 5_000 });
    await wayke.findAdByRegistrationNumber(BRANCH, 'NONE14');
    sim.setFaults({ throttleNext: 1, retryAfterSeconds: 120, routes: [ROUTE.find] });
    const before = calls(ROUTE.find);
    const error = await failure(wayke.findAdByRegistrationNumber(BRANCH, 'NONE15'), WaykeRetryableError);
    expect(error.retryAfterMs).toBe(120_000);
    expect(error.context).toMatchObject({
      operation: 'findAdByRegistrationNumber',
      status: 429,
      registrationNumber: 'NONE15',
    });
    expect(calls(ROUTE.find)).toBe(before + 1);
  });

  it('retries 5xx with backoff and succeeds when the server recovers', async () => {
    const wayke = client();
    await wayke.findAdByRegistrationNumber(BRANCH, 'NONE16');
    sim.setFaults({ serverErrorNext: 2, routes: [ROUTE.find] });
    const before = calls(ROUTE.find);
    await expect(wayke.findAdByRegistrationNumber(BRANCH, 'NONE17')).resolves.toBeNull();
    expect(calls(ROUTE.find)).toBe(before + 3);
    expect(log.lines.filter((l) => l.message === 'Wayke call failed; retrying')).toHaveLength(2);
  });

  it('gives up after 5 attempts of 5xx with a retryable error carrying context and cause', async () => {
    const wayke = client();
    const car = vehicle();
    await wayke.findAdByRegistrationNumber(BRANCH, 'NONE18');
    sim.setFaults({ serverErrorRate: 1, routes: [ROUTE.status] });
    const before = calls(ROUTE.status);
    const retryable = await failure(wayke.setStatus('some-ad', 'Sold', car.registrationNumber), WaykeRetryableError);
    expect(retryable.retryable).toBe(true);
    expect(retryable.context).toMatchObject({
      operation: 'setStatus',
      status: 500,
      attempts: 5,
      registrationNumber: car.registrationNumber,
      adId: 'some-ad',
    });
    expect(retryable.cause).toBeInstanceOf(Error);
    expect(calls(ROUTE.status)).toBe(before + 5);
  });

  it('never retries 400, and names the field Wayke named', async () => {
    const wayke = client();
    await wayke.findAdByRegistrationNumber(BRANCH, 'NONE19');
    const before = calls(ROUTE.media);
    // Unknown ad first: 404, not retried either.
    await failure(wayke.setMedia('x', ['https://elsewhere.example/a.jpg'], 'ABC123'), WaykeNotFoundError);
    expect(calls(ROUTE.media)).toBe(before + 1);

    const car = vehicle();
    const { id } = await wayke.createAd({ branchId: BRANCH, vehicle: car, status: 'Published' });
    const validation = await failure(
      wayke.setMedia(id, ['https://elsewhere.example/a.jpg'], car.registrationNumber),
      WaykeValidationError,
    );
    expect(validation.field).toBe('media[0].fileUrls[0]');
    expect(validation.waykeMessage).toContain('not a Wayke media URL');
    expect(validation.context).toMatchObject({
      operation: 'setMedia',
      status: 400,
      registrationNumber: car.registrationNumber,
      attempts: 1,
    });
    expect(String(validation.cause)).toContain(`HTTP 400 for PUT /vehicle/${id}/media`);
    expect(calls(ROUTE.media)).toBe(before + 2);
  });

  it('honours Retry-After on a 503 too', async () => {
    const arrivals: number[] = [];
    let answeredAt = 0;
    const standIn = await standInWayke((_req, res) => {
      arrivals.push(Date.now());
      if (arrivals.length === 1) {
        answeredAt = Date.now();
        res.writeHead(503, { 'retry-after': '1' }).end();
      } else {
        res.writeHead(204).end();
      }
    });
    await standIn.wayke.setStatus('ad-1', 'Sold');
    standIn.close();
    expect(arrivals).toHaveLength(2);
    expect(arrivals[1]!).toBeGreaterThanOrEqual(answeredAt + 1000);
  });

  it('never retries 409 or 422', async () => {
    for (const status of [409, 422]) {
      let hits = 0;
      const standIn = await standInWayke((_req, res) => {
        hits += 1;
        res
          .writeHead(status, { 'content-type': 'application/problem+json' })
          .end(JSON.stringify({ title: 'Conflict', errors: { 'vehicle.vin': ['already in use'] } }));
      });
      const error = await failure(
        standIn.wayke.createAd({ branchId: BRANCH, vehicle: vehicle(), status: 'Published' }),
        WaykeValidationError,
      ).finally(standIn.close);
      expect(error.field).toBe('vehicle.vin');
      expect(error.context.status).toBe(status);
      expect(hits).toBe(1);
    }
  });

  it('times out a slow call via AbortSignal, retries, then gives up as retryable', async () => {
    const wayke = client({ timeoutMs: 100, maxAttempts: 2 });
    await wayke.findAdByRegistrationNumber(BRANCH, 'NONE20');
    sim.setFaults({ latencyMs: 400, routes: [ROUTE.get] });
    const before = calls(ROUTE.get);
    const error = await failure(wayke.getAd('slow-ad'), WaykeRetryableError);
    expect(error.message).toMatch(/timed out after 100 ms/);
    expect(error.context).toMatchObject({ operation: 'getAd', attempts: 2, adId: 'slow-ad' });
    expect(calls(ROUTE.get)).toBe(before + 2);
  });

  it('retries a refused connection, then gives up as retryable', async () => {
    const server = await listen(() => undefined);
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const wayke = client({ authUrl: `http://127.0.0.1:${port}`, maxAttempts: 3 });
    const error = await failure(wayke.getAd('a'), WaykeRetryableError);
    expect(error.context).toMatchObject({
      operation: 'getAd',
      phase: 'token',
      attempts: 3,
      adId: 'a',
    });
    expect(error.message).toMatch(/connection failed/);
  });

  it('a create whose answer was lost (commit then 500) finds the ad instead of creating a duplicate', async () => {
    const wayke = client();
    const car = vehicle();
    sim.setFaults({ commitThenFailNext: 1, routes: [ROUTE.create] });
    const { id } = await wayke.createAd({ branchId: BRANCH, vehicle: car, status: 'Published' });
    expect(sim.state().adsByPlate[car.registrationNumber]).toEqual([id]);
    expect(log.lines.some((l) => l.message.includes('answer was lost'))).toBe(true);
  });

  it('looks once more after the last attempt: a create applied every time is still found, once', async () => {
    const wayke = client({ maxAttempts: 1 });
    const car = vehicle();
    sim.setFaults({ commitThenFailRate: 1, routes: [ROUTE.create] });
    const { id } = await wayke.createAd({ branchId: BRANCH, vehicle: car, status: 'Published' });
    expect(sim.state().adsByPlate[car.registrationNumber]).toEqual([id]);
  });

  it('a create that failed before being applied is not "recovered": retryable error, no ad', async () => {
    const wayke = client({ maxAttempts: 2 });
    const car = vehicle();
    sim.setFaults({ serverErrorRate: 1, routes: [ROUTE.create] });
    const error = await failure(
      wayke.createAd({ branchId: BRANCH, vehicle: car, status: 'Published' }),
      WaykeRetryableError,
    );
    expect(error.context).toMatchObject({
      operation: 'createAd',
      registrationNumber: car.registrationNumber,
      status: 500,
      attempts: 2,
    });
    expect(sim.state().adsByPlate[car.registrationNumber]).toBeUndefined();
  });
});

describe('limits and hygiene', () => {
  it('keeps at most maxConcurrency calls in flight per branch; other branches are not held up', async () => {
    const wayke = client({ maxConcurrency: 3 });
    await wayke.findAdByRegistrationNumber(BRANCH, 'NONE21');
    sim.setFaults({ latencyMs: 40, routes: [ROUTE.find] });
    const from = sim.state().requests.length;
    await Promise.all([
      ...Array.from({ length: 9 }, (_, i) => wayke.findAdByRegistrationNumber(BRANCH, `LA${i}`)),
      ...Array.from({ length: 9 }, (_, i) => wayke.findAdByRegistrationNumber(OTHER_BRANCH, `LB${i}`)),
    ]);
    const seen = sim.state().requests.slice(from);
    const perBranch = (branch: string) => seen.filter((r) => r.path.includes(`/vehicle/${branch}/`));
    expect(maxOverlap(perBranch(BRANCH))).toBeLessThanOrEqual(3);
    expect(maxOverlap(perBranch(OTHER_BRANCH))).toBeLessThanOrEqual(3);
    expect(maxOverlap(seen)).toBeGreaterThan(3);
  });

  it('never logs or reports the client id, the secret or a token', async () => {
    const wayke = client();
    const car = vehicle();
    sim.setFaults({ serverErrorNext: 1, routes: [ROUTE.create] });
    const { id } = await wayke.createAd({ branchId: BRANCH, vehicle: car, status: 'Published' });
    sim.revokeTokens();
    await wayke.getAd(id);
    const errors: unknown[] = [];
    errors.push(await wayke.setStatus('nope', 'Sold').catch((e: unknown) => e));
    errors.push(
      await client({ clientSecret: `${CLIENT_SECRET}-wrong` })
        .getAd(id)
        .catch((e: unknown) => e),
    );
    errors.push(
      await wayke
        .patchAd({ adId: id, branchId: BRANCH, registrationNumber: car.registrationNumber, fields: { mileage: null } })
        .catch((e: unknown) => e),
    );
    expect(errors.every((e) => e instanceof Error)).toBe(true);

    // Raw lines, not the redacted text(): nothing may rely on the redaction net.
    const raw =
      JSON.stringify(log.lines) +
      errors
        .map(
          (e) =>
            `${(e as Error).message} ${JSON.stringify((e as { context?: unknown }).context)} ${String((e as Error).cause)}`,
        )
        .join('\n');
    expect(log.lines.length).toBeGreaterThan(5);
    for (const secret of [CLIENT_ID, CLIENT_SECRET, encodeURIComponent(CLIENT_SECRET), 'Bearer'])
      expect(raw).not.toContain(secret);
    // Simulator tokens are 43-character base64url strings.
    expect(raw).not.toMatch(/[A-Za-z0-9_-]{43}/);
  });
});

// ───────────────────────────── helpers ─────────────────────────────

async function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

interface StandInWayke {
  /** The client under test, pointed at the stand-in. */
  readonly wayke: WaykeApi;
  readonly tokenRequests: () => number;
  readonly close: () => void;
}

/**
 * A stand-in Wayke on 127.0.0.1, for answers the simulator does not give: it issues a fresh token
 * for every token request (and counts them) and hands every other request to `api`.
 */
async function standInWayke(api: RequestListener): Promise<StandInWayke> {
  let tokenRequests = 0;
  const server = await listen((req, res) => {
    req.resume();
    if (req.url !== '/auth/connect/token') {
      api(req, res);
      return;
    }
    tokenRequests += 1;
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ access_token: `tok-${tokenRequests}-abcdefghijklmnop`, expires_in: 3600 }));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const wayke = client({ authUrl: `${base}/auth`, dealerApiUrl: `${base}/dealer`, mediaApiUrl: `${base}/media` });
  return { wayke, tokenRequests: () => tokenRequests, close: () => server.close() };
}

/** Awaits a call that must fail, asserts the error's class and returns the error as that class. */
async function failure<E>(call: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const error = await call.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(type);
  return error as E;
}

async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !predicate(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!predicate()) throw new Error('condition not reached');
}

/** Most requests in flight at once, from arrival/answer instants. */
function maxOverlap(requests: ReadonlyArray<{ at: number; respondedAt?: number }>): number {
  const events = requests.flatMap(
    (r) =>
      [
        [r.at, 1],
        [r.respondedAt ?? r.at, -1],
      ] as const,
  );
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let max = 0;
  for (const [, delta] of events) max = Math.max(max, (current += delta));
  return max;
}

describe('videos and 360 sets', () => {
  const VIDEO = 'POST /media/v2/embedded-video';
  const CONTAINER = 'POST /media/v2/panorama-image';
  const FRAME = 'POST /media/v2/panorama-image/{containerId}';

  it('registers a video, uploads a 360 set frame by frame, and sends both as their own media items', async () => {
    const host = await startMediaHost();
    try {
      const wayke = client({ mediaDownload: { allowLoopback: true } });
      const video = await wayke.registerVideo({ branchId: BRANCH, url: 'https://vimeo.com/449787858', sortOrder: 2 });
      expect(video.url).toBe('https://vimeo.com/449787858');
      const { containerId } = await wayke.createPanorama({ branchId: BRANCH, sortOrder: 1 });
      const frames = [];
      for (const [sortOrder, name] of ['front', 'side'].entries())
        frames.push(
          await wayke.uploadPanoramaFrame({
            branchId: BRANCH,
            containerId,
            sourceUrl: `${host.url}/frames/${name}.jpg`,
            sortOrder,
          }),
        );
      const media = sim.state().media;
      expect(frames.map((f) => media[f.imageId])).toMatchObject([
        { type: 'threesixty', containerId, fileName: 'front.jpg', contentType: 'image/jpeg', sortOrder: 0 },
        { type: 'threesixty', containerId, fileName: 'side.jpg', sortOrder: 1 },
      ]);
      const image = await wayke.uploadImageByUrl({
        branchId: BRANCH,
        url: 'https://dealer.example/1.jpg',
        sortOrder: 0,
      });
      const car = vehicle();
      const id = await publishAd(wayke, car, {
        mediaUrls: [image.url],
        extraMedia: { panoramaUrls: frames.map((f) => f.url), videoUrls: [video.url] },
      });
      expect(sim.state().ads[id]!.ad.media).toEqual([
        { fileUrls: [image.url] },
        { fileUrls: frames.map((f) => f.url) },
        { fileUrls: [video.url] },
      ]);
      await wayke.setMedia(id, [], car.registrationNumber, { videoUrls: [video.url] });
      expect((await wayke.getAd(id)).mediaUrls).toEqual([video.url]);
    } finally {
      await host.stop();
    }
  });

  it('retries the media calls like every call, and refuses a link Wayke does not embed', async () => {
    const wayke = client();
    sim.setFaults({ serverErrorNext: 1, routes: [VIDEO, CONTAINER] });
    const before = calls(VIDEO);
    await wayke.registerVideo({ branchId: BRANCH, url: 'https://youtu.be/x', sortOrder: 0 });
    expect(calls(VIDEO)).toBe(before + 2);
    sim.setFaults({ serverErrorNext: 1, routes: [CONTAINER] });
    const { containerId } = await wayke.createPanorama({ branchId: BRANCH, sortOrder: 0 });
    expect(containerId).toMatch(/^[0-9a-f-]{36}$/);
    await failure(
      wayke.registerVideo({ branchId: BRANCH, url: 'https://dealer.example/film.mov', sortOrder: 0 }),
      WaykeValidationError,
    );
  });

  it('never downloads a frame from a private address, and then never calls Wayke for it', async () => {
    const wayke = client();
    const before = calls(FRAME);
    await failure(
      wayke.uploadPanoramaFrame({
        branchId: BRANCH,
        containerId: '0316f21d-51cf-441d-bfef-cf90d73178a5',
        sourceUrl: 'http://169.254.169.254/latest/meta-data/iam/',
        sortOrder: 0,
      }),
      RejectedError,
    );
    expect(calls(FRAME)).toBe(before);
  });
});
