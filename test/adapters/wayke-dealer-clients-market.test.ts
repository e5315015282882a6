/** Dealer clients per market: the dealer's market reaches the client it gets, and keys it. */
import { describe, expect, it } from 'vitest';
import { createDealerWaykeClients } from '../../functions/adapters/wayke-http-client.js';
import type { SecretStore, WaykeApi, WaykeApiFactory } from '../../functions/ports.js';

const secrets: SecretStore = {
  getDealerSecrets: async () => ({ waykeClientId: 'org', waykeClientSecret: 's1', dmsSigningSecret: 'whsec_AAAA' }),
};

function recordingFactory() {
  const built: Array<Parameters<WaykeApiFactory>[0]> = [];
  const factory: WaykeApiFactory = (client) => {
    built.push(client);
    return { client } as unknown as WaykeApi;
  };
  return { factory, built };
}

describe('createDealerWaykeClients and markets', () => {
  it("builds each dealer's client for its market", async () => {
    const { factory, built } = recordingFactory();
    const clientFor = createDealerWaykeClients(factory, secrets);
    await clientFor({ id: 'fjordbil', market: 'NO' });
    expect(built).toEqual([{ clientId: 'org', clientSecret: 's1', market: 'NO' }]);
  });

  it('gives two dealers on one set of credentials in two markets a client each, one per market', async () => {
    const { factory, built } = recordingFactory();
    const clientFor = createDealerWaykeClients(factory, secrets);
    const no = await clientFor({ id: 'fjordbil', market: 'NO' });
    const se = await clientFor({ id: 'bilhallen', market: 'SE' });
    expect(se).not.toBe(no);
    expect(await clientFor({ id: 'vikenbil', market: 'NO' })).toBe(no);
    expect(built.map((c) => c.market)).toEqual(['NO', 'SE']);
  });
});
