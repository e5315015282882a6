import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWaykeSimulator, type WaykeSimulator } from '../../../functions/local/wayke-simulator/index.js';
import { BRANCH } from '../../support/import-harness.js';
import { adminCall } from '../../support/wayke-admin.js';

/**
 * The simulator's online sale and hand edits, through its admin routes: validated bodies, the
 * webhook Wayke would send, and the dealer API refusing changes to an ad a buyer holds.
 */

let sim: WaykeSimulator;
let token: string;
let receiver: Server;
const received: Array<Record<string, unknown>> = [];
let plateNo = 10;

beforeAll(async () => {
  sim = await startWaykeSimulator({ webhookRetryDelayMs: 1 });
  const answer = await fetch(`${sim.authUrl}/connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=sim-client&client_secret=sim-secret',
  });
  token = ((await answer.json()) as { access_token: string }).access_token;
  receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      received.push(JSON.parse(raw) as Record<string, unknown>);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  sim.setWebhook({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` });
});
afterAll(async () => {
  await sim?.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});
beforeEach(async () => {
  await sim.webhooksIdle();
  received.length = 0;
});

async function api(method: string, path: string, body?: unknown): Promise<number> {
  const response = await fetch(`${sim.dealerApiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  await response.arrayBuffer();
  return response.status;
}

async function createAd(): Promise<string> {
  const response = await fetch(`${sim.dealerApiUrl}/vehicle`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      branch: BRANCH,
      vehicle: { registrationNumber: `SALE${plateNo++}`, mileage: 1200 },
      ad: { price: 150_000 },
    }),
  });
  const { id } = (await response.json()) as { id: string };
  await sim.webhooksIdle();
  received.length = 0;
  return id;
}

describe('online sale (admin)', () => {
  it('reserving shows ecommerce.reserved on the ad and fires vehicle-updated carrying it', async () => {
    const id = await createAd();
    expect((await adminCall(sim, `ads/${id}/online-sale`, { state: 'reserved' })).status).toBe(200);
    expect(sim.state().ads[id]).toMatchObject({ status: 'Published', ecommerce: { enabled: true, reserved: true } });
    await sim.webhooksIdle();
    expect(received).toEqual([
      expect.objectContaining({ id, status: 'Published', ecommerce: { enabled: true, reserved: true } }),
    ]);
  });

  it('a reserved ad refuses a patch and a status change with 409, and changes nothing', async () => {
    const id = await createAd();
    await adminCall(sim, `ads/${id}/online-sale`, { state: 'reserved' });
    const version = sim.state().ads[id]!.version;
    expect(await api('PATCH', `/vehicle/${id}`, { ad: { price: 1 } })).toBe(409);
    expect(await api('PUT', `/vehicle/${id}/ad/status`, { status: 'Unpublished' })).toBe(409);
    expect(sim.state().ads[id]).toMatchObject({ version, status: 'Published', ad: { price: 150_000 } });
  });

  it('selling sets status Sold with the reservation kept, and stays refused', async () => {
    const id = await createAd();
    await adminCall(sim, `ads/${id}/online-sale`, { state: 'sold' });
    expect(sim.state().ads[id]).toMatchObject({ status: 'Sold', ecommerce: { reserved: true } });
    expect(await api('PUT', `/vehicle/${id}/ad/status`, { status: 'Published' })).toBe(409);
  });

  it('releasing the reservation lets the dealer API change the ad again', async () => {
    const id = await createAd();
    await adminCall(sim, `ads/${id}/online-sale`, { state: 'reserved' });
    await adminCall(sim, `ads/${id}/online-sale`, { state: 'released' });
    expect(sim.state().ads[id]!.ecommerce).toEqual({ enabled: true, reserved: false });
    expect(await api('PATCH', `/vehicle/${id}`, { ad: { price: 140_000 } })).toBe(204);
  });

  it.each([
    ['an unknown state', { state: 'held' }],
    ['no state', {}],
    ['an extra field', { state: 'reserved', buyer: 'x' }],
    ['an array', ['reserved']],
  ])('answers 400 on %s', async (_name, body) => {
    const id = await createAd();
    expect((await adminCall(sim, `ads/${id}/online-sale`, body)).status).toBe(400);
    expect(sim.state().ads[id]!.ecommerce).toBeUndefined();
  });

  it('answers 400 on a body that is not JSON', async () => {
    const id = await createAd();
    const response = await fetch(`${sim.url}/_admin/ads/${id}/online-sale`, { method: 'POST', body: '{nope' });
    expect(response.status).toBe(400);
  });

  it('answers 404 for an ad it does not have', async () => {
    expect((await adminCall(sim, 'ads/no-such-ad/online-sale', { state: 'reserved' })).status).toBe(404);
  });
});

describe('hand edits (admin)', () => {
  it('changes the fields, bumps the version and fires vehicle-updated without an online sale', async () => {
    const id = await createAd();
    const version = sim.state().ads[id]!.version;
    const answer = await adminCall(sim, `ads/${id}/edit`, { ad: { price: 99_000, description: 'Ny text' } });
    expect(answer.status).toBe(200);
    expect(sim.state().ads[id]).toMatchObject({ version: version + 1, ad: { price: 99_000, description: 'Ny text' } });
    await sim.webhooksIdle();
    expect(received).toHaveLength(1);
    expect(received[0]).not.toHaveProperty('ecommerce');
  });

  it('refuses what the dealer API refuses: an unknown field, a bad value, clearing the price (400)', async () => {
    const id = await createAd();
    for (const body of [{ ad: { colour: 'red' } }, { ad: { price: -5 } }, { ad: { price: null } }, 'text'])
      expect((await adminCall(sim, `ads/${id}/edit`, body)).status, JSON.stringify(body)).toBe(400);
    expect(sim.state().ads[id]!.ad.price).toBe(150_000);
  });

  it('an edit that changes nothing answers 204 and fires nothing', async () => {
    const id = await createAd();
    expect((await adminCall(sim, `ads/${id}/edit`, { ad: { price: 150_000 } })).status).toBe(204);
    await sim.webhooksIdle();
    expect(received).toEqual([]);
  });
});
