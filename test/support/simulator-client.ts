import {
  createWaykeClient,
  type MediaDownloadSettings,
  type WaykeClientOptions,
} from '../../functions/adapters/wayke-http-client.js';
import { DEFAULT_FAULTS } from '../../functions/local/wayke-simulator/faults.js';
import { DEFAULT_SIMULATOR_CLIENT, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import type { WaykeSimulatorFaults } from '../../functions/local/wayke-simulator/types.js';
import type { Vehicle } from '../../functions/core/vehicle.js';
import type { WaykeApi } from '../../functions/ports.js';
import { BRANCH } from './import-harness.js';

/** A second branch, for what must stay apart from the test branch (`BRANCH`). */
export const OTHER_BRANCH = '7c1e9b2a-3d4f-4e5a-8b6c-0d1e2f3a4b5c';

/**
 * Every fault off, for `setFaults` between tests: the simulator's defaults (which inject nothing)
 * without the seed, because a seed restarts the fault sequence and a reset should only clear faults.
 */
const { seed: _seed, ...faultsOff } = DEFAULT_FAULTS;
export const NO_FAULTS: Omit<WaykeSimulatorFaults, 'seed'> = faultsOff;

/**
 * The raw answer to a client-credentials token request, sent as Wayke's identity server wants it
 * (a form body, scope `api-resource`); the simulator's default client unless another is named.
 */
export function requestToken(
  sim: Pick<WaykeSimulator, 'authUrl'>,
  clientId = DEFAULT_SIMULATOR_CLIENT.clientId,
  clientSecret = DEFAULT_SIMULATOR_CLIENT.clientSecret,
): Promise<Response> {
  return fetch(`${sim.authUrl}/connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: 'api-resource',
    }),
  });
}

/**
 * The real Wayke client pointed at a simulator, as its default API client. `options` override
 * any of that (other credentials; other URLs, for a stand-in server) and tune the transport (retry
 * backoff, concurrency, timeouts, media download) the way each test or bench needs.
 */
export function simulatorWaykeClient(
  sim: Pick<WaykeSimulator, 'authUrl' | 'dealerApiUrl' | 'mediaApiUrl'>,
  options: Partial<WaykeClientOptions & MediaDownloadSettings> = {},
): WaykeApi {
  return createWaykeClient({
    authUrl: sim.authUrl,
    dealerApiUrl: sim.dealerApiUrl,
    mediaApiUrl: sim.mediaApiUrl,
    ...DEFAULT_SIMULATOR_CLIENT,
    ...options,
  });
}

/** What `publishAd` takes besides the vehicle: the media to create it with, another branch. */
export type PublishOptions = Omit<Parameters<WaykeApi['createAd']>[0], 'vehicle' | 'status' | 'branchId'> & {
  readonly branchId?: string;
};

/** Publishes an ad for `vehicle` on the test branch (or `options.branchId`); resolves with its Wayke id. */
export async function publishAd(wayke: WaykeApi, vehicle: Vehicle, options: PublishOptions = {}): Promise<string> {
  const { branchId = BRANCH, ...media } = options;
  const { id } = await wayke.createAd({ branchId, status: 'Published', vehicle, ...media });
  return id;
}
