import { NotFoundError, PermanentError, RetryableError, WaykeDmsError } from '../errors.js';
import type { DmsEventKind, ResolvedDealer } from '../dealer-config.js';
import type {
  Clock,
  DedupeStore,
  DeliveredEventArchive,
  DeliveryAttempts,
  DmsSink,
  EventQueue,
  Log,
  RetryScheduler,
  WaykeApi,
} from '../../ports.js';
import { classifyWaykeEvent, loggablePlate, occurredAt, vehicleRef, type WaykeEvent } from './classify.js';
import { toDmsVehicle, type DmsVehicle } from './dms-vehicle.js';
import { buildDmsEnvelope, type DmsEnvelope } from './envelope.js';
import { messageGroupId } from './identity.js';
import { bodyHashOf, EventMessageSchema, type EventMessage } from './message.js';
import { contentHash, isResend } from './resend.js';
import { DEFAULT_DMS_RETRY_SCHEDULE, DMS_ENDPOINT_FAILING_AFTER_MS, nextRetryDelay } from './retry-schedule.js';
import { ENRICHED_KINDS, routeForDealer } from './routing.js';

/** One message of a FIFO batch, in the order the queue handed it over. */
export interface EventRecord {
  readonly messageId: string;
  readonly body: string;
  /** The FIFO `MessageGroupId`; records without one form a group of their own. */
  readonly groupId?: string;
  /** The FIFO `MessageDeduplicationId`, kept when the record is dead-lettered. */
  readonly deduplicationId?: string;
  /** To schedule the record's next attempt (`ChangeMessageVisibility`). */
  readonly receiptHandle?: string;
}

/** What became of one record. */
export type DeliveryOutcome =
  | 'delivered'
  /** Accepted by the DMS before, or a re-send of the last delivery: acknowledged without a delivery. */
  | 'duplicate'
  /** The dealer has no DMS target or switched this kind off. */
  | 'skipped'
  /** Refused for good (by the DMS, an unreadable message, or its retries used up): sent to the DLQ. */
  | 'deadLettered'
  /** Failed and left on the queue for its next attempt (batch item failure). */
  | 'failed'
  /** Not attempted: an earlier record of its group failed, and order must hold. */
  | 'notAttempted';

export interface DeliveryReport {
  readonly batchItemFailures: Array<{ itemIdentifier: string }>;
  readonly outcomes: ReadonlyArray<{ readonly messageId: string; readonly outcome: DeliveryOutcome }>;
  /** Dealers whose DMS endpoint has been failing for more than 15 minutes, and since when. */
  readonly endpointsFailing: ReadonlyArray<{ readonly dealerId: string; readonly since: string }>;
}

