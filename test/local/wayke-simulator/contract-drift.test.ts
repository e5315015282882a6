/**
 * The simulator's contract drift over HTTP: a renamed field is accepted under the assumed name and
 * stored and read back under the other, an ignored one is accepted and dropped; the admin route
 * and the `simulate-wayke` flags set it; the strict contract still applies to everything else.
 */
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWaykeSimulator, type WaykeSimulator } from '../../../functions/local/wayke-simulator/index.js';
import { startSimulatorCli } from '../../support/simulator-cli.js';

const BRANCH = 'b7c1d2e3-0000-4000-8000-000000000001';
let sim: WaykeSimulator;
let token: string;

beforeAll(async () => {
  sim = await startWaykeSimulator();
  const answer = await fetch(`${sim.authUrl}/connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=sim-client&client_secret=sim-secret&scope=api-resource',
  });
  token = ((await answer.json()) as { access_token: string }).access_token;
});
afterAll(async () => {
  await sim?.stop();
});
afterEach(() => sim.setContractDrift(null));

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const answer = await fetch(`${sim.dealerApiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await answer.text();
  return { status: answer.status, body: text ? JSON.parse(text) : undefined };
}

const createBody = (plate: string) => ({
  branch: BRANCH,
  vehicle: { registrationNumber: plate, mileage: 4115, vin: 'YV1UZBFVDN1906224' },
  ad: { price: 249_900, campaignPrice: 239_900, oldPrice: 259_900 },
});

async function create(plate: string): Promise<string> {
  const created = await call('POST', '/vehicle', createBody(plate));
  expect(created.status).toBe(201);
  return (created.body as { id: string }).id;
}

const readAd = async (id: string) =>
  (await call('GET', `/vehicle/${id}/ad`)).body as { vehicle: Record<string, unknown>; ad: Record<string, unknown> };

async function admin(method: string, body?: string): Promise<{ status: number; body: unknown }> {
  const answer = await fetch(`${sim.url}/_admin/contract-drift`, { method, ...(body !== undefined ? { body } : {}) });
  return { status: answer.status, body: await answer.json() };
}

describe('Wayke simulator contract drift', () => {
  it('a renamed field is accepted under the assumed name and read back under the other', async () => {
    sim.setContractDrift({ renamed: { 'ad.campaignPrice': 'ad.discountPrice' } });
    const ad = await readAd(await create('DRF001'));
    expect(ad.ad).not.toHaveProperty('campaignPrice');
    expect(ad.ad).toMatchObject({ discountPrice: 239_900, price: 249_900, oldPrice: 259_900 });
  });

  it('a patch of a renamed field changes, and null clears, the value under the other name', async () => {
    sim.setContractDrift({ renamed: { 'ad.campaignPrice': 'ad.discountPrice' } });
    const id = await create('DRF002');
    expect((await call('PATCH', `/vehicle/${id}`, { ad: { campaignPrice: 199_900 } })).status).toBe(204);
    expect((await readAd(id)).ad.discountPrice).toBe(199_900);
    expect((await call('PATCH', `/vehicle/${id}`, { ad: { campaignPrice: null } })).status).toBe(204);
    expect((await readAd(id)).ad).not.toHaveProperty('discountPrice');
  });

  it('an ignored field is accepted (201) and dropped', async () => {
    sim.setContractDrift({ ignored: ['vehicle.vin', 'ad.oldPrice'] });
    const ad = await readAd(await create('DRF003'));
    expect(ad.vehicle).not.toHaveProperty('vin');
    expect(ad.ad).not.toHaveProperty('oldPrice');
    expect(ad.ad.campaignPrice).toBe(239_900);
  });

  it('the strict contract still answers 400 to a field it does not know, drift or not', async () => {
    sim.setContractDrift({ renamed: { 'ad.campaignPrice': 'ad.discountPrice' } });
    const body = createBody('DRF004');
    const refused = await call('POST', '/vehicle', { ...body, ad: { ...body.ad, discountPrice: 1 } });
    expect(refused).toMatchObject({ status: 400, body: { field: 'ad.discountPrice' } });
  });

  it('a refused body stores nothing under the new name', async () => {
    sim.setContractDrift({ renamed: { 'ad.campaignPrice': 'ad.discountPrice' } });
    const before = Object.keys(sim.state().ads).length;
    const refused = await call('POST', '/vehicle', { ...createBody('DRF005'), ad: { campaignPrice: 1 } });
    expect(refused).toMatchObject({ status: 400, body: { field: 'ad.price' } });
    expect(Object.keys(sim.state().ads)).toHaveLength(before);
  });

  it('without drift, the assumed names are stored as sent', async () => {
    const ad = await readAd(await create('DRF006'));
    expect(ad.ad).toMatchObject({ campaignPrice: 239_900, oldPrice: 259_900 });
    expect(ad.vehicle.vin).toBe('YV1UZBFVDN1906224');
  });
});

describe('Wayke simulator contract drift: setting it', () => {
  it('POST /_admin/contract-drift sets it, GET shows it, null clears it', async () => {
    const set = await admin('POST', JSON.stringify({ ignored: ['ad.oldPrice'] }));
    expect(set).toEqual({ status: 200, body: { renamed: {}, ignored: ['ad.oldPrice'] } });
    expect(await admin('GET')).toEqual(set);
    expect((await readAd(await create('DRF007'))).ad).not.toHaveProperty('oldPrice');
    expect(await admin('POST', 'null')).toEqual({ status: 200, body: { renamed: {}, ignored: [] } });
    expect((await readAd(await create('DRF008'))).ad.oldPrice).toBe(259_900);
  });

  it.each([
    ['not JSON', '{'],
    ['an unknown key', '{"dropped":["ad.oldPrice"]}'],
    ['a path that is not one', '{"ignored":["ad..oldPrice"]}'],
    ['a rename to itself', '{"renamed":{"ad.price":"ad.price"}}'],
  ])('POST /_admin/contract-drift refuses %s with 400 and keeps the drift in force', async (_what, body) => {
    sim.setContractDrift({ ignored: ['ad.oldPrice'] });
    expect((await admin('POST', body)).status).toBe(400);
    expect((await admin('GET')).body).toEqual({ renamed: {}, ignored: ['ad.oldPrice'] });
  });

  it('the contractDrift option starts the simulator drifted', async () => {
    const drifted = await startWaykeSimulator({ contractDrift: { ignored: ['ad.oldPrice'] } });
    try {
      const answer = await fetch(`${drifted.url}/_admin/contract-drift`);
      expect(await answer.json()).toEqual({ renamed: {}, ignored: ['ad.oldPrice'] });
    } finally {
      await drifted.stop();
    }
  });

  it('setContractDrift throws on a malformed drift', () => {
    expect(() => sim.setContractDrift({ ignored: ['not a path'] })).toThrow();
  });

  it('simulate-wayke --rename-field and --ignore-field start it drifted', async () => {
    const { child, urls } = await startSimulatorCli([
      '--rename-field',
      'ad.campaignPrice=ad.discountPrice',
      '--ignore-field',
      'vehicle.vin',
    ]);
    try {
      const answer = await fetch(`${urls.url}/_admin/contract-drift`);
      expect(await answer.json()).toEqual({
        renamed: { 'ad.campaignPrice': 'ad.discountPrice' },
        ignored: ['vehicle.vin'],
      });
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('simulate-wayke refuses a malformed --rename-field with exit 2', async () => {
    const child = spawn(
      process.execPath,
      ['bin/wayke-dms.js', 'simulate-wayke', '--port', '0', '--rename-field', 'ad.price'],
      {
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('--rename-field must be <assumed>=<stored>');
  });
});
