import { PermanentError, RetryableError, WaykeDmsError } from '../errors.js';
import type { DmsEventKind, ResolvedDealer } from '../dealer-config.js';
import type { Vehicle } from '../vehicle.js';
import type { Clock, DedupeStore, DmsSink, EventQueue, Log, WaykeApi } from '../../ports.js';
import { classifyWaykeEvent, occurredAt, vehicleRef, type WaykeEvent } from './classify.js';
import { buildDmsEnvelope } from './envelope.js';
import { EventMessageSchema, type EventMessage } from './message.js';
import { ENRICHED_KINDS, routeForDealer } from './routing.js';

/** One message of a FIFO batch, in the order the queue handed it over. */
export interface EventRecord {
  readonly messageId: string;
  readonly body: string;
  /** The FIFO `MessageGroupId`; records without one form a group of their own. */
  readonly groupId?: string;
  /** The FIFO `MessageDeduplicationId`, kept when the record is dead-lettered. */
  readonly deduplicationId?: string;
}

/** What became of one record. */
export type DeliveryOutcome =
  | 'delivered'
  /** Accepted by the DMS before: acknowledged without a second delivery. */
  | 'duplicate'
  /** The dealer has no DMS target or switched this kind off. */
  | 'skipped'
  /** Refused for good (by the DMS, or an unreadable message): sent to the DLQ at once. */
  | 'deadLettered'
  /** Failed and left on the queue for a later attempt (batch item failure). */
  | 'failed'
  /** Not attempted: an earlier record of its group failed, and order must hold. */
  | 'notAttempted';

export interface DeliveryReport {
  readonly batchItemFailures: Array<{ itemIdentifier: string }>;
  readonly outcomes: ReadonlyArray<{ readonly messageId: string; readonly outcome: DeliveryOutcome }>;
}

export interface DeliverEventsDeps {
  readonly dealers: ReadonlyMap<string, ResolvedDealer>;
  readonly dedupe: DedupeStore;
  /** One sink per DMS target type (`dealer.dms.type`). */
  readonly sinks: { readonly webhook: DmsSink; readonly outbox: DmsSink };
  /** The Wayke client for a dealer's credentials (for enrichment). */
  readonly wayke: (dealer: ResolvedDealer) => Promise<WaykeApi>;
  /** Where permanently refused events go at once (the events queue's DLQ). */
  readonly deadLetters: EventQueue;
  readonly clock: Clock;
  readonly log: Log;
}

