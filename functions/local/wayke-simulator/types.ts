/**
 * The simulator's public types (what `startWaykeSimulator` takes and gives) and the shapes its parts
 * share internally (`MutableAd`, `StoredMedia`, `Token`).
 */
import type { Log } from '../../ports.js';
import type { SimAdStatus, SimMarket } from './contract.js';
import type { WaykeContractDrift } from './contract-drift.js';

/** Faults the simulator injects into API calls (never into `/_admin/` routes or media file GETs). */
export interface WaykeSimulatorFaults {
  /** Share (0–1) of calls answered 500 before anything is applied. */
  readonly serverErrorRate: number;
  /** Share (0–1) of calls answered 429 with `Retry-After`. */
  readonly throttleRate: number;
  /** The `Retry-After` of a 429, in seconds. */
  readonly retryAfterSeconds: number;
  /** Send `Retry-After` as an HTTP date instead of seconds. */
  readonly retryAfterAsDate: boolean;
  /** Added to every call before it is handled. */
  readonly latencyMs: number;
  /** Share (0–1) of successful changes that are applied, then answered 500. */
  readonly commitThenFailRate: number;
  /** Seed of the PRNG behind every rate: same seed + same call sequence → same faults. */
  readonly seed: number;
  /** Deterministic counters, taken before the rates: the next N faultable calls get this fault. */
  readonly throttleNext: number;
  readonly serverErrorNext: number;
  readonly commitThenFailNext: number;
  /** Limit faults to these routes (keys as in `state().calls`, e.g. `POST /vehicle`); empty = all. */
  readonly routes: readonly string[];
}

export interface WaykeSimulatorClient {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Branches the client may act for; absent = an organisation client (any branch). */
  readonly branchIds?: readonly string[];
}

