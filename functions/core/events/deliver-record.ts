import type { ResolvedDealer } from '../dealer-config.js';
import { PermanentError } from '../errors.js';
import type { Clock, DedupeStore, DeliveredEventArchive, DmsSink, LastDelivery, Log } from '../../ports.js';
import { EndpointFailure, errorName, type BatchState, type DeliveryOutcome, type Known } from './batch-state.js';
import { loggablePlate, occurredAt, vehicleRef } from './classify.js';
import type { DmsVehicle } from './dms-vehicle.js';
import type { EnrichInput } from './enrich.js';
import { buildDmsEnvelope, type DmsEnvelope } from './envelope.js';
import { parseEventRecord, UndeliverableEventError, type EventRecord, type ParsedRecord } from './event-record.js';
import { messageGroupId } from './identity.js';
import { bodyHashOf } from './message.js';
import { contentHash, isResend } from './resend.js';
import { routeForDealer } from './routing.js';

export interface DeliverRecordDeps {
  readonly dealers: ReadonlyMap<string, ResolvedDealer>;
  readonly dedupe: DedupeStore;
  readonly archive?: DeliveredEventArchive;
  readonly sinks: { readonly webhook: DmsSink; readonly outbox: DmsSink };
  readonly enrich: (input: EnrichInput) => Promise<DmsVehicle | undefined>;
  readonly deadLetter: (record: EventRecord, reason: string) => Promise<void>;
  readonly clock: Clock;
  readonly log: Log;
}

/** A record routed to a dealer's DMS, its envelope built: what the sink step needs. */
interface Prepared {
  readonly parsed: ParsedRecord;
  readonly dealer: ResolvedDealer & { readonly dms: NonNullable<ResolvedDealer['dms']> };
  readonly envelope: DmsEnvelope;
  readonly current: LastDelivery;
  readonly context: Record<string, unknown>;
}

/**
 * One record through the delivery steps: parse → dedupe → route → enrich from Wayke → re-send
 * check → deliver → record and archive. Returns the outcome of a record that is done with
 * (delivered, acknowledged or dead-lettered); throws a retryable failure, an
 * {@link EndpointFailure} when it was the DMS's, for the retry step to decide.
 */
export function makeDeliverRecord(
  deps: DeliverRecordDeps,
): (record: EventRecord, known: Known, batch: BatchState) => Promise<DeliveryOutcome> {
  /** An unreadable record is dead-lettered (returns null). */
  async function parse(record: EventRecord): Promise<ParsedRecord | null> {
    try {
      return parseEventRecord(record, deps.dealers);
    } catch (error) {
      if (!(error instanceof UndeliverableEventError)) throw error;
      deps.log.error('undeliverable queue message: sent to the DLQ', {
        messageId: record.messageId,
        reason: error.message,
      });
      await deps.deadLetter(record, error.message);
      return null;
    }
  }

  /** Routes and enriches; null when the event is not for this dealer's DMS (logged). */
  async function prepare(parsed: ParsedRecord, known: Known): Promise<Prepared | null> {
    const { message, dealer, event } = parsed;
    const route = routeForDealer(event, dealer);
    const plate = loggablePlate(event);
    Object.assign(known, { kind: route.kind, plate });
    const context = { eventId: message.id, dealerId: dealer.id, kind: route.kind, plate };
    if (!route.delivered || !dealer.dms) {
      deps.log.info('event skipped: kind not delivered to this dealer', context);
      return null;
    }
    const vehicle = await deps.enrich({ dealer, event, kind: route.kind, eventId: message.id });
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
    return { parsed, dealer: { ...dealer, dms: dealer.dms }, envelope, current, context };
  }

  /** Hands the envelope to the dealer's sink; false when it refused for good (dead-lettered). */
  async function send(record: EventRecord, prepared: Prepared): Promise<boolean> {
    const { dealer, envelope, context } = prepared;
    try {
      await deps.sinks[dealer.dms.type].deliver({ dealer, envelope });
      return true;
    } catch (error) {
      if (!(error instanceof PermanentError)) throw new EndpointFailure(error);
      deps.log.error('event cannot be delivered (permanent): sent to the DLQ', {
        ...context,
        reason: error.message,
        error: error.name,
        ...(error.context.status !== undefined ? { status: error.context.status } : {}),
      });
      await deps.deadLetter(record, error.message);
      return false;
    }
  }

  /** A failed archive write is reported, not retried: the DMS has the event, a re-send would repeat it. */
  async function archive(prepared: Prepared): Promise<void> {
    if (!deps.archive) return;
    const { dealer, envelope, current } = prepared;
    try {
      await deps.archive.put({
        dealerId: dealer.id,
        deliveredAt: deps.clock.now(),
        subject: current.subject,
        envelope,
      });
    } catch (error) {
      deps.log.error('delivered event not archived: replay will miss it', {
        eventId: envelope.id,
        dealerId: dealer.id,
        error: errorName(error),
      });
    }
  }

  /** Only after the DMS accepted it: the dedupe records, then the archive. */
  async function record(prepared: Prepared, batch: BatchState): Promise<void> {
    const { dealer, envelope, current, context } = prepared;
    batch.endpointsOk.add(dealer.id);
    const first = await deps.dedupe.markDelivered(envelope.id, {
      dealerId: dealer.id,
      type: envelope.type,
      last: current,
    });
    batch.delivered.add(envelope.id);
    await archive(prepared);
    deps.log.info('event delivered', {
      ...context,
      enriched: envelope.vehicle !== undefined,
      ...(first ? {} : { concurrentDuplicate: true }),
    });
  }

  return async (queued, known, batch) => {
    const parsed = await parse(queued);
    if (!parsed) return 'deadLettered';
    const ids = { eventId: parsed.message.id, dealerId: parsed.dealer.id };
    Object.assign(known, ids);
    if (batch.delivered.has(ids.eventId)) {
      deps.log.info('event already delivered: acknowledged', ids);
      return 'duplicate';
    }
    const prepared = await prepare(parsed, known);
    if (!prepared) return 'skipped';
    if (isResend(await deps.dedupe.lastDelivery(prepared.current.subject), prepared.current)) {
      deps.log.info('re-send of the last delivery, nothing changed: acknowledged', prepared.context);
      return 'duplicate';
    }
    if (!(await send(queued, prepared))) return 'deadLettered';
    await record(prepared, batch);
    return 'delivered';
  };
}