export interface DeliverEventsDeps {
  readonly dealers: ReadonlyMap<string, ResolvedDealer>;
  readonly dedupe: DedupeStore;
  readonly attempts: DeliveryAttempts;
  /** Schedules a failed record's next attempt; without it the queue's visibility timeout does. */
  readonly retry?: RetryScheduler;
  /** Delays after each failed attempt, seconds (default {@link DEFAULT_DMS_RETRY_SCHEDULE}). */
  readonly retrySchedule?: readonly number[];
  /** Draws the retry jitter, in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
  /** Keeps each delivered envelope for `wayke-dms replay`. */
  readonly archive?: DeliveredEventArchive;
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

/** A retryable failure of the DMS endpoint itself (not of Wayke or the dedupe table). */
class EndpointFailure extends Error {
  constructor(readonly error: unknown) {
    super('DMS endpoint failed');
  }
}

const isNotFound = (error: unknown): boolean =>
  error instanceof NotFoundError || (error instanceof WaykeDmsError && error.context.status === 404);

export interface DeliverBatchOptions {
  /** Time left in this invocation (Lambda's `getRemainingTimeInMillis`). */
  readonly remainingMs?: () => number;
  /**
   * A record is started only while more than this is left (default 0); the rest of its group is
   * returned unprocessed, so a Lambda timeout never cuts a delivery off half-way.
   */
  readonly reserveMs?: number;
}

/** Ids accepted before this batch (one batch read) or during it, and what the batch learned. */
interface BatchState {
  readonly delivered: Set<string>;
  readonly endpointsOk: Set<string>;
  readonly endpointsFailing: Map<string, string>;
}

/** What a record turned out to be, filled in as it is read (for the failure handling and logs). */
interface Known {
  eventId?: string;
  dealerId?: string;
  kind?: DmsEventKind;
  plate?: string;
}

type Parsed = { readonly message: EventMessage; readonly dealer: ResolvedDealer; readonly event: WaykeEvent };

/**
 * The DMS writer: reads the dedupe records of the whole batch in one call, then for each queued
 * event routes it for the dealer, enriches purchased/updated events with the ad read from Wayke at
 * delivery time, and delivers the envelope through the dealer's sink unless it is a re-send of
 * the last delivery about the same vehicle ({@link isResend}); only after the DMS accepted it the
 * dedupe records are written and the envelope archived. Groups run in parallel, records of a
 * group strictly in order: a failed record is hidden until its next attempt by the retry schedule
 * and the rest of its group is returned unprocessed. A permanent refusal, or a schedule used up,
 * goes to the DLQ with a reason free of personal data, and is acknowledged.
 */
export function makeDeliverEvents(
  deps: DeliverEventsDeps,
): (records: readonly EventRecord[], options?: DeliverBatchOptions) => Promise<DeliveryReport> {
  const schedule = deps.retrySchedule ?? DEFAULT_DMS_RETRY_SCHEDULE;
  const random = deps.random ?? Math.random;

  async function enrich(
    dealer: ResolvedDealer,
    event: WaykeEvent,
    kind: DmsEventKind,
    eventIdValue: string,
  ): Promise<DmsVehicle | undefined> {
    if (!ENRICHED_KINDS.has(kind)) return undefined;
    const adId = vehicleRef(event).adId;
    if (!adId) return undefined;
    try {
      const wayke = await deps.wayke(dealer);
      return toDmsVehicle(await wayke.getAd(adId));
    } catch (error) {
      if (isNotFound(error)) {
        // The item of a purchase need not be an ad; the DMS still gets the event with Wayke's ids.
        deps.log.warn('ad not found in Wayke: delivering without vehicle', {
          eventId: eventIdValue,
          dealerId: dealer.id,
          kind,
          adId,
        });
        return undefined;
      }
      throw error;
    }
  }

  /** Reads a record; an unreadable one is dead-lettered (returns null). */
  async function parse(record: EventRecord): Promise<Parsed | null> {
    try {
      const parsed = EventMessageSchema.safeParse(JSON.parse(record.body));
      if (!parsed.success)
        throw new UndeliverableEventError('queue message does not match the event message schema', {
          messageId: record.messageId,
        });
      const message = parsed.data;
      const dealer = deps.dealers.get(message.dealerId);
      if (!dealer)
        throw new UndeliverableEventError('dealer is not configured', {
          dealerId: message.dealerId,
          eventId: message.id,
        });
      const classified = classifyWaykeEvent(message.payload);
      if (!classified.ok)
        throw new UndeliverableEventError(`payload matches no Wayke event kind: ${classified.reason}`, {
          dealerId: dealer.id,
          eventId: message.id,
        });
      return { message, dealer, event: classified.event };
    } catch (error) {
      const reason = error instanceof UndeliverableEventError ? error.message : 'queue message is not JSON';
      deps.log.error('undeliverable queue message: sent to the DLQ', { messageId: record.messageId, reason });
      await deadLetter(record, reason);
      return null;
    }
  }

  async function deliverOne(record: EventRecord, known: Known, batch: BatchState): Promise<DeliveryOutcome> {
    const parsed = await parse(record);
    if (!parsed) return 'deadLettered';
    const { message, dealer, event } = parsed;
    const ids = { eventId: message.id, dealerId: dealer.id };
    Object.assign(known, ids);
    if (batch.delivered.has(message.id)) {
      deps.log.info('event already delivered: acknowledged', ids);
      return 'duplicate';
    }
    const route = routeForDealer(event, dealer);
    const plate = loggablePlate(event);
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
      waykeId: vehicleRef(event).adId,
      registrationNumber: plate,
      vehicle,
      wayke: message.payload,
    });
    const subject = messageGroupId(dealer.id, event);
    const current = { subject, eventId: message.id, bodyHash: bodyHashOf(message), contentHash: contentHash(envelope) };
    if (isResend(await deps.dedupe.lastDelivery(subject), current)) {
      deps.log.info('re-send of the last delivery, nothing changed: acknowledged', context);
      return 'duplicate';
    }
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
      throw new EndpointFailure(error);
    }
    batch.endpointsOk.add(dealer.id);
    const first = await deps.dedupe.markDelivered(message.id, { dealerId: dealer.id, type: route.kind, last: current });
    batch.delivered.add(message.id);
    await archive(dealer.id, subject, envelope);
    deps.log.info('event delivered', {
      ...context,
      enriched: vehicle !== undefined,
      ...(first ? {} : { concurrentDuplicate: true }),
    });
    return 'delivered';
  }

  /** A failed archive write is reported, not retried: the DMS has the event, a re-send would repeat it. */
  async function archive(dealerId: string, subject: string, envelope: DmsEnvelope): Promise<void> {
    if (!deps.archive) return;
    try {
      await deps.archive.put({ dealerId, deliveredAt: deps.clock.now(), subject, envelope });
    } catch (error) {
      deps.log.error('delivered event not archived: replay will miss it', {
        eventId: envelope.id,
        dealerId,
        error: error instanceof Error ? error.name : 'unknown',
      });
    }
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

  /**
   * A retryable failure: counts the attempt, hides the record until the next one by the schedule,
   * or — the schedule used up — dead-letters it. Returns the record's outcome.
   */
  async function onFailure(
    record: EventRecord,
    known: Known,
    caught: unknown,
    batch: BatchState,
  ): Promise<{ outcome: DeliveryOutcome; retryInSeconds?: number }> {
    const endpoint = caught instanceof EndpointFailure;
    const error = endpoint ? caught.error : caught;
    const status = error instanceof WaykeDmsError ? error.context.status : undefined;
    const failure = {
      messageId: record.messageId,
      ...known,
      error: error instanceof Error ? error.name : 'unknown',
      ...(status !== undefined ? { status } : {}),
    };
    if (!known.eventId || !known.dealerId) {
      deps.log.warn('event delivery failed: left on the queue', failure);
      return { outcome: 'failed' };
    }
    try {
      const counted = await deps.attempts.recordFailure(known.eventId, { dealerId: known.dealerId, endpoint });
      noteFailingEndpoint(known.dealerId, counted.endpointFailingSince, batch);
      const delay = nextRetryDelay(schedule, counted.failures, random());
      if (delay === null) {
        const reason = `retries used up after ${counted.failures} attempts: ${error instanceof Error ? error.message : 'unknown error'}`;
        deps.log.error('event delivery failed for good: sent to the DLQ', { ...failure, attempts: counted.failures });
        await deadLetter(record, reason);
        return { outcome: 'deadLettered' };
      }
      await later(record, delay);
      deps.log.warn('event delivery failed: next attempt scheduled', {
        ...failure,
        attempts: counted.failures,
        retryInSeconds: delay,
      });
      return { outcome: 'failed', retryInSeconds: delay };
    } catch (scheduling) {
      // The record still returns, after the queue's visibility timeout.
      deps.log.warn('event delivery failed: left on the queue', {
        ...failure,
        scheduling: scheduling instanceof Error ? scheduling.name : 'unknown',
      });
      return { outcome: 'failed' };
    }
  }

  /** Hides a record for `seconds` (0: back at once); without a scheduler the visibility timeout rules. */
  async function later(record: EventRecord, seconds: number): Promise<void> {
    if (deps.retry && record.receiptHandle) await deps.retry.retryAfter(record.receiptHandle, seconds);
  }

  function noteFailingEndpoint(dealerId: string, since: Date | undefined, batch: BatchState): void {
    if (since && deps.clock.now().getTime() - since.getTime() >= DMS_ENDPOINT_FAILING_AFTER_MS)
      batch.endpointsFailing.set(dealerId, since.toISOString());
  }

  async function runGroup(
    group: readonly EventRecord[],
    batch: BatchState,
    outcomes: Map<string, DeliveryOutcome>,
    outOfTime: () => boolean,
  ): Promise<void> {
    let blocked = false;
    // The records behind a failed one come back with it, not after the queue's visibility timeout.
    let holdSeconds = 0;
    for (const record of group) {
      if (blocked || outOfTime()) {
        blocked = true;
        outcomes.set(record.messageId, 'notAttempted');
        await later(record, holdSeconds).catch(() => undefined);
        continue;
      }
      // Filled in by deliverOne as it learns them, for the failure handling.
      const known: Known = {};
      try {
        outcomes.set(record.messageId, await deliverOne(record, known, batch));
      } catch (error) {
        const failed = await onFailure(record, known, error, batch);
        outcomes.set(record.messageId, failed.outcome);
        blocked = failed.outcome === 'failed';
        holdSeconds = failed.retryInSeconds ?? 0;
      }
    }
  }

  /** Dealers whose DMS accepted an event are no longer failing (one write per dealer and batch). */
  async function settleEndpoints(batch: BatchState): Promise<void> {
    for (const dealerId of batch.endpointsOk) {
      if (batch.endpointsFailing.has(dealerId)) continue;
      await deps.attempts.recordEndpointSuccess(dealerId).catch((error: unknown) => {
        deps.log.warn('endpoint state not cleared', {
          dealerId,
          error: error instanceof Error ? error.name : 'unknown',
        });
      });
    }
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
      const delivered = await deps.dedupe.deliveredAmong(
        records.map(eventIdOf).filter((id): id is string => id !== undefined),
      );
      batch = { delivered: new Set(delivered), endpointsOk: new Set(), endpointsFailing: new Map() };
    } catch (error) {
      // Without the dedupe table nothing is delivered: the whole batch waits for the next attempt.
      deps.log.warn('dedupe read failed: batch left on the queue', {
        error: error instanceof Error ? error.name : 'unknown',
        records: records.length,
      });
      const ordered = records.map((record) => ({ messageId: record.messageId, outcome: 'failed' as const }));
      return {
        batchItemFailures: ordered.map((entry) => ({ itemIdentifier: entry.messageId })),
        outcomes: ordered,
        endpointsFailing: [],
      };
    }
    await Promise.all([...groups.values()].map((group) => runGroup(group, batch, outcomes, outOfTime)));
    await settleEndpoints(batch);
    const ordered = records.map((record) => ({
      messageId: record.messageId,
      outcome: outcomes.get(record.messageId) ?? 'failed',
    }));
    return {
      batchItemFailures: ordered
        .filter((entry) => entry.outcome === 'failed' || entry.outcome === 'notAttempted')
        .map((entry) => ({ itemIdentifier: entry.messageId })),
      outcomes: ordered,
      endpointsFailing: [...batch.endpointsFailing].map(([dealerId, since]) => ({ dealerId, since })),
    };
  };
}
