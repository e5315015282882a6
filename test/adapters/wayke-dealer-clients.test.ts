import { describe, expect, it } from 'vitest';
import { createDealerWaykeClients } from '../../functions/adapters/wayke-http-client.js';
import type { DealerSecrets, SecretStore, WaykeApi, WaykeApiFactory } from '../../functions/ports.js';

describe('createDealerWaykeClients', () => {
  it('builds one client per dealer credentials and a new one when a secret is rotated', async () => {
    const stored: Record<string, DealerSecrets> = {
      a: { waykeClientId: 'client-a', waykeClientSecret: 's1', dmsSigningSecret: 'whsec_AAAA' },
      b: { waykeClientId: 'client-a', waykeClientSecret: 's1', dmsSigningSecret: 'whsec_AAAA' },
      c: { waykeClientId: 'client-c', waykeClientSecret: 's1', dmsSigningSecret: 'whsec_AAAA' },
    };
    const secrets: SecretStore = { getDealerSecrets: async (id) => stored[id]! };
    const built: Array<{ clientId: string; clientSecret: string }> = [];
    const factory: WaykeApiFactory = (credentials) => {
      built.push(credentials);
      return { credentials } as unknown as WaykeApi;
    };
    const clientFor = createDealerWaykeClients(factory, secrets);

    const first = await clientFor({ id: 'a' });
    expect(await clientFor({ id: 'a' })).toBe(first);
    // Two dealers under one organisation client share it (and its token).
    expect(await clientFor({ id: 'b' })).toBe(first);
    expect(await clientFor({ id: 'c' })).not.toBe(first);
    stored.a = { ...stored.a!, waykeClientSecret: 's2' };
    const rotated = await clientFor({ id: 'a' });
    expect(rotated).not.toBe(first);
    expect(built.map((c) => `${c.clientId}/${c.clientSecret}`)).toEqual(['client-a/s1', 'client-c/s1', 'client-a/s2']);
  });
});
