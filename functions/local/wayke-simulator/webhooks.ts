/**
 * Webhooks out: a `vehicle-updated` POST when an ad changes and a `Process` event on request, to the
 * ad's branch target (else the default). Deliveries run one at a time behind each other, so an ad's
 * events arrive in order, and never hold up the API answer that caused them. A webhook queued and
 * not yet delivered when the simulator stops stays in `state.pendingWebhooks`, which the state file
 * keeps, and is sent first at the next start (`resume`): at least once, so one whose answer was
 * lost in the stop may come twice (the webhook endpoint dedupes).
 */
import { randomBytes } from 'node:crypto';
import type { Log } from '../../ports.js';
import { sleep } from './http.js';
import type { SimulatorState } from './state.js';
import type {
  MutableAd,
  PendingWebhook,
  ProcessEventInput,
  WaykeSimulatorWebhookTarget,
  WebhookDelivery,
} from './types.js';

export interface WebhookSettings {
  /** Attempts per delivery, at least 1. */
  readonly attempts: number;
  /** The pause before the second attempt; doubles after each. */
  readonly retryDelayMs: number;
  readonly log?: Log;
  /** Called when the queue of pending webhooks changed (the state file saves it). */
  readonly changed?: () => void;
}

/** One POST: its HTTP status, or undefined when the target could not be reached. */
async function post(
  target: WaykeSimulatorWebhookTarget,
  payload: Record<string, unknown>,
): Promise<number | undefined> {
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'wayke-simulator', ...target.headers },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer().catch(() => undefined);
    return response.status;
  } catch {
    return undefined;
  }
}

const isOk = (status: number | undefined): boolean => status !== undefined && status >= 200 && status < 300;

const processId = (): string => randomBytes(20).toString('base64url').slice(0, 27);

export class WebhookSender {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly state: SimulatorState,
    private readonly settings: WebhookSettings,
  ) {}

  /** Queues the `vehicle-updated` webhook of a changed ad. */
  vehicleUpdated(ad: MutableAd): void {
    const payload: Record<string, unknown> = { id: ad.id, registrationNumber: ad.vehicle.registrationNumber };
    if (typeof ad.vehicle.vin === 'string') payload.vehicleIdentificationNumber = ad.vehicle.vin;
    payload.status = ad.status;
    // The online sale's state travels with the update once a sale touched the ad (assumed, as the read side).
    if (ad.ecommerce) payload.ecommerce = { ...ad.ecommerce };
    void this.enqueue('vehicle-updated', ad, payload);
  }

  /** Sends a process event for the ad; resolves after its delivery (none without a target). */
  async processEvent(adId: string, event: ProcessEventInput): Promise<WebhookDelivery[]> {
    const ad = this.state.ads.get(adId);
    if (!ad) throw new Error(`No ad ${adId} in the simulator`);
    const payload: Record<string, unknown> = {
      eventType: 'Process',
      processId: processId(),
      processName: event.processName,
      stepId: processId(),
      stepName: event.stepName,
      executedBy: event.executedBy ?? 'Simulator',
      state: event.state,
      eventTime: new Date().toISOString(),
      itemId: ad.id,
      registrationNumber: ad.vehicle.registrationNumber,
    };
    if (typeof ad.vehicle.vin === 'string') payload.vehicleIdentificationNumber = ad.vehicle.vin;
    const record = await this.enqueue('process', ad, payload);
    return record ? [record] : [];
  }

  /** Resolves when every webhook queued so far has been delivered or given up. */
  async idle(): Promise<void> {
    // Deliveries queued while waiting join the tail; loop until it stops moving.
    let tail: Promise<unknown>;
    do {
      tail = this.tail;
      await tail;
    } while (tail !== this.tail);
  }

  /** Queues again, oldest first, the webhooks a stopped simulator left pending (loaded with the state). */
  resume(): void {
    for (const pending of this.state.pendingWebhooks) void this.queue(pending);
  }

  /** Queues a delivery behind the earlier ones; the ad is copied now, as it is at the change. */
  private enqueue(
    kind: WebhookDelivery['kind'],
    ad: MutableAd,
    payload: Record<string, unknown>,
  ): Promise<WebhookDelivery | undefined> {
    const pending: PendingWebhook = { kind, ad: structuredClone(ad), payload };
    this.state.pendingWebhooks.add(pending);
    this.settings.changed?.();
    return this.queue(pending);
  }

  private queue(pending: PendingWebhook): Promise<WebhookDelivery | undefined> {
    const run = this.tail.then(() => this.deliver(pending));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Delivers one; it stays pending only when the simulator stopped before it was delivered. */
  private async deliver(pending: PendingWebhook): Promise<WebhookDelivery | undefined> {
    if (this.state.stopped) return undefined;
    const { kind, ad, payload } = pending;
    const target = this.state.webhookTargetFor(ad.branch);
    if (!target) {
      this.done(pending);
      return undefined;
    }
    const { status, attempts } = await this.postWithRetries(target, payload);
    const ok = isOk(status);
    if (!ok && this.state.stopped) return undefined;
    this.done(pending);
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
    this.state.recordDelivery(record);
    this.settings.log?.debug('Wayke simulator webhook', { kind, adId: ad.id, ok, status, attempts });
    return record;
  }

  private done(pending: PendingWebhook): void {
    this.state.pendingWebhooks.delete(pending);
    this.settings.changed?.();
  }

  /** Posts until a 2xx, the attempts run out or the simulator stops; backs off between attempts. */
  private async postWithRetries(
    target: WaykeSimulatorWebhookTarget,
    payload: Record<string, unknown>,
  ): Promise<{ status: number | undefined; attempts: number }> {
    const { attempts: max, retryDelayMs } = this.settings;
    let status: number | undefined;
    let attempts = 0;
    while (attempts < max && !this.state.stopped) {
      attempts += 1;
      status = await post(target, payload);
      if (isOk(status)) break;
      if (attempts < max) await sleep(retryDelayMs * 2 ** (attempts - 1));
    }
    return { status, attempts };
  }
}
