/**
 * The simulator's markets over plain HTTP: each branch sells in one market (option, admin route;
 * default SE), a create in another market is refused naming `marketCode`, and an ad keeps its
 * odometer with the unit of its market, returned on read as `odometerReading` beside `mileage`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWaykeSimulator, type WaykeSimulator } from '../../../functions/local/wayke-simulator/index.js';

const SE_BRANCH = '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';
const NO_BRANCH = '7c1e9b2a-3d4f-4e5a-8b6c-0d1e2f3a4b5c';
const FI_BRANCH = '0f1e2d3c-4b5a-4968-8776-655443322110';
const MOVED_BRANCH = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

let sim: WaykeSimulator;
let token: string;
let plateNo = 10;
const plate = (): string => `MKT${plateNo++}`;

async function http(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const createBody = (branch: string, marketCode: string | undefined, mileage = 12_300) => ({
  branch,
  ...(marketCode ? { marketCode } : {}),
  vehicle: { registrationNumber: plate(), mileage },
  ad: { price: 199_900 },
});

beforeAll(async () => {
  sim = await startWaykeSimulator({ branchMarkets: { [NO_BRANCH]: 'NO', [FI_BRANCH]: 'FI' } });
  const answer = await fetch(`${sim.authUrl}/connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'sim-client',
      client_secret: 'sim-secret',
    }),
  });
  token = ((await answer.json()) as { access_token: string }).access_token;
});
afterAll(async () => {
  await sim?.stop();
});

describe('branch markets', () => {
  it('refuses a create whose marketCode is not the branch market, naming marketCode, and stores nothing', async () => {
    const before = Object.keys(sim.state().ads).length;
    const answer = await http('POST', `${sim.dealerApiUrl}/vehicle`, createBody(NO_BRANCH, 'SE'));
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('marketCode');
    expect(JSON.stringify(answer.body)).toContain(`branch ${NO_BRANCH} sells in market NO`);
    expect(Object.keys(sim.state().ads)).toHaveLength(before);
  });

  it('refuses a market code Wayke does not serve', async () => {
    const answer = await http('POST', `${sim.dealerApiUrl}/vehicle`, createBody(SE_BRANCH, 'DK'));
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('marketCode');
  });

  it('puts an ad without marketCode in its branch market; a branch nobody configured sells in SE', async () => {
    const no = await http('POST', `${sim.dealerApiUrl}/vehicle`, createBody(NO_BRANCH, undefined));
    const se = await http('POST', `${sim.dealerApiUrl}/vehicle`, createBody(SE_BRANCH, undefined, 1230));
    expect(sim.state().ads[no.body.id]).toMatchObject({ marketCode: 'NO' });
    expect(sim.state().ads[se.body.id]).toMatchObject({ marketCode: 'SE' });
  });

  it('sets a branch market through the admin route, for the creates that follow', async () => {
    const set = await fetch(`${sim.url}/_admin/branches/${MOVED_BRANCH}/market`, {
      method: 'POST',
      body: JSON.stringify({ market: 'FI' }),
    });
    expect(set.status).toBe(204);
    const refused = await http('POST', `${sim.dealerApiUrl}/vehicle`, createBody(MOVED_BRANCH, 'SE'));
    const created = await http('POST', `${sim.dealerApiUrl}/vehicle`, createBody(MOVED_BRANCH, 'FI'));
    expect(refused.status).toBe(400);
    expect(created.status).toBe(201);
  });

  it('answers 400 to an admin market that Wayke does not serve', async () => {
    const answer = await fetch(`${sim.url}/_admin/branches/${MOVED_BRANCH}/market`, {
      method: 'POST',
      body: JSON.stringify({ market: 'DK' }),
    });
    expect(answer.status).toBe(400);
  });
});

describe('odometer with its unit', () => {
  it('returns an SE ad with odometerReading in ScandinavianMile beside mileage', async () => {
    const { body } = await http('POST', `${sim.dealerApiUrl}/vehicle`, createBody(SE_BRANCH, 'SE', 1230));
    const read = await http('GET', `${sim.dealerApiUrl}/vehicle/${body.id}/ad`);
    expect(read.body.vehicle).toMatchObject({
      mileage: 1230,
      odometerReading: { value: 1230, unit: 'ScandinavianMile' },
    });
  });

  it('returns an FI ad with odometerReading in Kilometer', async () => {
    const { body } = await http('POST', `${sim.dealerApiUrl}/vehicle`, createBody(FI_BRANCH, 'FI', 12_300));
    const read = await http('GET', `${sim.dealerApiUrl}/vehicle/${body.id}/ad`);
    expect(read.body.vehicle.odometerReading).toEqual({ value: 12_300, unit: 'Kilometer' });
  });

  it('moves odometerReading with a patched mileage, in the unit of the ad', async () => {
    const { body } = await http('POST', `${sim.dealerApiUrl}/vehicle`, createBody(NO_BRANCH, 'NO', 12_300));
    const patched = await http('PATCH', `${sim.dealerApiUrl}/vehicle/${body.id}`, { vehicle: { mileage: 15_000 } });
    const read = await http('GET', `${sim.dealerApiUrl}/vehicle/${body.id}/ad`);
    expect(patched.status).toBe(204);
    expect(read.body.vehicle.odometerReading).toEqual({ value: 15_000, unit: 'Kilometer' });
  });

  it('keeps an ad in its market: a patch to another market code is refused', async () => {
    const { body } = await http('POST', `${sim.dealerApiUrl}/vehicle`, createBody(NO_BRANCH, 'NO'));
    const answer = await http('PATCH', `${sim.dealerApiUrl}/vehicle/${body.id}`, { marketCode: 'SE' });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('marketCode');
    expect(sim.state().ads[body.id]).toMatchObject({ marketCode: 'NO' });
  });

  it('does not accept odometerReading on the write side (it is the read side name)', async () => {
    const body = {
      ...createBody(SE_BRANCH, 'SE'),
      vehicle: { registrationNumber: plate(), mileage: 1, odometerReading: {} },
    };
    const answer = await http('POST', `${sim.dealerApiUrl}/vehicle`, body);
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('vehicle.odometerReading');
  });
});
