import { createWaykeClient, type WaykeClientOptions } from '../../functions/adapters/wayke-http-client.js';
import { DEFAULT_SIMULATOR_CLIENT, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import type { Vehicle } from '../../functions/core/vehicle.js';
import type { WaykeApi } from '../../functions/ports.js';
import { BRANCH } from './import-harness.js';

/**
 * The real Wayke client pointed at a simulator, as its default API client. `options` tune the
 * transport (retry backoff, concurrency, timeouts) the way each test or bench needs.
 */
export function simulatorWaykeClient(
  sim: Pick<WaykeSimulator, 'authUrl' | 'dealerApiUrl' | 'mediaApiUrl'>,
  options: Partial<WaykeClientOptions> = {},
): WaykeApi {
  return createWaykeClient({
    authUrl: sim.authUrl,
    dealerApiUrl: sim.dealerApiUrl,
    mediaApiUrl: sim.mediaApiUrl,
    ...DEFAULT_SIMULATOR_CLIENT,
    ...options,
  });
}

/** Publishes an ad for `vehicle` on the test branch (or `options.branchId`); resolves with its Wayke id. */
export async function publishAd(
  wayke: WaykeApi,
  vehicle: Vehicle,
  options: { readonly branchId?: string; readonly mediaUrls?: readonly string[] } = {},
): Promise<string> {
  const { branchId = BRANCH, mediaUrls } = options;
  const { id } = await wayke.createAd({ branchId, status: 'Published', vehicle, ...(mediaUrls ? { mediaUrls } : {}) });
  return id;
}
