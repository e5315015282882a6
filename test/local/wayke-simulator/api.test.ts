/**
 * The Wayke simulator on its own, over plain HTTP: the contract it enforces, each fault, webhooks
 * out (to a real receiver on 127.0.0.1) and its state view.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWaykeSimulator, type WaykeSimulator } from '../../../functions/local/wayke-simulator/index.js';
import { BRANCH } from '../../support/import-harness.js';
import { NO_FAULTS, OTHER_BRANCH, requestToken } from '../../support/simulator-client.js';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(`test/fixtures/wayke-events/${name}`, 'utf8')) as Record<string, unknown>;

let sim: WaykeSimulator;
let token: string;
let plateNo = 10;
const plate = (): string => `SIM${plateNo++}`;

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function http(method: string, url: string, body?: unknown, bearer: string | null = token): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

async function getToken(s: WaykeSimulator = sim, clientId?: string, clientSecret?: string): Promise<Answer> {
  const response = await requestToken(s, clientId, clientSecret);
  return { status: response.status, headers: response.headers, body: await response.json() };
}

const createBody = (overrides: Record<string, unknown> = {}) => ({
  branch: BRANCH,
  marketCode: 'SE',
  status: 'Published',
  vehicle: { registrationNumber: plate(), mileage: 4115, vin: 'YV1ZWA8UDL2123456' },
  ad: { price: 249900, shortDescription: 'Volvo V60' },
  ...overrides,
});

async function create(overrides: Record<string, unknown> = {}): Promise<{ id: string; plate: string }> {
  const body = createBody(overrides);
  const answer = await http('POST', `${sim.dealerApiUrl}/vehicle`, body);
  expect(answer.status).toBe(201);
  return { id: answer.body.id, plate: (body.vehicle as { registrationNumber: string }).registrationNumber };
}

beforeAll(async () => {
  sim = await startWaykeSimulator({ webhookRetryDelayMs: 10 });
  token = (await getToken()).body.access_token;
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  sim.setFaults(NO_FAULTS);
  sim.setWebhook(null);
});

describe('token endpoint', () => {
  it('issues bearer tokens for known clients only', async () => {
    const ok = await getToken();
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect((await getToken(sim, 'sim-client', 'wrong')).body).toEqual({ error: 'invalid_client' });
    expect((await getToken(sim, 'nobody', 'sim-secret')).status).toBe(400);
    const badGrant = await fetch(`${sim.authUrl}/connect/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password' }),
    });
    expect(await badGrant.json()).toEqual({ error: 'unsupported_grant_type' });
  });

  it('accepts clients added at run time, also through the admin route', async () => {
    sim.addClient({ clientId: 'late', clientSecret: 'late-secret' });
    expect((await getToken(sim, 'late', 'late-secret')).status).toBe(200);
    expect(
      (await http('POST', `${sim.url}/_admin/clients`, { clientId: 'admin-added', clientSecret: 'x&y=z' }, null))
        .status,
    ).toBe(201);
    expect((await getToken(sim, 'admin-added', 'x&y=z')).status).toBe(200);
  });

  it('expires tokens after their lifetime', async () => {
    const short = await startWaykeSimulator({ tokenLifetimeSeconds: 0.05 });
    try {
      const issued = await getToken(short);
      expect(issued.body.expires_in).toBe(0.05);
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(
        (await http('GET', `${short.dealerApiUrl}/vehicle/x/ad`, undefined, issued.body.access_token)).status,
      ).toBe(401);
    } finally {
      await short.stop();
    }
  });

  it('wants a valid bearer on every API call', async () => {
    expect((await http('GET', `${sim.dealerApiUrl}/vehicle/x/ad`, undefined, null)).status).toBe(401);
    expect((await http('POST', `${sim.dealerApiUrl}/vehicle`, createBody(), 'not-a-token')).status).toBe(401);
    expect(
      (
        await http(
          'POST',
          `${sim.mediaApiUrl}/media/v2/image-url`,
          { url: 'https://x.example/a.jpg', branchId: BRANCH },
          null,
        )
      ).status,
    ).toBe(401);
    const fresh = (await getToken()).body.access_token as string;
    expect(sim.revokeTokens()).toBeGreaterThan(0);
    expect((await http('GET', `${sim.dealerApiUrl}/vehicle/x/ad`, undefined, fresh)).status).toBe(401);
    token = (await getToken()).body.access_token;
  });

  it('limits a branch-scoped client to its branches', async () => {
    sim.addClient({ clientId: 'scoped', clientSecret: 's', branchIds: [OTHER_BRANCH] });
    const scoped = (await getToken(sim, 'scoped', 's')).body.access_token as string;
    expect((await http('POST', `${sim.dealerApiUrl}/vehicle`, createBody(), scoped)).status).toBe(403);
    const { id } = await create();
    expect((await http('GET', `${sim.dealerApiUrl}/vehicle/${id}/ad`, undefined, scoped)).status).toBe(404);
  });
});

describe('ads', () => {
  it('creates, reads, finds by plate per branch, patches, sets status', async () => {
    const { id, plate: reg } = await create();
    const read = await http('GET', `${sim.dealerApiUrl}/vehicle/${id}/ad`);
    expect(read.body).toMatchObject({
      id,
      branch: BRANCH,
      status: 'Published',
      vehicle: { registrationNumber: reg, mileage: 4115 },
      ad: { price: 249900 },
    });

    const found = await http(
      'GET',
      `${sim.dealerApiUrl}/vehicle/${BRANCH}/vehicle/by-registration-number/${reg.toLowerCase()}`,
    );
    expect(found.body.id).toBe(id);
    expect(
      (await http('GET', `${sim.dealerApiUrl}/vehicle/${OTHER_BRANCH}/vehicle/by-registration-number/${reg}`)).status,
    ).toBe(404);

    expect(
      (
        await http('PATCH', `${sim.dealerApiUrl}/vehicle/${id}`, {
          ad: { price: 199900, shortDescription: null },
          vehicle: { mileage: 5000 },
        })
      ).status,
    ).toBe(204);
    const patched = (await http('GET', `${sim.dealerApiUrl}/vehicle/${id}/ad`)).body;
    expect(patched.ad).toEqual({ price: 199900 });
    expect(patched.vehicle.mileage).toBe(5000);

    expect((await http('PUT', `${sim.dealerApiUrl}/vehicle/${id}/ad/status`, { status: 'Sold' })).status).toBe(204);
    expect(sim.state().ads[id]!.status).toBe('Sold');
    expect(sim.state().ads[id]!.version).toBe(3);
  });

  it('answers 400 naming the field: missing, mistyped, unknown, bad status', async () => {
    const missing = await http('POST', `${sim.dealerApiUrl}/vehicle`, {
      branch: BRANCH,
      vehicle: { registrationNumber: 'ABC123' },
      ad: { price: 1 },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.field).toBe('vehicle.mileage');
    expect(missing.body.message).toBe('vehicle.mileage: is required');

    const typed = await http('POST', `${sim.dealerApiUrl}/vehicle`, createBody({ ad: { price: '249900' } }));
    expect(typed.body.errors).toHaveProperty('ad.price');

    const unknown = await http('POST', `${sim.dealerApiUrl}/vehicle`, createBody({ ad: { price: 1, colour: 'red' } }));
    expect(unknown.body.field).toBe('ad.colour');

    const status = await http('POST', `${sim.dealerApiUrl}/vehicle`, createBody({ status: 'Archived' }));
    expect(status.body.field).toBe('status');

    const { id } = await create();
    expect((await http('PUT', `${sim.dealerApiUrl}/vehicle/${id}/ad/status`, { status: 'Gone' })).body.field).toBe(
      'status',
    );
    const cleared = await http('PATCH', `${sim.dealerApiUrl}/vehicle/${id}`, { ad: { price: null } });
    expect(cleared.body).toMatchObject({ field: 'ad.price', message: 'ad.price: is required and cannot be cleared' });
    expect((await http('PATCH', `${sim.dealerApiUrl}/vehicle/${id}`, { branch: OTHER_BRANCH })).body.field).toBe(
      'branch',
    );
    expect((await http('POST', `${sim.dealerApiUrl}/vehicle`, '{not json')).status).toBe(400);
  });

  it('answers 404 for unknown ids and routes', async () => {
    for (const [method, path, body] of [
      ['GET', '/vehicle/nope/ad', undefined],
      ['PATCH', '/vehicle/nope', { ad: { price: 1 } }],
      ['PUT', '/vehicle/nope/ad/status', { status: 'Sold' }],
      ['PUT', '/vehicle/nope/media', { media: [] }],
      ['GET', '/nothing-here', undefined],
    ] as const) {
      expect((await http(method, `${sim.dealerApiUrl}${path}`, body)).status).toBe(404);
    }
  });

  it('keeps duplicates (as Wayke would) and shows them in adsByPlate', async () => {
    const body = createBody();
    const first = await http('POST', `${sim.dealerApiUrl}/vehicle`, body);
    const second = await http('POST', `${sim.dealerApiUrl}/vehicle`, body);
    const reg = (body.vehicle as { registrationNumber: string }).registrationNumber;
    expect(sim.state().adsByPlate[reg]).toEqual([first.body.id, second.body.id]);
  });
});

describe('media', () => {
  it('uploads by URL without fetching it, and serves a tiny image', async () => {
    const answer = await http('POST', `${sim.mediaApiUrl}/media/v2/image-url`, {
      url: 'https://unreachable.invalid/car.jpg',
      branchId: BRANCH,
      purpose: 'Vehicle',
      sortOrder: 2,
    });
    expect(answer.status).toBe(201);
    expect(answer.body.url.startsWith(`${sim.mediaApiUrl}/files/`)).toBe(true);
    expect(sim.state().media[answer.body.mediaId]).toMatchObject({
      sourceUrl: 'https://unreachable.invalid/car.jpg',
      sortOrder: 2,
      branchId: BRANCH,
    });
    const image = await fetch(answer.body.url);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await image.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    expect(
      (await http('POST', `${sim.mediaApiUrl}/media/v2/image-url`, { url: 'ftp://x/a.jpg', branchId: BRANCH })).body
        .field,
    ).toBe('url');
  });

  it('uploads bytes as multipart and checks the parts', async () => {
    const form = new FormData();
    form.set('File', new Blob([new Uint8Array([1, 2, 3, 4])], { type: 'image/webp' }), 'side.webp');
    form.set('Metadata.Purpose', 'Vehicle');
    form.set('Metadata.BranchId', BRANCH);
    form.set('Metadata.SortOrder', '3');
    const ok = await fetch(`${sim.mediaApiUrl}/media/v2/image`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(ok.status).toBe(201);
    const { mediaId, url } = (await ok.json()) as { mediaId: string; url: string };
    expect(sim.state().media[mediaId]).toMatchObject({
      fileName: 'side.webp',
      contentType: 'image/webp',
      size: 4,
      sortOrder: 3,
    });
    expect(url).toMatch(/\.webp$/);

    const bad = new FormData();
    bad.set('File', new Blob(['text'], { type: 'text/plain' }), 'a.txt');
    const refused = await fetch(`${sim.mediaApiUrl}/media/v2/image`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: bad,
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { errors: Record<string, unknown> }).errors).toHaveProperty('Metadata.BranchId');
  });

  it('accepts only its own media URLs on ads, in order', async () => {
    const a = (
      await http('POST', `${sim.mediaApiUrl}/media/v2/image-url`, { url: 'https://x.example/a.jpg', branchId: BRANCH })
    ).body.url as string;
    const b = (
      await http('POST', `${sim.mediaApiUrl}/media/v2/image-url`, { url: 'https://x.example/b.jpg', branchId: BRANCH })
    ).body.url as string;
    const refused = await http(
      'POST',
      `${sim.dealerApiUrl}/vehicle`,
      createBody({ ad: { price: 1, media: [{ fileUrls: [a, 'https://x.example/a.jpg'] }] } }),
    );
    expect(refused.body.field).toBe('ad.media[0].fileUrls[1]');
    const { id } = await create({ ad: { price: 1, media: [{ fileUrls: [a] }] } });
    expect(
      (await http('PUT', `${sim.dealerApiUrl}/vehicle/${id}/media`, { media: [{ fileUrls: [b] }, { fileUrls: [a] }] }))
        .status,
    ).toBe(204);
    expect(sim.state().ads[id]!.ad.media).toEqual([{ fileUrls: [b] }, { fileUrls: [a] }]);
    expect(
      (
        await http('PUT', `${sim.dealerApiUrl}/vehicle/${id}/media`, {
          media: [{ fileUrls: ['https://elsewhere/c.jpg'] }],
        })
      ).body.field,
    ).toBe('media[0].fileUrls[0]');
  });
});

describe('faults', () => {
  const statuses = async (s: WaykeSimulator, n: number): Promise<number[]> => {
    const t = (await getToken(s)).body.access_token as string;
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await http('GET', `${s.dealerApiUrl}/vehicle/x/ad`, undefined, t)).status);
    return out;
  };

  it('is repeatable for a seed and differs for another', async () => {
    const faults = { serverErrorRate: 0.3, throttleRate: 0.2, seed: 42, routes: ['GET /vehicle/{id}/ad'] };
    const [a, b, c] = await Promise.all([
      startWaykeSimulator({ faults }),
      startWaykeSimulator({ faults }),
      startWaykeSimulator({ faults: { ...faults, seed: 7 } }),
    ]);
    try {
      const runA = await statuses(a, 30);
      const runB = await statuses(b, 30);
      const runC = await statuses(c, 30);
      expect(runA).toEqual(runB);
      expect(runA).not.toEqual(runC);
      expect(runA).toContain(500);
      expect(runA).toContain(429);
      expect(runA).toContain(404);
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    }
  });

  it('serverErrorRate 1 fails every call before applying it', async () => {
    sim.setFaults({ serverErrorRate: 1, routes: ['POST /vehicle'] });
    const body = createBody();
    const answer = await http('POST', `${sim.dealerApiUrl}/vehicle`, body);
    expect(answer.status).toBe(500);
    expect(sim.state().adsByPlate[(body.vehicle as { registrationNumber: string }).registrationNumber]).toBeUndefined();
  });

  it('throttles with Retry-After in seconds or as an HTTP date', async () => {
    sim.setFaults({ throttleNext: 1, retryAfterSeconds: 7 });
    const seconds = await http('GET', `${sim.dealerApiUrl}/vehicle/x/ad`);
    expect(seconds.status).toBe(429);
    expect(seconds.headers.get('retry-after')).toBe('7');
    expect((await http('GET', `${sim.dealerApiUrl}/vehicle/x/ad`)).status).toBe(404); // counter used up

    sim.setFaults({ throttleRate: 1, retryAfterAsDate: true, retryAfterSeconds: 30 });
    const dated = await http('GET', `${sim.dealerApiUrl}/vehicle/x/ad`);
    const at = Date.parse(dated.headers.get('retry-after')!);
    expect(at).toBeGreaterThan(Date.now() + 20_000);
  });

  it('adds latency', async () => {
    sim.setFaults({ latencyMs: 150, routes: ['GET /vehicle/{id}/ad'] });
    const from = sim.state().requests.length;
    await http('GET', `${sim.dealerApiUrl}/vehicle/x/ad`);
    const [request] = sim.state().requests.slice(from);
    expect(request!.respondedAt! - request!.at).toBeGreaterThanOrEqual(145); // timers may round a ms down
  });

  it('commit then fail: applies the change, answers 500', async () => {
    sim.setFaults({ commitThenFailNext: 1 });
    const body = createBody();
    const answer = await http('POST', `${sim.dealerApiUrl}/vehicle`, body);
    expect(answer.status).toBe(500);
    const ids = sim.state().adsByPlate[(body.vehicle as { registrationNumber: string }).registrationNumber];
    expect(ids).toHaveLength(1);
    expect(sim.state().requests.at(-1)).toMatchObject({ fault: 'commitThenFail', status: 500 });

    sim.setFaults({ commitThenFailRate: 1, routes: ['PUT /vehicle/{id}/ad/status'] });
    expect((await http('PUT', `${sim.dealerApiUrl}/vehicle/${ids![0]}/ad/status`, { status: 'Sold' })).status).toBe(
      500,
    );
    expect(sim.state().ads[ids![0]!]!.status).toBe('Sold');
    // A refused change is not committed, so not "failed after commit" either.
    expect((await http('PUT', `${sim.dealerApiUrl}/vehicle/${ids![0]}/ad/status`, { status: 'Nope' })).status).toBe(
      400,
    );
  });

  it('takes faults at run time through the admin route', async () => {
    const set = await http('POST', `${sim.url}/_admin/faults`, { serverErrorNext: 1 }, null);
    expect(set.body.serverErrorNext).toBe(1);
    expect((await http('GET', `${sim.dealerApiUrl}/vehicle/x/ad`)).status).toBe(500);
    expect((await http('GET', `${sim.dealerApiUrl}/vehicle/x/ad`)).status).toBe(404);
    expect(sim.faults.serverErrorNext).toBe(0);
  });
});

describe('webhooks out', () => {
  let receiver: Server;
  let receiverUrl: string;
  const received: Array<{ path: string; headers: IncomingHttpHeaders; body: any }> = [];
  let failNext = 0;
  let hold: Promise<void> | null = null;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        void (async () => {
          if (hold) await hold;
          received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(raw) });
          if (failNext > 0) {
            failNext -= 1;
            res.writeHead(503).end();
          } else res.writeHead(200).end();
        })();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  beforeEach(() => {
    received.length = 0;
    failNext = 0;
    hold = null;
  });

  it('POSTs a vehicle-updated payload shaped like the fixture on create and on change, with the headers', async () => {
    sim.setWebhook({ url: `${receiverUrl}/hook`, headers: { authorization: 'Bearer hook-secret' } });
    const { id, plate: reg } = await create();
    await http('PATCH', `${sim.dealerApiUrl}/vehicle/${id}`, { ad: { price: 100 } });
    await http('PATCH', `${sim.dealerApiUrl}/vehicle/${id}`, { ad: { price: 100 } }); // no change: no event
    await http('PUT', `${sim.dealerApiUrl}/vehicle/${id}/ad/status`, { status: 'Unpublished' });
    await sim.webhooksIdle();
    expect(received).toHaveLength(3);
    const keys = Object.keys(fixture('vehicle-updated.json')).sort();
    for (const delivery of received) {
      expect(Object.keys(delivery.body).sort()).toEqual(keys);
      expect(delivery.headers.authorization).toBe('Bearer hook-secret');
      expect(delivery.path).toBe('/hook');
    }
    expect(received.map((d) => d.body.status)).toEqual(['Published', 'Published', 'Unpublished']);
    expect(received[0]!.body).toEqual({
      id,
      registrationNumber: reg,
      vehicleIdentificationNumber: 'YV1ZWA8UDL2123456',
      status: 'Published',
    });
    // Headers never show in the state.
    expect(JSON.stringify(sim.state())).not.toContain('hook-secret');
  });

  it('routes per branch, retries a failed delivery, and never holds up the API answer', async () => {
    sim.setWebhook({ url: `${receiverUrl}/default` });
    sim.setWebhook({ branchId: OTHER_BRANCH, url: `${receiverUrl}/other` });
    failNext = 1;
    await create();
    await create({ branch: OTHER_BRANCH });
    await sim.webhooksIdle();
    expect(received.map((d) => d.path)).toEqual(['/default', '/default', '/other']);
    const deliveries = sim.state().webhookDeliveries.slice(-2);
    expect(deliveries.map((d) => [d.ok, d.attempts])).toEqual([
      [true, 2],
      [true, 1],
    ]);

    // The receiver holds its answer: the API still answers.
    let release!: () => void;
    hold = new Promise<void>((resolve) => (release = resolve));
    await create();
    expect(received).toHaveLength(3);
    release();
    await sim.webhooksIdle();
    expect(received).toHaveLength(4);
  });

  it('sends process events like the fixture, from code and from the admin route', async () => {
    sim.setWebhook({ url: `${receiverUrl}/hook` });
    const { id, plate: reg } = await create();
    await sim.webhooksIdle();
    received.length = 0;
    const deliveries = await sim.triggerProcessEvent(id, {
      processName: 'Inköpsavtal',
      stepName: 'Inköpsavtal',
      state: 'completed',
    });
    expect(deliveries[0]).toMatchObject({ kind: 'process', ok: true, adId: id });
    const keys = Object.keys(fixture('purchase-contract-completed.json')).sort();
    expect(Object.keys(received[0]!.body).sort()).toEqual(keys);
    expect(received[0]!.body).toMatchObject({
      eventType: 'Process',
      processName: 'Inköpsavtal',
      state: 'completed',
      itemId: id,
      registrationNumber: reg,
    });
    expect(Number.isNaN(Date.parse(received[0]!.body.eventTime))).toBe(false);

    const viaAdmin = await http(
      'POST',
      `${sim.url}/_admin/ads/${id}/process`,
      { processName: 'Inköpsprocess', stepName: 'Förkalkyl', state: 'started' },
      null,
    );
    expect(viaAdmin.status).toBe(200);
    expect(received[1]!.body).toMatchObject({ processName: 'Inköpsprocess', stepName: 'Förkalkyl', state: 'started' });
    expect(
      (
        await http(
          'POST',
          `${sim.url}/_admin/ads/unknown/process`,
          { processName: 'a', stepName: 'b', state: 'c' },
          null,
        )
      ).status,
    ).toBe(404);
    await expect(
      sim.triggerProcessEvent('unknown', { processName: 'a', stepName: 'b', state: 'started' }),
    ).rejects.toThrow();
  });

  it('gives up on an unreachable target after its attempts, and the API carries on', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/gone`;
    await new Promise((resolve) => closed.close(resolve));
    sim.setWebhook({ url: deadUrl });
    const { id } = await create();
    await sim.webhooksIdle();
    const delivery = sim.state().webhookDeliveries.at(-1)!;
    expect(delivery).toMatchObject({ adId: id, url: deadUrl, ok: false, attempts: 3 });
    expect(delivery.status).toBeUndefined();
  });

  it('sets the target through the admin route', async () => {
    expect((await http('POST', `${sim.url}/_admin/webhook`, { url: `${receiverUrl}/admin` }, null)).status).toBe(204);
    await create();
    await sim.webhooksIdle();
    expect(received.map((d) => d.path)).toEqual(['/admin']);
  });
});

describe('state view', () => {
  it('counts calls per route and serves the state over HTTP without bearer', async () => {
    const before = sim.state().calls['GET /vehicle/{id}/ad'] ?? 0;
    await http('GET', `${sim.dealerApiUrl}/vehicle/x/ad`);
    const state = (await http('GET', `${sim.url}/_admin/state`, undefined, null)).body;
    expect(state.calls['GET /vehicle/{id}/ad']).toBe(before + 1);
    expect(state.tokensIssued).toBeGreaterThan(0);
    expect(Object.keys(state)).toEqual(
      expect.arrayContaining(['ads', 'adsByPlate', 'media', 'calls', 'requests', 'webhookDeliveries', 'faults']),
    );
    // A copy: changing it changes nothing.
    const copy = sim.state();
    (copy.calls as Record<string, number>)['GET /vehicle/{id}/ad'] = -1;
    expect(sim.state().calls['GET /vehicle/{id}/ad']).toBe(before + 1);
  });
});
