/**
 * The vehicle a DMS receives is in km whatever the dealer's market: the enrichment step reads the
 * ad from Wayke (the simulator, over HTTP) with the dealer's client, which is bound to its market.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLog } from '../../../functions/adapters/logger.js';
import {
  createDealerWaykeClients,
  createWaykeClient,
  createWaykeClientFactory,
} from '../../../functions/adapters/wayke-http-client.js';
import { DealerSchema, type Market } from '../../../functions/core/dealer-config.js';
import { classifyWaykeEvent, type WaykeEvent } from '../../../functions/core/events/classify.js';
import { makeEnrich } from '../../../functions/core/events/enrich.js';
import { startWaykeSimulator, type WaykeSimulator } from '../../../functions/local/wayke-simulator/index.js';
import type { SecretStore } from '../../../functions/ports.js';
import { FIXTURES } from '../../support/webhooks.js';

const NO_BRANCH = '7c1e9b2a-3d4f-4e5a-8b6c-0d1e2f3a4b5c';
const SE_BRANCH = '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';
const secrets: SecretStore = {
  getDealerSecrets: async () => ({
    waykeClientId: 'sim-client',
    waykeClientSecret: 'sim-secret',
    dmsSigningSecret: 'whsec_AAAA',
  }),
};

let sim: WaykeSimulator;
beforeAll(async () => {
  sim = await startWaykeSimulator({ branchMarkets: { [NO_BRANCH]: 'NO' } });
});
afterAll(async () => {
  await sim?.stop();
});

const urls = () => ({ authUrl: sim.authUrl, dealerApiUrl: sim.dealerApiUrl, mediaApiUrl: sim.mediaApiUrl });

/** An ad created in Wayke by the dealer's own market client, as the import would. */
async function adOf(branchId: string, market: Market, registrationNumber: string): Promise<string> {
  const client = createWaykeClient({ ...urls(), clientId: 'sim-client', clientSecret: 'sim-secret', market });
  const { id } = await client.createAd({
    branchId,
    vehicle: { registrationNumber, price: 249_900, mileage: 12_300 },
    status: 'Published',
  });
  return id;
}

/** The purchase fixture, about the ad `adId`. */
function purchaseOf(adId: string): WaykeEvent {
  const classified = classifyWaykeEvent(
    JSON.parse(FIXTURES['purchase-contract-completed']!.replaceAll('5f1c2b7e-0a4d-4c1e-9a57-3e2f1d9b8c01', adId)),
  );
  if (!classified.ok) throw new Error(classified.reason);
  return classified.event;
}

const enrich = () =>
  makeEnrich({ wayke: createDealerWaykeClients(createWaykeClientFactory(urls()), secrets), log: new MemoryLog() });

describe('the vehicle delivered to the DMS, per market', () => {
  it('has 12 300 km for a NO dealer (Wayke holds 12 300 km), not 123 000', async () => {
    const adId = await adOf(NO_BRANCH, 'NO', 'NOR482');
    const dealer = DealerSchema.parse({ id: 'fjordbil', name: 'Fjordbil', branchId: NO_BRANCH, market: 'NO' });
    const vehicle = await enrich()({ dealer, event: purchaseOf(adId), kind: 'vehicle.purchased', eventId: 'e1' });
    expect(sim.state().ads[adId]?.vehicle.mileage).toBe(12_300);
    expect(vehicle).toMatchObject({ registrationNumber: 'NOR482', mileageKm: 12_300 });
  });

  it('has 12 300 km for an SE dealer (Wayke holds 1 230 mil)', async () => {
    const adId = await adOf(SE_BRANCH, 'SE', 'SWE482');
    const dealer = DealerSchema.parse({ id: 'bilhallen', name: 'Bilhallen', branchId: SE_BRANCH });
    const vehicle = await enrich()({ dealer, event: purchaseOf(adId), kind: 'vehicle.purchased', eventId: 'e2' });
    expect(sim.state().ads[adId]?.vehicle.mileage).toBe(1230);
    expect(vehicle).toMatchObject({ registrationNumber: 'SWE482', mileageKm: 12_300 });
  });
});
