import type { ResolvedDealer } from '../dealer-config.js';
import type { CheckMarks, Clock, EventQueue, Log, InboundAuthStore } from '../../ports.js';
import { randomUUID } from 'node:crypto';
import { classifyWaykeEvent, loggablePlate, vehicleRef, type WaykeEvent, type WaykeEventSource } from './classify.js';
import { credentialsMatch, type Headers } from './credentials.js';
import { deliveryId, eventId, messageGroupId } from './identity.js';
import { jsonNestedDeeperThan } from './json-depth.js';
import { eventMessageBody } from './message.js';
import { onlineSaleKind, routeForDealer } from './routing.js';
import type { DmsEventKind } from '../dealer-config.js';

/**
 * Largest webhook body accepted: 256 KB (256,000 bytes). The queue message (the payload
 * re-serialised compactly, never longer than the raw body, plus a ~200-byte envelope) then stays
 * within SQS's smallest message size limit of 256 KiB (262,144 bytes).
 */
export const MAX_WEBHOOK_BODY_BYTES = 256_000;

/** One webhook call as the edge received it. */
export interface WebhookRequest {
  readonly dealerId: string;
  /** Header names in lower case. */
  readonly headers: Headers;
  /** The raw body bytes (API Gateway's base64 already decoded). */
  readonly body: Uint8Array;
}

/** What became of a webhook call; the edge maps it to an HTTP status. */
export type IngestOutcome =
  | { readonly outcome: 'queued'; readonly id: string; readonly kind: DmsEventKind; readonly source: WaykeEventSource }
  /** Valid, but the dealer has no DMS target or switched this kind off: acknowledged, not queued. */
  | { readonly outcome: 'ignored'; readonly id: string; readonly kind: DmsEventKind; readonly source: WaykeEventSource }
  | { readonly outcome: 'unknownDealer' }
  | { readonly outcome: 'unauthorized' }
  | { readonly outcome: 'unsupportedMediaType' }
  | { readonly outcome: 'tooLarge' }
  | { readonly outcome: 'invalid'; readonly reason: string };

export interface IngestWebhookDeps {
  readonly dealers: ReadonlyMap<string, ResolvedDealer>;
  readonly secrets: InboundAuthStore;
  readonly queue: EventQueue;
  readonly clock: Clock;
  readonly log: Log;
  readonly maxBodyBytes?: number;
  /** Makes each accepted call's delivery id unique; default a random UUID. */
  readonly nonce?: () => string;
  /**
   * Marks a vehicle whose ad Wayke reports changed for the next import's check, so a hand edit on
   * a car the feed did not change is found too. Absent: nothing is marked (the ingest then only queues).
   */
  readonly checkMarks?: CheckMarks;
  /** How long after the import wrote an entry a `vehicle-updated` is taken for its own change (default {@link OWN_CHANGE_WINDOW_MS}). */
  readonly ownChangeWindowMs?: number;
}

/**
 * Wayke sends `vehicle-updated` for the import's own writes too, within seconds. An update this
 * soon after the import wrote the entry is taken for that echo and marks nothing: the import read
 * the ad just before it wrote it. A hand edit inside the window is found at the car's next change.
 */
export const OWN_CHANGE_WINDOW_MS = 30_000;

/** Marks the plate of a plain vehicle update for the next run's check (an online sale is held anyway). */
async function markChanged(deps: IngestWebhookDeps, dealerId: string, event: WaykeEvent, log: Log): Promise<void> {
  if (!deps.checkMarks || event.source !== 'vehicleUpdated' || onlineSaleKind(event.payload)) return;
  const plate = vehicleRef(event).registrationNumber;
  if (!plate) return;
  const cutoff = new Date(deps.clock.now().getTime() - (deps.ownChangeWindowMs ?? OWN_CHANGE_WINDOW_MS));
  const marked = await deps.checkMarks.markForCheck(dealerId, plate, cutoff);
  if (marked) log.info('vehicle marked for the next import check', { dealerId, plate: loggablePlate(event) });
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  return JSON_MEDIA_TYPE.test(contentType.split(';', 1)[0]!.trim());
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The webhook ingest: authenticates the caller with the dealer's webhook secret (current or
 * previous), checks media type, size and schema, and puts the event on the FIFO queue with its
 * group and deduplication ids. Never calls Wayke or the DMS, so it answers in milliseconds; it
 * reports `queued` only after the queue accepted the message. Queue and secret-store failures
 * propagate (the edge answers 5xx and Wayke retries).
 */