/** Where webhooks go: per branch, or the default (no `branchId`). */
export interface WaykeSimulatorWebhookTarget {
  readonly branchId?: string;
  readonly url: string;
  /** Sent with every delivery, e.g. `{ authorization: 'Bearer <secret>' }`. Never shown in `state()`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The client accepted when `clients` is not given. */
export const DEFAULT_SIMULATOR_CLIENT: WaykeSimulatorClient = { clientId: 'sim-client', clientSecret: 'sim-secret' };

/** What an absent option means. */
export const SIMULATOR_DEFAULTS = {
  tokenLifetimeSeconds: 3600,
  webhookAttempts: 3,
  webhookRetryDelayMs: 200,
  saveDelayMs: 200,
  /** The market of a branch no option or admin call gave one. */
  market: 'SE' as SimMarket,
} as const;

export interface WaykeSimulatorOptions {
  /** Absent or 0 picks a free port. */
  readonly port?: number;
  /** Accepted client credentials; absent: `DEFAULT_SIMULATOR_CLIENT` alone. */
  readonly clients?: readonly WaykeSimulatorClient[];
  /** `expires_in` of issued tokens, seconds. Every absent number here takes `SIMULATOR_DEFAULTS`. */
  readonly tokenLifetimeSeconds?: number;
  readonly faults?: Partial<WaykeSimulatorFaults>;
  readonly webhook?: WaykeSimulatorWebhookTarget | readonly WaykeSimulatorWebhookTarget[];
  /** Delivery attempts per webhook and the pause before the second (doubling after each). */
  readonly webhookAttempts?: number;
  readonly webhookRetryDelayMs?: number;
  /** Debug line per request (method, route, status); never bodies or tokens. */
  readonly log?: Log;
  /**
   * Keep the state in this JSON file: ads, media (uploaded bytes included), the plate index and
   * the registered clients are loaded from it at start and saved to it (temp file + rename)
   * `saveDelayMs` after a change and once more in `stop()`. Call counts, request and webhook logs, tokens, faults
   * and webhook targets are not kept. A file that cannot be read or parsed is moved aside to
   * `<file>.corrupt-<timestamp>` and the simulator starts empty with a warning (see `restored`).
   * Media URLs are kept verbatim, so they name the port of the run that uploaded them: a fixed
   * `port` keeps them fetchable; they stay valid in ad bodies either way.
   */
  readonly stateFile?: string;
  /** Debounce of the state file save after a change. */
  readonly saveDelayMs?: number;
  /**
   * Branch id → the market it sells in (absent: `SIMULATOR_DEFAULTS.market`). A create for the
   * branch with another `marketCode` is refused; the ad's odometer unit is its market's. Set
   * again with `setBranchMarket` or `POST /_admin/branches/{branchId}/market`; not kept in the
   * state file (the options give it at each start, as the local run does from the dealer config).
   */
  readonly branchMarkets?: Readonly<Record<string, SimMarket>>;
  /** Behave like a Wayke that renames or ignores fields of an ad body (see `contract-drift.ts`); absent: none. */
  readonly contractDrift?: WaykeContractDrift;
}

/** An ad as the simulator keeps it: Wayke's own JSON shape. */
export interface SimulatedAd {
  readonly id: string;
  readonly branch: string;
  readonly marketCode: string;
  readonly status: SimAdStatus;
  readonly vehicle: Readonly<Record<string, unknown>>;
  readonly ad: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Increments on every effective change. */
  readonly version: number;
  /** Wayke's online sale: absent until an online sale touched the ad (see `admin.ts`). */
  readonly ecommerce?: OnlineSale;
}

/** The online sale's state of an ad, as Wayke's read side names it (`ecommerce.reserved`). */
export interface OnlineSale {
  readonly enabled: boolean;
  readonly reserved: boolean;
}

/** What a media item is, as Wayke's read side names it (`image`, `threesixty`, `embedded`; `sphere` is not simulated). */
export type SimMediaType = 'image' | 'embedded' | 'threesixty';

export interface SimulatedMedia {
  readonly mediaId: string;
  readonly fileId: string;
  readonly url: string;
  readonly branchId: string;
  readonly sortOrder: number;
  /** Absent in state files written before media had types: an image. */
  readonly type?: SimMediaType;
  /** A 360 frame: the container (media id) it was uploaded into; frames of one container are one item. */
  readonly containerId?: string;
  /** A 360 container itself: holds frames, is no file and never goes into an ad's media list. */
  readonly container?: true;
  /** The source URL of an upload by URL (never fetched), or the link of an embedded video. */
  readonly sourceUrl?: string;
  readonly fileName?: string;
  readonly contentType: string;
  readonly size: number;
}

export interface SimulatedRequest {
  /** Arrival, epoch ms. */
  readonly at: number;
  readonly method: string;
  /** Route key, e.g. `PATCH /vehicle/{id}`, or `unknown`. */
  readonly route: string;
  readonly path: string;
  status?: number;
  /** When the answer was sent, epoch ms. */
  respondedAt?: number;
  /** The fault injected, if any. */
  fault?: 'throttle' | 'serverError' | 'commitThenFail';
  /** The `Retry-After` sent with a 429. */
  retryAfter?: string;
}

/** A webhook queued and not yet delivered or given up: kept in the state file across a restart. */
export interface PendingWebhook {
  readonly kind: 'vehicle-updated' | 'process';
  /** The ad as it was at the change. */
  readonly ad: MutableAd;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface WebhookDelivery {
  readonly kind: 'vehicle-updated' | 'process';
  readonly adId: string;
  readonly branchId: string;
  /** Target URL (headers are never recorded). */
  readonly url: string;
  readonly ok: boolean;
  readonly attempts: number;
  /** Last HTTP status, or undefined when the target could not be reached. */
  readonly status?: number;
  readonly at: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface WaykeSimulatorState {
  readonly ads: Readonly<Record<string, SimulatedAd>>;
  /** Plate → ad ids (all branches, creation order). More than one id means a duplicate. */
  readonly adsByPlate: Readonly<Record<string, readonly string[]>>;
  /** Media id → media. */
  readonly media: Readonly<Record<string, SimulatedMedia>>;
  /** Route key → number of requests that arrived (faulted ones included). */
  readonly calls: Readonly<Record<string, number>>;
  /** The most recent requests (up to 10 000), oldest first. */
  readonly requests: readonly SimulatedRequest[];
  readonly tokensIssued: number;
  readonly webhookDeliveries: readonly WebhookDelivery[];
  readonly faults: WaykeSimulatorFaults;
}

export interface ProcessEventInput {
  readonly processName: string;
  readonly stepName: string;
  readonly state: 'started' | 'pending' | 'completed' | (string & {});
  readonly executedBy?: string;
}

export interface WaykeSimulator {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly authUrl: string;
  readonly dealerApiUrl: string;
  readonly mediaApiUrl: string;
  readonly clients: readonly WaykeSimulatorClient[];
  /** The faults in force (a copy). */
  readonly faults: WaykeSimulatorFaults;
  /** Merges into the faults in force; a new `seed` restarts the PRNG. Returns the result. */
  setFaults(faults: Partial<WaykeSimulatorFaults>): WaykeSimulatorFaults;
  addClient(client: WaykeSimulatorClient): void;
  /** Sets the contract drift in force (`null`: none); throws on a malformed one. */
  setContractDrift(drift: WaykeContractDrift | null): void;
  /** Makes every issued token invalid: the next call of each client gets a 401. */
  revokeTokens(): number;
  /** Sets the default target (no `branchId`) or a branch's; `null` removes the default. */
  setWebhook(target: WaykeSimulatorWebhookTarget | null): void;
  /** Sets the market a branch sells in, for the creates that follow (existing ads keep theirs). */
  setBranchMarket(branchId: string, market: SimMarket): void;
  /** Sends a process event (like `purchase-contract-completed.json`) for the ad; resolves after delivery. */
  triggerProcessEvent(adId: string, event: ProcessEventInput): Promise<WebhookDelivery[]>;
  /** Resolves when every webhook queued so far has been delivered or given up. */
  webhooksIdle(): Promise<void>;
  /** A deep copy of the state. */
  state(): WaykeSimulatorState;
  /** With `stateFile`: true when the state was loaded from it at start (false: it was absent or unreadable). */
  readonly restored: boolean;
  /** With `stateFile`: writes the state now (the debounced save and `stop()` do it too). */
  saveState(): Promise<void>;
  /** Stops the server and, with `stateFile`, saves the state a last time. */
  stop(): Promise<void>;
}

/** An ad as the parts change it; `state()` and reads hand out deep copies. */
export interface MutableAd {
  id: string;
  branch: string;
  marketCode: string;
  status: SimAdStatus;
  vehicle: Record<string, unknown>;
  ad: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  version: number;
  ecommerce?: OnlineSale;
}

/** A media record with the uploaded bytes (absent for an upload by URL, which serves `TINY_PNG`). */
export type StoredMedia = SimulatedMedia & { bytes?: Buffer };

/** What a bearer token grants, until `expiresAt` (epoch ms). */
export interface Token {
  readonly clientId: string;
  readonly branchIds?: readonly string[];
  readonly expiresAt: number;
}
