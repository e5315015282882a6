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
 *
 * Semantics where the contract is silent (assumed): duplicates are allowed (two creates for one
 * plate make two ads, as a naive client would cause); find-by-plate answers the newest non-Deleted
 * ad of that branch, else the newest; a Deleted ad can still be read and re-published; a read ad is
 * the create body's shape plus `id`, `createdAt`, `updatedAt`, `version`; a branch-scoped client
 * gets 403 on another branch's create/upload and 404 on its ads.
 */
import { registryFacts } from './wayke-simulator/registry.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Log } from '../ports.js';
import {
  check,
  CreateBodySchema,
  ImageUrlBodySchema,
  MANDATORY_PATHS,
  MediaBodySchema,
  normalisePlate,
  PatchBodySchema,
  StatusBodySchema,
  type FieldProblem,
  type SimAdStatus,
} from './wayke-simulator/contract.js';

// ───────────────────────────── Public types ─────────────────────────────

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

export interface WaykeSimulatorOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Accepted client credentials; default one pair `sim-client` / `sim-secret`. */
  readonly clients?: readonly WaykeSimulatorClient[];
  /** `expires_in` of issued tokens (default 3600). */
  readonly tokenLifetimeSeconds?: number;
  readonly faults?: Partial<WaykeSimulatorFaults>;
  readonly webhook?: WaykeSimulatorWebhookTarget | readonly WaykeSimulatorWebhookTarget[];
  /** Delivery attempts per webhook (default 3) and the pause between them (default 200 ms, doubling). */
  readonly webhookAttempts?: number;
  readonly webhookRetryDelayMs?: number;
  /** Debug line per request (method, route, status); never bodies or tokens. */
  readonly log?: Log;
  /**
   * Keep the state in this JSON file: ads, media (uploaded bytes included), the plate index and
   * the registered clients are loaded from it at start and saved to it (temp file + rename) 200 ms
   * after a change and once more in `stop()`. Call counts, request and webhook logs, tokens, faults
   * and webhook targets are not kept. A file that cannot be read or parsed is moved aside to
   * `<file>.corrupt-<timestamp>` and the simulator starts empty with a warning (see `restored`).
   * Media URLs are kept verbatim, so they name the port of the run that uploaded them: a fixed
   * `port` keeps them fetchable; they stay valid in ad bodies either way.
   */
  readonly stateFile?: string;
  /** Debounce of the state file save after a change (default 200 ms). */
  readonly saveDelayMs?: number;
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
}