/** The event id of a queue message, if its body is readable (for the batch dedupe read). */
function eventIdOf(record: EventRecord): string | undefined {
  try {
    const id = (JSON.parse(record.body) as { id?: unknown }).id;
    return typeof id === 'string' && /^[0-9a-f]{64}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** A queue message that can never be delivered: bad body or a dealer no longer configured. */
export class UndeliverableEventError extends PermanentError {}

const isNotFound = (error: unknown): boolean =>
  error instanceof WaykeDmsError && (error.name === 'WaykeNotFoundError' || error.context.status === 404);

export interface DeliverBatchOptions {
  /** Time left in this invocation (Lambda's `getRemainingTimeInMillis`). */
  readonly remainingMs?: () => number;
  /**
   * A record is started only while more than this is left (default 0); the rest of its group is
   * returned unprocessed, so a Lambda timeout never cuts a delivery off half-way.
   */
  readonly reserveMs?: number;
}

/**
 * The DMS writer: reads the dedupe records of the whole batch in one call, then for each queued
 * event not accepted before (nor earlier in this batch) routes it for the dealer,
 * enriches purchased/updated events with the ad read from Wayke at delivery time, delivers the
 * envelope through the dealer's sink and — only after the DMS accepted it — writes the dedupe
 * record. Groups run in parallel, records of a group strictly in order: at the first failure the
 * rest of that group is returned unprocessed. A permanent refusal goes to the DLQ at once with a
 * reason free of personal data, and is acknowledged.
 */
export function makeDeliverEvents(deps: DeliverEventsDeps): (records: readonly EventRecord[], options?: DeliverBatchOptions) => Promise<DeliveryReport> {
  async function enrich(dealer: ResolvedDealer, event: WaykeEvent, kind: DmsEventKind, eventIdValue: string): Promise<Vehicle | undefined> {
    if (!ENRICHED_KINDS.has(kind)) return undefined;
    const adId = vehicleRef(event).adId;
    if (!adId) return undefined;
    try {
      const wayke = await deps.wayke(dealer);
      return (await wayke.getAd(adId)).vehicle;
    } catch (error) {
      if (isNotFound(error)) {
        // The item of a purchase need not be an ad; the DMS still gets the event with Wayke's ids.
        deps.log.warn('ad not found in Wayke: delivering without vehicle', { eventId: eventIdValue, dealerId: dealer.id, kind, adId });
        return undefined;
      }
      throw error;
    }
  }

  /** Ids accepted before this batch (one batch read) or during it. */
  interface BatchState {
    readonly delivered: Set<string>;
  }

  async function deliverOne(record: EventRecord, known: Record<string, unknown>, batch: BatchState): Promise<DeliveryOutcome> {
    let message: EventMessage;
    let dealer: ResolvedDealer;
    let event: WaykeEvent;
    try {
      const parsed = EventMessageSchema.safeParse(JSON.parse(record.body));
      if (!parsed.success) throw new UndeliverableEventError('queue message does not match the event message schema', { messageId: record.messageId });
      message = parsed.data;
      const configured = deps.dealers.get(message.dealerId);
      if (!configured) throw new UndeliverableEventError('dealer is not configured', { dealerId: message.dealerId, eventId: message.id });
      dealer = configured;
      const classified = classifyWaykeEvent(message.payload);
      if (!classified.ok) throw new UndeliverableEventError(`payload matches no Wayke event kind: ${classified.reason}`, { dealerId: dealer.id, eventId: message.id });
      event = classified.event;
    } catch (error) {
      const reason = error instanceof UndeliverableEventError ? error.message : 'queue message is not JSON';
      deps.log.error('undeliverable queue message: sent to the DLQ', { messageId: record.messageId, reason });
      await deadLetter(record, reason);
      return 'deadLettered';
    }

    const ids = { eventId: message.id, dealerId: dealer.id };
    Object.assign(known, ids);
    if (batch.delivered.has(message.id)) {
      deps.log.info('event already delivered: acknowledged', ids);
      return 'duplicate';
    }
    const route = routeForDealer(event, dealer);
    const plate = vehicleRef(event).registrationNumber;
    const context = { ...ids, kind: route.kind, plate };
    Object.assign(known, { kind: route.kind, plate });
    if (!route.delivered || !dealer.dms) {
      deps.log.info('event skipped: kind not delivered to this dealer', context);
      return 'skipped';
    }

    const vehicle = await enrich(dealer, event, route.kind, message.id);
    const envelope = buildDmsEnvelope({
      id: message.id,
      type: route.kind,
      dealer: dealer.id,
      occurredAt: occurredAt(event, message.receivedAt),
      vehicle,
      wayke: message.payload,
    });
    try {
      await deps.sinks[dealer.dms.type].deliver({ dealer, envelope });
    } catch (error) {
      if (error instanceof PermanentError) {
        deps.log.error('event cannot be delivered (permanent): sent to the DLQ', {
          ...context,
          reason: error.message,
          error: error.name,
          ...(error.context.status !== undefined ? { status: error.context.status } : {}),
        });
        await deadLetter(record, error.message);
        return 'deadLettered';
      }
      throw error;
    }
    const first = await deps.dedupe.markDelivered(message.id, { dealerId: dealer.id, type: route.kind });
    batch.delivered.add(message.id);
    deps.log.info('event delivered', { ...context, enriched: vehicle !== undefined, ...(first ? {} : { concurrentDuplicate: true }) });
    return 'delivered';
  }

  /** Keeps group and deduplication ids so a redrive restores the event exactly. */
  async function deadLetter(record: EventRecord, reason: string): Promise<void> {
    await deps.deadLetters.send({
      body: record.body,
      groupId: record.groupId ?? record.messageId,
      deduplicationId: record.deduplicationId ?? record.messageId,
      attributes: { reason: reason.slice(0, 500), deadLetteredAt: deps.clock.now().toISOString() },
    });
  }

  return async (records, options = {}) => {
    const outOfTime = () => options.remainingMs !== undefined && options.remainingMs() <= (options.reserveMs ?? 0);
    const groups = new Map<string, EventRecord[]>();
    for (const record of records) {
      const key = record.groupId ?? `\u0000${record.messageId}`;
      const group = groups.get(key);
      if (group) group.push(record);
      else groups.set(key, [record]);
    }
    const outcomes = new Map<string, DeliveryOutcome>();
    let batch: BatchState;
    try {
      batch = { delivered: new Set(await deps.dedupe.deliveredAmong(records.map(eventIdOf).filter((id): id is string => id !== undefined))) };
    } catch (error) {
      // Without the dedupe table nothing is delivered: the whole batch waits for the next attempt.
      deps.log.warn('dedupe read failed: batch left on the queue', { error: error instanceof Error ? error.name : 'unknown', records: records.length });
      const ordered = records.map((record) => ({ messageId: record.messageId, outcome: 'failed' as const }));
      return { batchItemFailures: ordered.map((entry) => ({ itemIdentifier: entry.messageId })), outcomes: ordered };
    }
    await Promise.all(
      [...groups.values()].map(async (group) => {
        let failed = false;
        for (const record of group) {
          if (failed || outOfTime()) {
            failed = true;
            outcomes.set(record.messageId, 'notAttempted');
            continue;
          }
          // Filled in by deliverOne as it learns them, for the failure log line.
          const known: Record<string, unknown> = {};
          try {
            outcomes.set(record.messageId, await deliverOne(record, known, batch));
          } catch (error) {
            failed = true;
            outcomes.set(record.messageId, 'failed');
            const status = error instanceof WaykeDmsError ? error.context.status : undefined;
            deps.log.warn('event delivery failed: left on the queue', {
              messageId: record.messageId,
              ...known,
              error: error instanceof Error ? error.name : 'unknown',
              retryable: error instanceof RetryableError || !(error instanceof PermanentError),
              ...(status !== undefined ? { status } : {}),
            });
          }
        }
      }),
    );
    const ordered = records.map((record) => ({ messageId: record.messageId, outcome: outcomes.get(record.messageId) ?? 'failed' }));
    return {
      batchItemFailures: ordered.filter((entry) => entry.outcome === 'failed' || entry.outcome === 'notAttempted').map((entry) => ({ itemIdentifier: entry.messageId })),
      outcomes: ordered,
    };
  };
}
