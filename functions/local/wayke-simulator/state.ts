/**
 * Everything the simulator knows, in one object the parts are handed: clients and tokens, ads and
 * their plate index, media, webhook targets, the request and delivery logs, and the faults in force.
 * The parts change it through the methods here or directly on its maps; `view()` is the read-only
 * deep copy tests and `/_admin/state` see.
 */
import type { SimMarket } from './contract.js';
import { FaultInjector } from './faults.js';
import {
  SIMULATOR_DEFAULTS,
  type MutableAd,
  type PendingWebhook,
  type SimulatedRequest,
  type StoredMedia,
  type Token,
  type WaykeSimulatorClient,
  type WaykeSimulatorFaults,
  type WaykeSimulatorState,
  type WaykeSimulatorWebhookTarget,
  type WebhookDelivery,
} from './types.js';

const MAX_REQUEST_LOG = 10_000;
const MAX_DELIVERY_LOG = 10_000;

const clone = <T>(value: T): T => structuredClone(value);

/** Keeps the newest `max` entries. */
function cap<T>(log: T[], max: number): void {
  if (log.length > max) log.splice(0, log.length - max);
}

export interface SimulatorStateInit {
  readonly clients: readonly WaykeSimulatorClient[];
  readonly faults?: Partial<WaykeSimulatorFaults>;
  readonly webhook?: WaykeSimulatorWebhookTarget | readonly WaykeSimulatorWebhookTarget[];
  readonly branchMarkets?: Readonly<Record<string, SimMarket>>;
}

export class SimulatorState {
  readonly clients: WaykeSimulatorClient[];
  readonly tokens = new Map<string, Token>();
  tokensIssued = 0;
  readonly ads = new Map<string, MutableAd>();
  /** Plate → ad ids, creation order. */
  readonly adsByPlate = new Map<string, string[]>();
  readonly media = new Map<string, StoredMedia>();
  /** Media URL → media id: what makes a URL in an ad body one of ours. */
  readonly mediaByUrl = new Map<string, string>();
  readonly calls: Record<string, number> = {};
  readonly requests: SimulatedRequest[] = [];
  readonly deliveries: WebhookDelivery[] = [];
  /** Webhooks queued and not yet delivered or given up, oldest first (saved with the state). */
  readonly pendingWebhooks = new Set<PendingWebhook>();
  /** Branch id → target; `''` is the default. */
  readonly webhookTargets = new Map<string, WaykeSimulatorWebhookTarget>();
  readonly faults: FaultInjector;
  /** Branch id → its market; others sell in `SIMULATOR_DEFAULTS.market`. */
  readonly branchMarkets: Map<string, SimMarket>;
  /** `http://127.0.0.1:<port>` once listening; media URLs and `location` headers are built on it. */
  baseUrl = '';
  /** Set by `stop()`: no more webhooks or saves. */
  stopped = false;

  constructor(init: SimulatorStateInit) {
    this.clients = [...init.clients];
    this.faults = new FaultInjector(init.faults);
    this.branchMarkets = new Map(Object.entries(init.branchMarkets ?? {}));
    for (const target of ([] as WaykeSimulatorWebhookTarget[]).concat(
      (init.webhook ?? []) as WaykeSimulatorWebhookTarget[],
    )) {
      this.webhookTargets.set(target.branchId ?? '', target);
    }
  }

  addClient(client: WaykeSimulatorClient): void {
    this.clients.push({ ...client });
  }

  /** Sets the default target (no `branchId`) or a branch's; `null` removes the default. */
  setWebhook(target: WaykeSimulatorWebhookTarget | null): void {
    if (target === null) this.webhookTargets.delete('');
    else
      this.webhookTargets.set(target.branchId ?? '', {
        ...target,
        ...(target.headers ? { headers: { ...target.headers } } : {}),
      });
  }

  marketOf(branchId: string): SimMarket {
    return this.branchMarkets.get(branchId) ?? SIMULATOR_DEFAULTS.market;
  }

  webhookTargetFor(branchId: string): WaykeSimulatorWebhookTarget | undefined {
    return this.webhookTargets.get(branchId) ?? this.webhookTargets.get('');
  }

  indexPlate(plate: string, id: string): void {
    const ids = this.adsByPlate.get(plate) ?? [];
    if (!ids.includes(id)) ids.push(id);
    this.adsByPlate.set(plate, ids);
  }

  unindexPlate(plate: string, id: string): void {
    const ids = (this.adsByPlate.get(plate) ?? []).filter((x) => x !== id);
    if (ids.length > 0) this.adsByPlate.set(plate, ids);
    else this.adsByPlate.delete(plate);
  }

  addMedia(record: StoredMedia): void {
    this.media.set(record.mediaId, record);
    this.mediaByUrl.set(record.url, record.mediaId);
  }

  /** Logs an arriving API call and counts it; the caller fills in status and fault as it answers. */
  recordRequest(method: string, route: string, path: string): SimulatedRequest {
    const record: SimulatedRequest = { at: Date.now(), method, route, path };
    this.requests.push(record);
    cap(this.requests, MAX_REQUEST_LOG);
    this.calls[route] = (this.calls[route] ?? 0) + 1;
    return record;
  }

  recordDelivery(delivery: WebhookDelivery): void {
    this.deliveries.push(delivery);
    cap(this.deliveries, MAX_DELIVERY_LOG);
  }

  /** A deep copy, without media bytes, tokens or webhook headers. */
  view(): WaykeSimulatorState {
    return {
      ads: Object.fromEntries([...this.ads].map(([id, ad]) => [id, clone(ad)])),
      adsByPlate: Object.fromEntries([...this.adsByPlate].map(([plate, ids]) => [plate, [...ids]])),
      media: Object.fromEntries([...this.media].map(([id, { bytes: _bytes, ...m }]) => [id, { ...m }])),
      calls: { ...this.calls },
      requests: this.requests.map((r) => ({ ...r })),
      tokensIssued: this.tokensIssued,
      webhookDeliveries: clone(this.deliveries),
      faults: this.faults.current,
    };
  }
}