export interface SimulatedMedia {
  readonly mediaId: string;
  readonly fileId: string;
  readonly url: string;
  readonly branchId: string;
  readonly sortOrder: number;
  /** The source URL of an upload by URL (never fetched). */
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
  /** Makes every issued token invalid: the next call of each client gets a 401. */
  revokeTokens(): number;
  /** Sets the default target (no `branchId`) or a branch's; `null` removes the default. */
  setWebhook(target: WaykeSimulatorWebhookTarget | null): void;
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

/** The `stateFile` content (version 1). */
interface PersistedState {
  readonly version: 1;
  readonly savedAt: string;
  readonly ads: readonly MutableAd[];
  readonly adsByPlate: Readonly<Record<string, readonly string[]>>;
  readonly media: ReadonlyArray<SimulatedMedia & { bytesBase64?: string }>;
  readonly clients: readonly WaykeSimulatorClient[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The parsed state file, or a reason it cannot be used. */
function parsePersistedState(text: string): PersistedState | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not valid JSON (${(error as Error).message})`;
  }
  if (!isRecord(value) || value.version !== 1) return 'not a version 1 simulator state';
  const { ads, adsByPlate, media, clients } = value;
  if (
    !Array.isArray(ads) ||
    !ads.every(
      (ad) =>
        isRecord(ad) &&
        typeof ad.id === 'string' &&
        typeof ad.branch === 'string' &&
        isRecord(ad.vehicle) &&
        isRecord(ad.ad) &&
        typeof ad.version === 'number',
    )
  )
    return 'ads are malformed';
  if (
    !isRecord(adsByPlate) ||
    !Object.values(adsByPlate).every((ids) => Array.isArray(ids) && ids.every((id) => typeof id === 'string'))
  )
    return 'adsByPlate is malformed';
  if (
    !Array.isArray(media) ||
    !media.every(
      (m) => isRecord(m) && typeof m.mediaId === 'string' && typeof m.fileId === 'string' && typeof m.url === 'string',
    )
  )
    return 'media are malformed';
  if (
    !Array.isArray(clients) ||
    !clients.every((c) => isRecord(c) && typeof c.clientId === 'string' && typeof c.clientSecret === 'string')
  )
    return 'clients are malformed';
  return value as unknown as PersistedState;
}

// ───────────────────────────── Implementation ─────────────────────────────

const DEFAULT_FAULTS: WaykeSimulatorFaults = {
  serverErrorRate: 0,
  throttleRate: 0,
  retryAfterSeconds: 1,
  retryAfterAsDate: false,
  latencyMs: 0,
  commitThenFailRate: 0,
  seed: 1,
  throttleNext: 0,
  serverErrorNext: 0,
  commitThenFailNext: 0,
  routes: [],
};

export const DEFAULT_SIMULATOR_CLIENT: WaykeSimulatorClient = { clientId: 'sim-client', clientSecret: 'sim-secret' };

/** A 1×1 PNG, served for every media uploaded by URL. */
const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

const MAX_JSON_BYTES = 1024 * 1024;
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
const MAX_REQUEST_LOG = 10_000;
const MAX_DELIVERY_LOG = 10_000;

/** mulberry32: small, fast, good enough to make fault sequences (and test choices) repeatable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

const badRequest = (problems: FieldProblem[]): HttpAnswer =>
  new HttpAnswer(400, {
    title: 'One or more validation errors occurred.',
    status: 400,
    message: problems.map((p) => `${p.field}: ${p.message}`).join('; '),
    field: problems[0]?.field,
    errors: Object.fromEntries(problems.map((p) => [p.field, [p.message]])),
  });
const notFound = (what: string): HttpAnswer =>
  new HttpAnswer(404, { title: 'Not Found', status: 404, message: `${what} not found` });

interface Route {
  readonly key: string;
  readonly method: string;
  readonly pattern: RegExp;
  /** Needs a bearer token. */
  readonly auth: boolean;
  /** Subject to fault injection. */
  readonly faultable: boolean;
  /** Changes state (commit-then-fail applies). */
  readonly mutates: boolean;
}

const SEG = '([^/]+)';
const ROUTES: readonly Route[] = [
  {
    key: 'POST /connect/token',
    method: 'POST',
    pattern: /^\/auth\/connect\/token$/,
    auth: false,
    faultable: true,
    mutates: false,
  },
  { key: 'POST /vehicle', method: 'POST', pattern: /^\/dealer\/vehicle$/, auth: true, faultable: true, mutates: true },
  {
    key: 'PATCH /vehicle/{id}',
    method: 'PATCH',
    pattern: new RegExp(`^/dealer/vehicle/${SEG}$`),
    auth: true,
    faultable: true,
    mutates: true,
  },
  {
    key: 'GET /vehicle/{id}/ad',
    method: 'GET',
    pattern: new RegExp(`^/dealer/vehicle/${SEG}/ad$`),
    auth: true,
    faultable: true,
    mutates: false,
  },
  {
    key: 'GET /vehicle/{branchId}/vehicle/by-registration-number/{registrationNumber}',
    method: 'GET',
    pattern: new RegExp(`^/dealer/vehicle/${SEG}/vehicle/by-registration-number/${SEG}$`),
    auth: true,
    faultable: true,
    mutates: false,
  },
  {
    key: 'PUT /vehicle/{id}/ad/status',
    method: 'PUT',
    pattern: new RegExp(`^/dealer/vehicle/${SEG}/ad/status$`),
    auth: true,
    faultable: true,
    mutates: true,
  },
  {
    key: 'PUT /vehicle/{id}/media',
    method: 'PUT',
    pattern: new RegExp(`^/dealer/vehicle/${SEG}/media$`),
    auth: true,
    faultable: true,
    mutates: true,
  },
  {
    key: 'POST /media/v2/image-url',
    method: 'POST',
    pattern: /^\/media\/media\/v2\/image-url$/,
    auth: true,
    faultable: true,
    mutates: true,
  },
  {
    key: 'POST /media/v2/image',
    method: 'POST',
    pattern: /^\/media\/media\/v2\/image$/,
    auth: true,
    faultable: true,
    mutates: true,
  },
  {
    key: 'GET /files/{fileId}',
    method: 'GET',
    pattern: new RegExp(`^/media/files/${SEG}$`),
    auth: false,
    faultable: false,
    mutates: false,
  },
];

interface Token {
  readonly clientId: string;
  readonly branchIds?: readonly string[];
  readonly expiresAt: number;
}

interface MutableAd {
  id: string;
  branch: string;
  marketCode: string;
  status: SimAdStatus;
  vehicle: Record<string, unknown>;
  ad: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  version: number;
}

const clone = <T>(value: T): T => structuredClone(value);
type MediaList = ReadonlyArray<{ fileUrls: readonly string[] }>;

const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Starts a simulator on 127.0.0.1. */
export async function startWaykeSimulator(options: WaykeSimulatorOptions = {}): Promise<WaykeSimulator> {
  const clients: WaykeSimulatorClient[] = [...(options.clients ?? [DEFAULT_SIMULATOR_CLIENT])];
  const tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3600;
  const webhookAttempts = Math.max(1, options.webhookAttempts ?? 3);
  const webhookRetryDelayMs = options.webhookRetryDelayMs ?? 200;
  const log = options.log;

  let faults: WaykeSimulatorFaults = { ...DEFAULT_FAULTS, ...options.faults };
  let random = prng(faults.seed);

  const tokens = new Map<string, Token>();
  let tokensIssued = 0;
  const ads = new Map<string, MutableAd>();
  const adsByPlate = new Map<string, string[]>();
  const media = new Map<string, SimulatedMedia & { bytes?: Buffer }>();
  const mediaByUrl = new Map<string, string>();
  const calls: Record<string, number> = {};
  const requests: SimulatedRequest[] = [];
  const deliveries: WebhookDelivery[] = [];
  const webhookTargets = new Map<string, WaykeSimulatorWebhookTarget>();
  for (const target of ([] as WaykeSimulatorWebhookTarget[]).concat(
    (options.webhook ?? []) as WaykeSimulatorWebhookTarget[],
  )) {
    webhookTargets.set(target.branchId ?? '', target);
  }
  let deliveryTail: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let baseUrl = '';

  // ── the state file ──

  const stateFile = options.stateFile;
  const saveDelayMs = options.saveDelayMs ?? 200;
  let restored = false;
  if (stateFile && existsSync(stateFile)) {
    let loaded: PersistedState | string;
    try {
      loaded = parsePersistedState(readFileSync(stateFile, 'utf8'));
    } catch (error) {
      loaded = `unreadable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    }
    if (typeof loaded === 'string') {
      // Kept for a look, and out of the way of the next save.
      const aside = `${stateFile}.corrupt-${new Date().toISOString().replace(/[-:.]/g, '')}`;
      let movedTo: string | null = aside;
      try {
        renameSync(stateFile, aside);
      } catch {
        movedTo = null;
      }
      const message = `Wayke simulator state file ${stateFile} is ${loaded}; starting with an empty state`;
      if (log) log.warn(message, { stateFile, ...(movedTo ? { movedTo } : {}) });
      else process.emitWarning(`${message}${movedTo ? ` (the file was moved to ${movedTo})` : ''}`);
    } else {
      for (const ad of loaded.ads) ads.set(ad.id, clone(ad) as MutableAd);
      for (const [plate, ids] of Object.entries(loaded.adsByPlate)) {
        const known = ids.filter((id) => ads.has(id));
        if (known.length > 0) adsByPlate.set(plate, known);
      }
      for (const { bytesBase64, ...record } of loaded.media) {
        media.set(record.mediaId, {
          ...record,
          ...(bytesBase64 !== undefined ? { bytes: Buffer.from(bytesBase64, 'base64') } : {}),
        });
        mediaByUrl.set(record.url, record.mediaId);
      }
      // The clients given now win over kept ones with the same id (e.g. a changed secret).
      for (const client of loaded.clients)
        if (!clients.some((c) => c.clientId === client.clientId)) clients.push({ ...client });
      restored = true;
    }
  }