export function makeIngestWebhook(deps: IngestWebhookDeps): (request: WebhookRequest) => Promise<IngestOutcome> {
  const maxBodyBytes = deps.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  return async (request) => {
    const dealer = deps.dealers.get(request.dealerId);
    if (!dealer) {
      deps.log.warn('webhook rejected: unknown dealer', { reason: 'unknownDealer' });
      return { outcome: 'unknownDealer' };
    }
    const log = (message: string, attributes: Record<string, unknown>) =>
      deps.log.info(message, { dealerId: dealer.id, ...attributes });

    const secrets = await deps.secrets.getInboundAuth(dealer.id);
    if (!credentialsMatch(request.headers, [secrets.webhookSecret, secrets.previousWebhookSecret])) {
      deps.log.warn('webhook rejected: bad credentials', { dealerId: dealer.id, reason: 'unauthorized' });
      return { outcome: 'unauthorized' };
    }
    if (!isJson(request.headers['content-type'])) {
      log('webhook rejected: not JSON', { reason: 'unsupportedMediaType' });
      return { outcome: 'unsupportedMediaType' };
    }
    if (request.body.byteLength > maxBodyBytes) {
      log('webhook rejected: body too large', { reason: 'tooLarge', bytes: request.body.byteLength });
      return { outcome: 'tooLarge' };
    }

    let raw: string;
    let parsed: unknown;
    try {
      raw = decoder.decode(request.body);
    } catch {
      log('webhook rejected: not UTF-8', { reason: 'invalid' });
      return { outcome: 'invalid', reason: 'body is not valid UTF-8' };
    }
    if (jsonNestedDeeperThan(raw)) {
      log('webhook rejected: JSON nested too deep', { reason: 'invalid' });
      return { outcome: 'invalid', reason: 'body nests JSON deeper than 64 levels' };
    }
    try {
      parsed = JSON.parse(raw.replace(/^\uFEFF/, ''));
    } catch {
      log('webhook rejected: malformed JSON', { reason: 'invalid' });
      return { outcome: 'invalid', reason: 'body is not valid UTF-8 JSON' };
    }
    const classified = classifyWaykeEvent(parsed);
    if (!classified.ok) {
      log('webhook rejected: schema', { reason: 'invalid', detail: classified.reason });
      return { outcome: 'invalid', reason: classified.reason };
    }

    const event = classified.event;
    const bodyHash = eventId(dealer.id, request.body);
    const receivedAt = deps.clock.now().toISOString();
    const id = deliveryId(bodyHash, receivedAt, (deps.nonce ?? randomUUID)());
    // Before the queue: a failed mark answers 5xx and Wayke's retry marks it (and queues it once).
    await markChanged(deps, dealer.id, event, deps.log);
    const route = routeForDealer(event, dealer);
    const plate = loggablePlate(event);
    if (!route.delivered) {
      log('webhook ignored: kind not delivered to this dealer', {
        eventId: id,
        kind: route.kind,
        source: event.source,
        plate,
      });
      return { outcome: 'ignored', id, kind: route.kind, source: event.source };
    }
    // Deduplicated by the delivery id, not the body: the same body twice may be two changes
    // (the DMS writer tells a re-send from a repeat); an SDK retry of this send keeps the id.
    await deps.queue.send({
      body: eventMessageBody({ v: 2, id, bodyHash, dealerId: dealer.id, receivedAt, payload: parsed }),
      groupId: messageGroupId(dealer.id, event),
      deduplicationId: id,
    });
    log('webhook queued', { eventId: id, kind: route.kind, source: event.source, plate });
    return { outcome: 'queued', id, kind: route.kind, source: event.source };
  };
}

/** Dealers by id, for the ingest and delivery use cases. */
export function dealerIndex(dealers: readonly ResolvedDealer[]): ReadonlyMap<string, ResolvedDealer> {
  return new Map(dealers.map((dealer) => [dealer.id, dealer]));
}
