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
import type { Market } from '../core/dealer-config.js';
import type { SecretStore, WaykeApi, WaykeApiFactory } from '../ports.js';
import { createMediaDownloader, hostsResolver, type MediaDownloadOptions } from './media-download.js';
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

/** Where media a feed names may be downloaded from (360 frames): see `media-download.ts`. */
export interface MediaDownloadSettings {
  /** Default: {@link defaultMediaDownload}. */
  readonly mediaDownload?: MediaDownloadOptions;
}

/**
 * Names the local run resolves itself for media downloads (`name=address,…`), so a feed's
 * public-looking frame host can be a server on this machine. Read only by a local client.
 */
export const MEDIA_RESOLVE_ENV = 'WAYKE_DMS_MEDIA_RESOLVE';

const isLoopbackUrl = (value: string): boolean => {
  const host = new URL(value).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
};

/**
 * The download policy of a client without `mediaDownload`: public hosts only — unless the client
 * is local (its Wayke is on loopback: the simulator) and not in Lambda; then loopback hosts are
 * accepted too and {@link MEDIA_RESOLVE_ENV} names hosts it resolves itself.
 */
export function defaultMediaDownload(mediaApiUrl: string, env: NodeJS.ProcessEnv = process.env): MediaDownloadOptions {
  if (!isLoopbackUrl(mediaApiUrl) || env.AWS_LAMBDA_FUNCTION_NAME) return {};
  const hosts = env[MEDIA_RESOLVE_ENV];
  return { allowLoopback: true, ...(hosts ? { resolve: hostsResolver(hosts) } : {}) };
}

/**
 * Builds a client for one set of Wayke credentials and the market of the branch it acts for (the
 * market code of its creates and the odometer unit, both ways; absent: the config's default).
 */
export function createWaykeClient(
  options: WaykeClientOptions & MediaDownloadSettings & { readonly market?: Market },
): WaykeApi {
  const deps: endpoints.EndpointDeps = {
    transport: new WaykeTransport(options),
    branches: new endpoints.AdBranches(),
    ...(options.market ? { market: options.market } : {}),
    download: createMediaDownloader(options.mediaDownload ?? defaultMediaDownload(options.mediaApiUrl)),
  };
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
    registerVideo: endpoints.registerVideo(deps),
    createPanorama: endpoints.createPanorama(deps),
    uploadPanoramaFrame: endpoints.uploadPanoramaFrame(deps),
    representation: WAYKE_REPRESENTATION,
  };
}

/**
 * A factory for clients of many dealers that share one token cache (tokens per client id), one
 * per-branch concurrency limiter and the hosts' `Retry-After` gates. Build it once per process.
 */
export function createWaykeClientFactory(settings: WaykeClientSettings & MediaDownloadSettings): WaykeApiFactory {
  const shared: WaykeClientSettings & MediaDownloadSettings = { ...settings, ...sharedTransportParts(settings) };
  return ({ clientId, clientSecret, market }) =>
    createWaykeClient({ ...shared, clientId, clientSecret, ...(market ? { market } : {}) });
}

/**
 * Wayke clients per dealer, from each dealer's credentials in the {@link SecretStore} and its
 * market: one client per credentials and market (a rotated secret gets a new one; two dealers on
 * one set of credentials in two markets get one each), all from one factory so they share its
 * token cache, limits and gates. Build it once per process.
 */
export function createDealerWaykeClients(
  factory: WaykeApiFactory,
  secrets: SecretStore,
): (dealer: { readonly id: string; readonly market?: Market }) => Promise<WaykeApi> {
  const clients = new Map<string, WaykeApi>();
  return async (dealer) => {
    const { waykeClientId, waykeClientSecret } = await secrets.getDealerSecrets(dealer.id);
    const secretDigest = createHash('sha256').update(waykeClientSecret).digest('hex');
    const key = `${waykeClientId}\n${secretDigest}\n${dealer.market ?? ''}`;
    let client = clients.get(key);
    if (!client) {
      client = factory({
        clientId: waykeClientId,
        clientSecret: waykeClientSecret,
        ...(dealer.market ? { market: dealer.market } : {}),
      });
      clients.set(key, client);
    }
    return client;
  };
}