  const persisted = (): PersistedState => ({
    version: 1,
    savedAt: new Date().toISOString(),
    ads: [...ads.values()],
    adsByPlate: Object.fromEntries(adsByPlate),
    media: [...media.values()].map(({ bytes, ...record }) => ({
      ...record,
      ...(bytes ? { bytesBase64: bytes.toString('base64') } : {}),
    })),
    clients,
  });
  let saveTail: Promise<void> = Promise.resolve();
  let saveTimer: NodeJS.Timeout | null = null;
  /** Writes the state (temp file + rename, so a crash never leaves half a file); saves run one at a time. */
  const saveState = (): Promise<void> => {
    if (!stateFile) return Promise.resolve();
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = null;
    const run = saveTail.then(async () => {
      // Serialised when the save runs, so it holds every change made before it.
      const text = JSON.stringify(persisted());
      mkdirSync(dirname(stateFile), { recursive: true });
      const temp = `${stateFile}.${process.pid}.tmp`;
      await writeFile(temp, text);
      await rename(temp, stateFile);
    });
    saveTail = run.catch((error: Error) => {
      log?.warn('Wayke simulator state could not be saved', { stateFile, error: error.message });
    });
    return run;
  };
  const scheduleSave = (): void => {
    if (!stateFile || stopped || saveTimer) return;
    saveTimer = setTimeout(() => {
      saveTimer = null;
      void saveState().catch(() => undefined);
    }, saveDelayMs);
    saveTimer.unref();
  };

  // ── state helpers ──

  const indexPlate = (plate: string, id: string): void => {
    const ids = adsByPlate.get(plate) ?? [];
    if (!ids.includes(id)) ids.push(id);
    adsByPlate.set(plate, ids);
  };
  const unindexPlate = (plate: string, id: string): void => {
    const ids = (adsByPlate.get(plate) ?? []).filter((x) => x !== id);
    if (ids.length > 0) adsByPlate.set(plate, ids);
    else adsByPlate.delete(plate);
  };
  const adJson = (ad: MutableAd): SimulatedAd => clone(ad);

  /** Every url in a media list must come from this simulator's upload. */
  const checkMedia = (
    list: ReadonlyArray<{ fileUrls: readonly string[] }> | null | undefined,
    prefix: string,
  ): FieldProblem[] => {
    const problems: FieldProblem[] = [];
    (list ?? []).forEach((entry, i) =>
      entry.fileUrls.forEach((url, j) => {
        if (!mediaByUrl.has(url))
          problems.push({
            field: `${prefix}[${i}].fileUrls[${j}]`,
            message: 'is not a Wayke media URL (upload the image first)',
          });
      }),
    );
    return problems;
  };

  const mayActFor = (token: Token, branch: string): boolean => !token.branchIds || token.branchIds.includes(branch);

  // ── webhooks ──

  const targetFor = (branchId: string): WaykeSimulatorWebhookTarget | undefined =>
    webhookTargets.get(branchId) ?? webhookTargets.get('');

