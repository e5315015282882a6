/**
 * The local stack (`wayke-dms dev`) with Wayke's online sale and a hand edit: a buyer reserves a
 * car in the simulated Wayke (its webhook reaches the demo DMS as `vehicle.reserved`), the dealer
 * edits another by hand, then uploads a feed changing both over SFTP. The reserved car is left
 * alone and the hand edit is reported and undone (feed-wins), in the console and the report.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../support/dev-stack.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface SimAd {
  id: string;
  status: string;
  vehicle: { registrationNumber: string };
  ad: Record<string, unknown>;
}

let stack: DevStack;
beforeAll(async () => {
  stack = await startDevStack();
  await stack.waitFor('the start-up import of bilhallen', () => /✓ bilhallen: inbound\//.test(stack.stdout()));
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

const adsByPlate = async (): Promise<Map<string, SimAd>> => {
  const state = (await (await fetch(`${stack.services.wayke}/_admin/state`)).json()) as { ads: Record<string, SimAd> };
  return new Map(Object.values(state.ads).map((ad) => [ad.vehicle.registrationNumber, ad]));
};
const admin = (path: string, body: unknown) =>
  fetch(`${stack.services.wayke}/_admin/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('wayke-dms dev: sold or reserved in Wayke wins, hand edits are seen', { timeout: 120_000 }, () => {
  it('a reserved car is held, a hand edit is reported and undone, and vehicle.reserved reaches the DMS', async () => {
    // The sample feed's first two cars; their price is the third column.
    const original = readFileSync(join(ROOT, 'examples/feeds/bilhallen.csv')).toString('latin1');
    const [header, first, second, ...rest] = original.split('\r\n') as [string, string, string, ...string[]];
    const [reservedPlate, editedPlate] = [first.split(';')[0]!, second.split(';')[0]!];
    const newPrice = (row: string, price: string) => row.replace(/^([^;]*;[^;]*;)[^;]*;/, `$1${price};`);
    const ads = await adsByPlate();
    const reserved = ads.get(reservedPlate)!;
    const edited = ads.get(editedPlate)!;

    expect((await admin(`ads/${reserved.id}/online-sale`, { state: 'reserved' })).status).toBe(200);
    expect((await admin(`ads/${edited.id}/edit`, { ad: { description: 'Ändrad i Wayke' } })).status).toBe(200);
    await stack.waitFor('vehicle.reserved at the demo DMS', () =>
      new RegExp(`demo DMS ← bilhallen: vehicle\\.reserved ${reservedPlate}`).test(stack.stdout()),
    );
    const events = (await (await fetch(`${stack.services.demoDms}/dealers/bilhallen/events`)).json()) as Array<{
      type?: string;
      verified: boolean;
      body: { registrationNumber?: string; vehicle?: { registrationNumber: string } };
    }>;
    const reservation = events.find((event) => event.type === 'vehicle.reserved');
    expect(reservation?.verified).toBe(true);
    expect(reservation?.body.vehicle?.registrationNumber).toBe(reservedPlate);

    const feed = [header, newPrice(first, '111 000'), newPrice(second, '222 000'), ...rest].join('\r\n');
    await stack.upload('bilhallen', 'held.csv', Buffer.from(feed, 'latin1'));
    const line = await stack.waitFor('the report of held.csv', () =>
      stack
        .stdout()
        .split('\n')
        .find((entry) => entry.startsWith('✓ bilhallen: inbound/held.csv')),
    );
    expect(line).toMatch(/1 updated/);
    expect(line).toMatch(/1 held in Wayke \(online sale\), 1 changed by hand in Wayke/);

    const after = await adsByPlate();
    expect(after.get(reservedPlate)!.ad.price).toBe(reserved.ad.price);
    expect(after.get(editedPlate)!.ad).toMatchObject({ price: 222_000, description: edited.ad.description });
  });
});
