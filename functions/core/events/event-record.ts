import type { ResolvedDealer } from '../dealer-config.js';
import { PermanentError } from '../errors.js';
import { classifyWaykeEvent, type WaykeEvent } from './classify.js';
import { EventMessageSchema, type EventMessage } from './message.js';

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

/** A queue message that can never be delivered: bad body or a dealer no longer configured. */
export class UndeliverableEventError extends PermanentError {}

/** A record read: its message, the dealer it is for and the Wayke event it carries. */
export interface ParsedRecord {
  readonly message: EventMessage;
  readonly dealer: ResolvedDealer;
  readonly event: WaykeEvent;
}

const EVENT_ID = /^[0-9a-f]{64}$/;

/** The event id of a queue message, if its body is readable (for the batch dedupe read). */
export function eventIdOf(record: EventRecord): string | undefined {
  try {
    const id = (JSON.parse(record.body) as { id?: unknown }).id;
    return typeof id === 'string' && EVENT_ID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

function messageOf(record: EventRecord): EventMessage {
  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch {
    throw new UndeliverableEventError('queue message is not JSON', { messageId: record.messageId });
  }
  const parsed = EventMessageSchema.safeParse(json);
  if (!parsed.success)
    throw new UndeliverableEventError('queue message does not match the event message schema', {
      messageId: record.messageId,
    });
  return parsed.data;
}

/**
 * Reads a queue record: its message, its configured dealer and the Wayke event it carries.
 * Throws {@link UndeliverableEventError} (naming fields, never values) when any of them is missing.
 */
export function parseEventRecord(record: EventRecord, dealers: ReadonlyMap<string, ResolvedDealer>): ParsedRecord {
  const message = messageOf(record);
  const dealer = dealers.get(message.dealerId);
  if (!dealer)
    throw new UndeliverableEventError('dealer is not configured', { dealerId: message.dealerId, eventId: message.id });
  const classified = classifyWaykeEvent(message.payload);
  if (!classified.ok)
    throw new UndeliverableEventError(`payload matches no Wayke event kind: ${classified.reason}`, {
      dealerId: dealer.id,
      eventId: message.id,
    });
  return { message, dealer, event: classified.event };
}
