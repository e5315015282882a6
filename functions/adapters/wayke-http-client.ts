/**
 * The Wayke client: the `WaykeApi` port over Node's built-in fetch, built to survive a flaky
 * partner. It is two parts: the transport (`wayke-transport.ts`: auth and its token cache,
 * retries with `Retry-After`, the per-branch limit, timeouts, errors of the Wayke family) and the
 * endpoints (`wayke-endpoints.ts`: one function per Wayke operation). Every Wayke field name lives
 * in `wayke-mapping.ts`.
 *
 * Hygiene: one debug line per HTTP call (operation, method, path, status, duration, attempt); the
 * client id, secret and tokens never reach a log line or an error message.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { SecretStore, WaykeApi, WaykeApiFactory } from '../ports.js';
import * as endpoints from './wayke-endpoints.js';
import { WAYKE_REPRESENTATION } from './wayke-mapping.js';
import {
  sharedTransportParts,
  WaykeTransport,
  type WaykeClientOptions,
  type WaykeClientSettings,
} from './wayke-transport.js';

export type { WaykeClientOptions, WaykeClientSettings } from './wayke-transport.js';

/** The Wayke base URLs from the environment (`WAYKE_AUTH_URL`, …), validated at start. */
export const WaykeUrlsEnvSchema = z.object({
  WAYKE_AUTH_URL: z.url({ protocol: /^https?$/ }),
  WAYKE_DEALER_API_URL: z.url({ protocol: /^https?$/ }),
  WAYKE_MEDIA_API_URL: z.url({ protocol: /^https?$/ }),
});

/** The base URLs of a client from validated `WAYKE_*_URL` variables. */
export function waykeUrlsFromEnv(
  env: z.output<typeof WaykeUrlsEnvSchema>,
): Pick<WaykeClientSettings, 'authUrl' | 'dealerApiUrl' | 'mediaApiUrl'> {
  return { authUrl: env.WAYKE_AUTH_URL, dealerApiUrl: env.WAYKE_DEALER_API_URL, mediaApiUrl: env.WAYKE_MEDIA_API_URL };
}

/** Builds a client for one set of Wayke credentials. */
export function createWaykeClient(options: WaykeClientOptions): WaykeApi {
  const deps: endpoints.EndpointDeps = { transport: new WaykeTransport(options), branches: new endpoints.AdBranches() };
  const findAdByRegistrationNumber = endpoints.findAdByRegistrationNumber(deps);
  return {
    findAdByRegistrationNumber,
    getAd: endpoints.getAd(deps),
    createAd: endpoints.createAd(deps, findAdByRegistrationNumber),
    patchAd: endpoints.patchAd(deps),
    setStatus: endpoints.setStatus(deps),
    setMedia: endpoints.setMedia(deps),
    uploadImageByUrl: endpoints.uploadImageByUrl(deps),
    uploadImageBytes: endpoints.uploadImageBytes(deps),
    representation: WAYKE_REPRESENTATION,
  };
}

/**
 * A factory for clients of many dealers that share one token cache (tokens per client id), one
 * per-branch concurrency limiter and the hosts' `Retry-After` gates. Build it once per process.
 */
export function createWaykeClientFactory(settings: WaykeClientSettings): WaykeApiFactory {
  const shared: WaykeClientSettings = { ...settings, ...sharedTransportParts(settings) };
  return ({ clientId, clientSecret }) => createWaykeClient({ ...shared, clientId, clientSecret });
}

/**
 * Wayke clients per dealer, from each dealer's credentials in the {@link SecretStore}: one client
 * per credentials (a rotated secret gets a new one), all from one factory so they share its token
 * cache, limits and gates. Build it once per process.
 */
export function createDealerWaykeClients(
  factory: WaykeApiFactory,
  secrets: SecretStore,
): (dealer: { readonly id: string }) => Promise<WaykeApi> {
  const clients = new Map<string, WaykeApi>();
  return async (dealer) => {
    const { waykeClientId, waykeClientSecret } = await secrets.getDealerSecrets(dealer.id);
    const key = `${waykeClientId}\n${createHash('sha256').update(waykeClientSecret).digest('hex')}`;
    let client = clients.get(key);
    if (!client) {
      client = factory({ clientId: waykeClientId, clientSecret: waykeClientSecret });
      clients.set(key, client);
    }
    return client;
  };
}