  const deliver = async (
    kind: WebhookDelivery['kind'],
    ad: MutableAd,
    payload: Record<string, unknown>,
  ): Promise<WebhookDelivery | undefined> => {
    const target = targetFor(ad.branch);
    if (!target || stopped) return undefined;
    let status: number | undefined;
    let attempts = 0;
    let ok = false;
    while (attempts < webhookAttempts && !stopped) {
      attempts += 1;
      try {
        const response = await fetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'wayke-simulator', ...target.headers },
          body: JSON.stringify(payload),
          signal: AbortSignal.timeout(5000),
        });
        await response.arrayBuffer().catch(() => undefined);
        status = response.status;
        ok = response.ok;
      } catch {
        status = undefined;
        ok = false;
      }
      if (ok) break;
      if (attempts < webhookAttempts) await sleep(webhookRetryDelayMs * 2 ** (attempts - 1));
    }
    const record: WebhookDelivery = {
      kind,
      adId: ad.id,
      branchId: ad.branch,
      url: target.url,
      ok,
      attempts,
      ...(status !== undefined ? { status } : {}),
      at: new Date().toISOString(),
      payload,
    };
    deliveries.push(record);
    if (deliveries.length > MAX_DELIVERY_LOG) deliveries.splice(0, deliveries.length - MAX_DELIVERY_LOG);
    log?.debug('Wayke simulator webhook', { kind, adId: ad.id, ok, status, attempts });
    return record;
  };

  /** Queues a delivery behind the earlier ones (keeps per-ad order); never blocks the caller. */
  const enqueue = (
    kind: WebhookDelivery['kind'],
    ad: MutableAd,
    payload: Record<string, unknown>,
  ): Promise<WebhookDelivery | undefined> => {
    const snapshot = clone(ad);
    const run = deliveryTail.then(() => deliver(kind, snapshot, payload));
    deliveryTail = run.catch(() => undefined);
    return run;
  };

  const vehicleUpdated = (ad: MutableAd): void => {
    const payload: Record<string, unknown> = { id: ad.id, registrationNumber: ad.vehicle.registrationNumber };
    if (typeof ad.vehicle.vin === 'string') payload.vehicleIdentificationNumber = ad.vehicle.vin;
    payload.status = ad.status;
    void enqueue('vehicle-updated', ad, payload);
  };

  const processEvent = async (adId: string, event: ProcessEventInput): Promise<WebhookDelivery[]> => {
    const ad = ads.get(adId);
    if (!ad) throw new Error(`No ad ${adId} in the simulator`);
    const payload: Record<string, unknown> = {
      eventType: 'Process',
      processId: randomBytes(20).toString('base64url').slice(0, 27),
      processName: event.processName,
      stepId: randomBytes(20).toString('base64url').slice(0, 27),
      stepName: event.stepName,
      executedBy: event.executedBy ?? 'Simulator',
      state: event.state,
      eventTime: new Date().toISOString(),
      itemId: ad.id,
      registrationNumber: ad.vehicle.registrationNumber,
    };
    if (typeof ad.vehicle.vin === 'string') payload.vehicleIdentificationNumber = ad.vehicle.vin;
    const record = await enqueue('process', ad, payload);
    return record ? [record] : [];
  };

  // ── API handlers ──

  const handleToken = (body: string): HttpAnswer => {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials')
      return new HttpAnswer(400, { error: 'unsupported_grant_type' });
    const scope = form.get('scope');
    if (scope !== null && !scope.split(' ').includes('api-resource'))
      return new HttpAnswer(400, { error: 'invalid_scope' });
    const client = clients.find((c) => c.clientId === form.get('client_id'));
    if (!client || !sameSecret(client.clientSecret, form.get('client_secret') ?? ''))
      return new HttpAnswer(400, { error: 'invalid_client' });
    const token = randomBytes(32).toString('base64url');
    tokens.set(token, {
      clientId: client.clientId,
      ...(client.branchIds ? { branchIds: client.branchIds } : {}),
      expiresAt: Date.now() + tokenLifetimeSeconds * 1000,
    });
    tokensIssued += 1;
    return new HttpAnswer(
      200,
      { access_token: token, expires_in: tokenLifetimeSeconds, token_type: 'Bearer', scope: 'api-resource' },
      { 'cache-control': 'no-store' },
    );
  };

  const handleCreate = (token: Token, body: unknown): { answer: HttpAnswer; changed?: MutableAd } => {
    const checked = check(CreateBodySchema, body, MANDATORY_PATHS);
    if (!checked.ok) return { answer: badRequest(checked.problems) };
    const input = checked.value;
    const mediaProblems = checkMedia(input.ad.media as MediaList | undefined, 'ad.media');
    if (mediaProblems.length > 0) return { answer: badRequest(mediaProblems) };
    if (!mayActFor(token, input.branch))
      return {
        answer: new HttpAnswer(403, { title: 'Forbidden', status: 403, message: 'client may not act for this branch' }),
      };
    const now = new Date().toISOString();
    const registrationNumber = normalisePlate(input.vehicle.registrationNumber as string);
    // What the dealer sent wins; the registry fills in what Wayke knows of the plate.
    const modelYear = typeof input.vehicle.modelYear === 'number' ? input.vehicle.modelYear : undefined;
    const vehicle = { ...registryFacts(registrationNumber, modelYear), ...input.vehicle, registrationNumber };
    const ad: MutableAd = {
      id: randomUUID(),
      branch: input.branch,
      marketCode: input.marketCode ?? 'SE',
      status: input.status ?? 'Published',
      vehicle,
      ad: { ...input.ad },
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    ads.set(ad.id, ad);
    indexPlate(vehicle.registrationNumber, ad.id);
    return {
      answer: new HttpAnswer(201, { id: ad.id }, { location: `${baseUrl}/dealer/vehicle/${ad.id}/ad` }),
      changed: ad,
    };
  };

  const ownAd = (token: Token, id: string): MutableAd | HttpAnswer => {
    const ad = ads.get(decodeURIComponent(id));
    if (!ad || !mayActFor(token, ad.branch)) return notFound(`Vehicle ${id}`);
    return ad;
  };

  const handlePatch = (token: Token, id: string, body: unknown): { answer: HttpAnswer; changed?: MutableAd } => {
    const found = ownAd(token, id);
    if (found instanceof HttpAnswer) return { answer: found };
    const nulls: FieldProblem[] = [];
    for (const path of MANDATORY_PATHS) {
      const [section, key] = path.split('.') as [string, string | undefined];
      const value = key
        ? ((body as Record<string, Record<string, unknown> | undefined> | null)?.[section] ?? undefined)?.[key]
        : (body as Record<string, unknown> | null)?.[section];
      if (value === null) nulls.push({ field: path, message: 'is required and cannot be cleared' });
    }
    if (nulls.length > 0) return { answer: badRequest(nulls) };
    const checked = check(PatchBodySchema, body);
    if (!checked.ok) return { answer: badRequest(checked.problems) };
    const input = checked.value;
    if (input.branch !== undefined && input.branch !== found.branch)
      return { answer: badRequest([{ field: 'branch', message: 'cannot be changed' }]) };
    const mediaProblems = checkMedia(input.ad?.media as MediaList | null | undefined, 'ad.media');
    if (mediaProblems.length > 0) return { answer: badRequest(mediaProblems) };

    const before = JSON.stringify([found.status, found.vehicle, found.ad, found.marketCode]);
    const oldPlate = found.vehicle.registrationNumber as string;
    for (const section of ['vehicle', 'ad'] as const) {
      for (const [key, value] of Object.entries(input[section] ?? {})) {
        if (value === undefined) continue;
        if (value === null) delete found[section][key];
        else found[section][key] = key === 'registrationNumber' ? normalisePlate(value as string) : clone(value);
      }
    }
    if (input.status !== undefined) found.status = input.status;
    if (input.marketCode !== undefined) found.marketCode = input.marketCode;
    const newPlate = found.vehicle.registrationNumber as string;
    if (newPlate !== oldPlate) {
      unindexPlate(oldPlate, found.id);
      indexPlate(newPlate, found.id);
    }
    const changed = JSON.stringify([found.status, found.vehicle, found.ad, found.marketCode]) !== before;
    if (changed) {
      found.updatedAt = new Date().toISOString();
      found.version += 1;
    }
    return { answer: new HttpAnswer(204), ...(changed ? { changed: found } : {}) };
  };

  const handleFindByPlate = (token: Token, branchId: string, plate: string): HttpAnswer => {
    const branch = decodeURIComponent(branchId);
    if (!mayActFor(token, branch))
      return new HttpAnswer(403, { title: 'Forbidden', status: 403, message: 'client may not act for this branch' });
    const candidates = (adsByPlate.get(normalisePlate(decodeURIComponent(plate))) ?? [])
      .map((id) => ads.get(id))
      .filter((ad): ad is MutableAd => ad !== undefined && ad.branch === branch);
    // Several ads for one plate (duplicates): the newest live one, else the newest.
    const live = candidates.filter((ad) => ad.status !== 'Deleted');
    const ad = (live.length > 0 ? live : candidates).at(-1);
    return ad
      ? new HttpAnswer(200, adJson(ad))
      : notFound(`Vehicle with registration number ${plate} in branch ${branchId}`);
  };

  const handleStatus = (token: Token, id: string, body: unknown): { answer: HttpAnswer; changed?: MutableAd } => {
    const found = ownAd(token, id);
    if (found instanceof HttpAnswer) return { answer: found };
    const checked = check(StatusBodySchema, body);
    if (!checked.ok) return { answer: badRequest(checked.problems) };
    if (found.status === checked.value.status) return { answer: new HttpAnswer(204) };
    found.status = checked.value.status;
    found.updatedAt = new Date().toISOString();
    found.version += 1;
    return { answer: new HttpAnswer(204), changed: found };
  };

  const handleMedia = (token: Token, id: string, body: unknown): { answer: HttpAnswer; changed?: MutableAd } => {
    const found = ownAd(token, id);
    if (found instanceof HttpAnswer) return { answer: found };
    const checked = check(MediaBodySchema, body);
    if (!checked.ok) return { answer: badRequest(checked.problems) };
    const problems = checkMedia(checked.value.media, 'media');
    if (problems.length > 0) return { answer: badRequest(problems) };
    const before = JSON.stringify(found.ad.media ?? []);
    found.ad.media = clone(checked.value.media);
    if (JSON.stringify(found.ad.media) === before) return { answer: new HttpAnswer(204) };
    found.updatedAt = new Date().toISOString();
    found.version += 1;
    return { answer: new HttpAnswer(204), changed: found };
  };

  const storeMedia = (input: {
    branchId: string;
    sortOrder: number;
    sourceUrl?: string;
    fileName?: string;
    contentType: string;
    bytes?: Buffer;
  }): HttpAnswer => {
    const mediaId = randomUUID();
    const fileId = randomUUID();
    const extension = input.contentType === 'image/png' ? 'png' : input.contentType === 'image/webp' ? 'webp' : 'jpg';
    const url = `${baseUrl}/media/files/${fileId}.${extension}`;
    const record = {
      mediaId,
      fileId,
      url,
      branchId: input.branchId,
      sortOrder: input.sortOrder,
      ...(input.sourceUrl !== undefined ? { sourceUrl: input.sourceUrl } : {}),
      ...(input.fileName !== undefined ? { fileName: input.fileName } : {}),
      contentType: input.contentType,
      size: input.bytes?.length ?? TINY_PNG.length,
      ...(input.bytes ? { bytes: input.bytes } : {}),
    };
    media.set(mediaId, record);
    mediaByUrl.set(url, mediaId);
    return new HttpAnswer(201, { mediaId, fileId, url });
  };

  const handleImageUrl = (token: Token, body: unknown): HttpAnswer => {
    const checked = check(ImageUrlBodySchema, body, ['url', 'branchId']);
    if (!checked.ok) return badRequest(checked.problems);
    if (!mayActFor(token, checked.value.branchId))
      return new HttpAnswer(403, { title: 'Forbidden', status: 403, message: 'client may not act for this branch' });
    return storeMedia({
      branchId: checked.value.branchId,
      sortOrder: checked.value.sortOrder ?? 0,
      sourceUrl: checked.value.url,
      contentType: 'image/png',
    });
  };

  const handleImageBytes = async (token: Token, req: IncomingMessage, raw: Buffer): Promise<HttpAnswer> => {
    const contentType = req.headers['content-type'] ?? '';
    if (!contentType.startsWith('multipart/form-data'))
      return badRequest([{ field: '(body)', message: 'must be multipart/form-data' }]);
    let form: FormData;
    try {
      form = await new Request('http://simulator/', {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: raw,
      }).formData();
    } catch {
      return badRequest([{ field: '(body)', message: 'is not valid multipart/form-data' }]);
    }
    const file = form.get('File');
    const problems: FieldProblem[] = [];
    if (!(file instanceof Blob) || file.size === 0)
      problems.push({ field: 'File', message: 'is required (a non-empty image file)' });
    else if (!file.type.startsWith('image/')) problems.push({ field: 'File', message: 'must be an image' });
    const purpose = form.get('Metadata.Purpose');
    if (purpose !== null && purpose !== 'Vehicle')
      problems.push({ field: 'Metadata.Purpose', message: 'must be "Vehicle"' });
    const branchId = form.get('Metadata.BranchId');
    if (typeof branchId !== 'string' || branchId === '')
      problems.push({ field: 'Metadata.BranchId', message: 'is required' });
    const sortOrderRaw = form.get('Metadata.SortOrder');
    const sortOrder = sortOrderRaw === null ? 0 : Number(sortOrderRaw);
    if (!Number.isInteger(sortOrder) || sortOrder < 0)
      problems.push({ field: 'Metadata.SortOrder', message: 'must be an integer, 0 or more' });
    if (problems.length > 0) return badRequest(problems);
    if (!mayActFor(token, branchId as string))
      return new HttpAnswer(403, { title: 'Forbidden', status: 403, message: 'client may not act for this branch' });
    const blob = file as File;
    return storeMedia({
      branchId: branchId as string,
      sortOrder,
      ...(blob.name ? { fileName: blob.name } : {}),
      contentType: blob.type,
      bytes: Buffer.from(await blob.arrayBuffer()),
    });
  };

  const serveFile = (fileName: string): HttpAnswer => {
    const fileId = decodeURIComponent(fileName).replace(/\.[a-z]+$/i, '');
    const record = [...media.values()].find((m) => m.fileId === fileId);
    if (!record) return notFound(`File ${fileName}`);
    return new HttpAnswer(200, record.bytes ?? TINY_PNG, {
      'content-type': record.bytes ? record.contentType : 'image/png',
      'cache-control': 'public, max-age=31536000',
    });
  };

  // ── admin ──

  const state = (): WaykeSimulatorState => ({
    ads: Object.fromEntries([...ads].map(([id, ad]) => [id, adJson(ad)])),
    adsByPlate: Object.fromEntries([...adsByPlate].map(([plate, ids]) => [plate, [...ids]])),
    media: Object.fromEntries([...media].map(([id, { bytes: _bytes, ...m }]) => [id, { ...m }])),
    calls: { ...calls },
    requests: requests.map((r) => ({ ...r })),
    tokensIssued,
    webhookDeliveries: clone(deliveries),
    faults: clone(faults),
  });

  const setFaults = (partial: Partial<WaykeSimulatorFaults>): WaykeSimulatorFaults => {
    faults = { ...faults, ...partial };
    if (partial.seed !== undefined) random = prng(partial.seed);
    return clone(faults);
  };

  const setWebhook = (target: WaykeSimulatorWebhookTarget | null): void => {
    if (target === null) webhookTargets.delete('');
    else
      webhookTargets.set(target.branchId ?? '', {
        ...target,
        ...(target.headers ? { headers: { ...target.headers } } : {}),
      });
  };

  const revokeTokens = (): number => {
    const n = tokens.size;
    tokens.clear();
    return n;
  };

  const handleAdmin = async (method: string, path: string, raw: Buffer): Promise<HttpAnswer> => {
    const json = (): unknown => (raw.length === 0 ? {} : JSON.parse(raw.toString('utf8')));
    if (method === 'GET' && path === '/_admin/state') return new HttpAnswer(200, state());
    if (method === 'POST' && path === '/_admin/faults')
      return new HttpAnswer(200, setFaults(json() as Partial<WaykeSimulatorFaults>));
    if (method === 'POST' && path === '/_admin/webhook') {
      const target = json() as WaykeSimulatorWebhookTarget | null;
      if (target !== null && (typeof target !== 'object' || typeof target.url !== 'string'))
        return badRequest([{ field: 'url', message: 'is required' }]);
      setWebhook(target);
      return new HttpAnswer(204);
    }
    if (method === 'POST' && path === '/_admin/tokens/revoke') return new HttpAnswer(200, { revoked: revokeTokens() });
    if (method === 'POST' && path === '/_admin/clients') {
      const client = json() as WaykeSimulatorClient;
      if (typeof client?.clientId !== 'string' || typeof client.clientSecret !== 'string')
        return badRequest([{ field: 'clientId', message: 'clientId and clientSecret are required' }]);
      clients.push({ ...client });
      scheduleSave();
      return new HttpAnswer(201);
    }
    const processMatch = /^\/_admin\/ads\/([^/]+)\/process$/.exec(path);
    if (method === 'POST' && processMatch) {
      const adId = decodeURIComponent(processMatch[1]!);
      if (!ads.has(adId)) return notFound(`Vehicle ${adId}`);
      const event = json() as ProcessEventInput;
      if (
        typeof event?.processName !== 'string' ||
        typeof event.stepName !== 'string' ||
        typeof event.state !== 'string'
      ) {
        return badRequest([{ field: 'processName', message: 'processName, stepName and state are required strings' }]);
      }
      return new HttpAnswer(200, { deliveries: await processEvent(adId, event) });
    }
    return notFound(`Admin route ${method} ${path}`);
  };

  // ── request pipeline ──

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://simulator').pathname;

    if (path.startsWith('/_admin/')) {
      const raw = await readBody(req, MAX_JSON_BYTES);
      let answer: HttpAnswer;
      try {
        answer =
          raw === null ? new HttpAnswer(413, { message: 'body too large' }) : await handleAdmin(method, path, raw);
      } catch {
        answer = badRequest([{ field: '(body)', message: 'must be valid JSON' }]);
      }
      send(res, answer);
      return;
    }

    let match: RegExpExecArray | null = null;
    const route = ROUTES.find((r) => r.method === method && (match = r.pattern.exec(path)) !== null);
    const record: SimulatedRequest = { at: Date.now(), method, route: route?.key ?? 'unknown', path };
    requests.push(record);
    if (requests.length > MAX_REQUEST_LOG) requests.splice(0, requests.length - MAX_REQUEST_LOG);
    calls[record.route] = (calls[record.route] ?? 0) + 1;

    const finish = (answer: HttpAnswer): void => {
      record.status = answer.status;
      record.respondedAt = Date.now();
      log?.debug('Wayke simulator request', {
        method,
        route: record.route,
        status: answer.status,
        ...(record.fault ? { fault: record.fault } : {}),
      });
      send(res, answer);
    };

    if (!route) {
      const known = ROUTES.some((r) => r.pattern.test(path));
      finish(known ? new HttpAnswer(405, { message: 'Method not allowed' }) : notFound(`Route ${method} ${path}`));
      return;
    }
    const params = (match as RegExpExecArray | null)?.slice(1) ?? [];

    // Faults: always draw the same number of randoms per faultable call, so a seed repeats.
    const faultable = route.faultable && (faults.routes.length === 0 || faults.routes.includes(route.key));
    let commitThenFail = false;
    if (faultable) {
      const [rThrottle, rError, rCommit] = [random(), random(), random()];
      if (faults.latencyMs > 0) await sleep(faults.latencyMs);
      if (faults.throttleNext > 0 || rThrottle < faults.throttleRate) {
        if (faults.throttleNext > 0) faults = { ...faults, throttleNext: faults.throttleNext - 1 };
        record.fault = 'throttle';
        const retryAfter = faults.retryAfterAsDate
          ? new Date(Date.now() + faults.retryAfterSeconds * 1000).toUTCString()
          : String(faults.retryAfterSeconds);
        record.retryAfter = retryAfter;
        await drain(req);
        finish(
          new HttpAnswer(
            429,
            { title: 'Too Many Requests', status: 429, message: 'rate limit exceeded' },
            { 'retry-after': retryAfter },
          ),
        );
        return;
      }
      if (faults.serverErrorNext > 0 || rError < faults.serverErrorRate) {
        if (faults.serverErrorNext > 0) faults = { ...faults, serverErrorNext: faults.serverErrorNext - 1 };
        record.fault = 'serverError';
        await drain(req);
        finish(new HttpAnswer(500, { title: 'Internal Server Error', status: 500, message: 'simulated server error' }));
        return;
      }
      if (route.mutates && (faults.commitThenFailNext > 0 || rCommit < faults.commitThenFailRate))
        commitThenFail = true;
    }

    let token: Token | undefined;
    if (route.auth) {
      const header = req.headers.authorization ?? '';
      const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      const found = bearer ? tokens.get(bearer) : undefined;
      if (!found || found.expiresAt <= Date.now()) {
        await drain(req);
        finish(
          new HttpAnswer(
            401,
            {
              title: 'Unauthorized',
              status: 401,
              message: bearer ? 'token invalid or expired' : 'bearer token required',
            },
            { 'www-authenticate': 'Bearer error="invalid_token"' },
          ),
        );
        return;
      }
      token = found;
    }

    const isImage = route.key === 'POST /media/v2/image';
    const raw = await readBody(req, isImage ? MAX_IMAGE_BYTES : MAX_JSON_BYTES);
    if (raw === null) {
      finish(new HttpAnswer(413, { title: 'Payload Too Large', status: 413, message: 'body too large' }));
      return;
    }
    let body: unknown;
    if (route.method !== 'GET' && route.key !== 'POST /connect/token' && !isImage) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        finish(badRequest([{ field: '(body)', message: 'must be valid JSON' }]));
        return;
      }
    }

    let answer: HttpAnswer;
    let changed: MutableAd | undefined;
    switch (route.key) {
      case 'POST /connect/token':
        answer = handleToken(raw.toString('utf8'));
        break;
      case 'POST /vehicle':
        ({ answer, changed } = handleCreate(token!, body));
        break;
      case 'PATCH /vehicle/{id}':
        ({ answer, changed } = handlePatch(token!, params[0]!, body));
        break;
      case 'GET /vehicle/{id}/ad': {
        const found = ownAd(token!, params[0]!);
        answer = found instanceof HttpAnswer ? found : new HttpAnswer(200, adJson(found));
        break;
      }
      case 'GET /vehicle/{branchId}/vehicle/by-registration-number/{registrationNumber}':
        answer = handleFindByPlate(token!, params[0]!, params[1]!);
        break;
      case 'PUT /vehicle/{id}/ad/status':
        ({ answer, changed } = handleStatus(token!, params[0]!, body));
        break;
      case 'PUT /vehicle/{id}/media':
        ({ answer, changed } = handleMedia(token!, params[0]!, body));
        break;
      case 'POST /media/v2/image-url':
        answer = handleImageUrl(token!, body);
        break;
      case 'POST /media/v2/image':
        answer = await handleImageBytes(token!, req, raw);
        break;
      default:
        answer = serveFile(params[0]!);
    }
    if (changed) vehicleUpdated(changed);
    if (route.mutates && answer.status < 300) scheduleSave();

    if (commitThenFail && answer.status < 300) {
      if (faults.commitThenFailNext > 0) faults = { ...faults, commitThenFailNext: faults.commitThenFailNext - 1 };
      record.fault = 'commitThenFail';
      answer = new HttpAnswer(500, {
        title: 'Internal Server Error',
        status: 500,
        message: 'simulated failure after commit',
      });
    }
    finish(answer);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, new HttpAnswer(500, { message: 'simulator error' }));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    port,
    authUrl: `${baseUrl}/auth`,
    dealerApiUrl: `${baseUrl}/dealer`,
    mediaApiUrl: `${baseUrl}/media`,
    get clients() {
      return clients.map((c) => ({ ...c }));
    },
    get faults() {
      return clone(faults);
    },
    setFaults,
    addClient: (client) => {
      clients.push({ ...client });
      scheduleSave();
    },
    revokeTokens,
    setWebhook,
    triggerProcessEvent: processEvent,
    webhooksIdle: async () => {
      // Deliveries queued while waiting join the tail; loop until it stops moving.
      let tail: Promise<unknown>;
      do {
        tail = deliveryTail;
        await tail;
      } while (tail !== deliveryTail);
    },
    state,
    get restored() {
      return restored;
    },
    saveState,
    stop: async () => {
      stopped = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (stateFile) {
        if (saveTimer) clearTimeout(saveTimer);
        saveTimer = null;
        await saveState();
      }
    },
  };
}

// ───────────────────────────── HTTP plumbing ─────────────────────────────

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The whole body, or null when it exceeds `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) tooLarge = true;
    else chunks.push(chunk);
  }
  return tooLarge ? null : Buffer.concat(chunks);
}

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _chunk of req as AsyncIterable<Buffer>) {
    // discard
  }
}

function send(res: ServerResponse, answer: HttpAnswer): void {
  if (res.destroyed || res.writableEnded) return;
  const headers: Record<string, string> = { ...answer.headers };
  let payload: Buffer | undefined;
  if (Buffer.isBuffer(answer.body)) payload = answer.body;
  else if (answer.body !== undefined) {
    payload = Buffer.from(JSON.stringify(answer.body));
    headers['content-type'] = 'application/json; charset=utf-8';
  }
  if (payload) headers['content-length'] = String(payload.length);
  res.writeHead(answer.status, headers);
  res.end(payload);
}
