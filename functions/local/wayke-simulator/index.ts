/**
 * A Wayke simulator: a real HTTP server on 127.0.0.1 that implements every call of the contract
 * (`docs/wayke-api.md`) with in-memory state (kept in a JSON file with `stateFile`, as `npm start`
 * does under `<data>/wayke-simulator.json`), so tests and `npm start` need no Wayke account.
 *
 * One server plays the three hosts under distinct path prefixes — `authUrl` (`…/auth`),
 * `dealerApiUrl` (`…/dealer`), `mediaApiUrl` (`…/media`) — each a base URL a client is configured
 * with exactly like the real host. It enforces the contract (bearer on every call, mandatory fields
 * and types, media URLs from its own upload, status enum, 404s, find-by-plate per branch), injects
 * seeded faults (5xx, 429 + Retry-After, latency, commit-then-fail), POSTs webhooks when an ad
 * changes, and shows its state read-only. Admin routes under `/_admin/` need no token.
 *
 * Image upload by URL never fetches anything: it records the source URL and answers with a media
 * URL on the simulator, which serves a tiny generated PNG.
 *
 * Admin routes (no token; for tests, the local run and curl):
 *   GET  /_admin/state                 the state view (as `state()`)
 *   POST /_admin/faults                merge faults, e.g. `{"serverErrorRate":0.2,"seed":7}`
 *   POST /_admin/webhook               `{ branchId?, url, headers? }` (body `null` clears the default)
 *   POST /_admin/ads/{id}/process      `{ processName, stepName, state }` → process event webhook
 *   POST /_admin/tokens/revoke         every issued token becomes invalid (next calls get 401)
 *   POST /_admin/clients               `{ clientId, clientSecret, branchIds? }`
 *   POST /_admin/branches/{id}/market  `{ market: "SE" | "NO" | "FI" }`: the market the branch sells in
 *   GET|POST /_admin/contract-drift    `{ renamed?: { "ad.campaignPrice": "ad.discountPrice" }, ignored?: [...] }`
 *                                      (`null` clears): a Wayke that renames or drops fields
 *
 * Semantics where the contract is silent (assumed): duplicates are allowed (two creates for one
 * plate make two ads, as a naive client would cause); find-by-plate answers the newest non-Deleted
 * ad of that branch, else the newest; a Deleted ad can still be read and re-published; a read ad is
 * the create body's shape plus `id`, `createdAt`, `updatedAt`, `version`; a branch-scoped client
 * gets 403 on another branch's create/upload and 404 on its ads. Each branch sells in one market
 * (`branchMarkets`, default SE): a create with another `marketCode` is a 400 naming it; an absent
 * `marketCode` is the branch's. `vehicle.mileage` is in the ad's market's unit (mil for SE, km for
 * NO and FI) and a read ad carries it again as `vehicle.odometerReading { value, unit }`.
 *
 * The parts: `state.ts` (what it knows) and `persistence.ts` (the state file), `auth.ts`, `ads.ts`,
 * `media.ts`, `webhooks.ts` (out), `faults.ts`, `admin.ts`, `routes.ts` and `server.ts` (HTTP), on the
 * contract in `contract.ts` and the plate registry in `registry.ts`.
 */
import { revokeTokens } from './auth.js';
import { setContractDrift } from './contract-drift.js';
import { loadStateFile, StateFile } from './persistence.js';
import { close, listen, type ServerContext } from './server.js';
import { SimulatorState } from './state.js';
import {
  DEFAULT_SIMULATOR_CLIENT,
  SIMULATOR_DEFAULTS,
  type WaykeSimulator,
  type WaykeSimulatorOptions,
} from './types.js';
import { WebhookSender } from './webhooks.js';

export { CONTRACT_DRIFT_PATH, type WaykeContractDrift } from './contract-drift.js';
export { prng } from './faults.js';
export {
  DEFAULT_SIMULATOR_CLIENT,
  SIMULATOR_DEFAULTS,
  type ProcessEventInput,
  type SimulatedAd,
  type SimulatedMedia,
  type SimulatedRequest,
  type WaykeSimulator,
  type WaykeSimulatorClient,
  type WaykeSimulatorFaults,
  type WaykeSimulatorOptions,
  type WaykeSimulatorState,
  type WaykeSimulatorWebhookTarget,
  type WebhookDelivery,
} from './types.js';

/** The parts wired on one state, before the server listens. */
function compose(options: WaykeSimulatorOptions): ServerContext & { restored: boolean } {
  const state = new SimulatorState({
    clients: options.clients ?? [DEFAULT_SIMULATOR_CLIENT],
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.webhook ? { webhook: options.webhook } : {}),
    ...(options.branchMarkets ? { branchMarkets: options.branchMarkets } : {}),
  });
  if (options.contractDrift) setContractDrift(state, options.contractDrift);
  const restored = options.stateFile ? loadStateFile(state, options.stateFile, options.log) : false;
  const stateFile = new StateFile(
    state,
    options.stateFile,
    options.saveDelayMs ?? SIMULATOR_DEFAULTS.saveDelayMs,
    options.log,
  );
  const webhooks = new WebhookSender(state, {
    attempts: Math.max(1, options.webhookAttempts ?? SIMULATOR_DEFAULTS.webhookAttempts),
    retryDelayMs: options.webhookRetryDelayMs ?? SIMULATOR_DEFAULTS.webhookRetryDelayMs,
    ...(options.log ? { log: options.log } : {}),
    changed: () => stateFile.schedule(),
  });
  return {
    state,
    stateFile,
    webhooks,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? SIMULATOR_DEFAULTS.tokenLifetimeSeconds,
    restored,
    ...(options.log ? { log: options.log } : {}),
  };
}

/** Starts a simulator on 127.0.0.1. */
export async function startWaykeSimulator(options: WaykeSimulatorOptions = {}): Promise<WaykeSimulator> {
  const ctx = compose(options);
  const { state, stateFile, webhooks } = ctx;
  const { server, port } = await listen(ctx, options.port ?? 0);
  state.baseUrl = `http://127.0.0.1:${port}`;
  webhooks.resume();
  return {
    url: state.baseUrl,
    port,
    authUrl: `${state.baseUrl}/auth`,
    dealerApiUrl: `${state.baseUrl}/dealer`,
    mediaApiUrl: `${state.baseUrl}/media`,
    get clients() {
      return state.clients.map((c) => ({ ...c }));
    },
    get faults() {
      return state.faults.current;
    },
    setFaults: (faults) => state.faults.set(faults),
    addClient: (client) => {
      state.addClient(client);
      stateFile.schedule();
    },
    setContractDrift: (drift) => setContractDrift(state, drift),
    revokeTokens: () => revokeTokens(state),
    setWebhook: (target) => state.setWebhook(target),
    setBranchMarket: (branchId, market) => void state.branchMarkets.set(branchId, market),
    triggerProcessEvent: (adId, event) => webhooks.processEvent(adId, event),
    webhooksIdle: () => webhooks.idle(),
    state: () => state.view(),
    restored: ctx.restored,
    saveState: () => stateFile.save(),
    stop: async () => {
      state.stopped = true;
      await close(server);
      await stateFile.close();
    },
  };
}
