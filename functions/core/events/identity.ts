import { createHash } from 'node:crypto';
import { entityId, vehicleRef, type WaykeEvent } from './classify.js';

/**
 * Wayke sends no event id, so a notification is named by what it is: the SHA-256 (hex) of the
 * dealer id and the raw body (the queue message's `bodyHash`). The same body can mean a re-send or
 * a new change (a second price change, Published → Unpublished → Published), so it is not the
 * delivery's id: see {@link deliveryId}.
 */
export function eventId(dealerId: string, rawBody: string | Uint8Array): string {
  return createHash('sha256').update(dealerId).update('\n').update(rawBody).digest('hex');
}

/**
 * The id of one accepted webhook call: the delivery's `webhook-id`, the FIFO
 * `MessageDeduplicationId` and the key of its dedupe record. Unique per call (`nonce`), kept by
 * every retry, redrive and replay of that delivery.
 */
export function deliveryId(bodyHash: string, receivedAt: string, nonce: string): string {
  return createHash('sha256').update(bodyHash).update('\n').update(receivedAt).update('\n').update(nonce).digest('hex');
}

/** Characters SQS allows in a `MessageGroupId` (ASCII letters, digits, punctuation), 128 at most. */
const GROUP_ID_CHAR = /[^A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
const MAX_GROUP_ID = 128;

function safeGroupId(raw: string): string {
  const cleaned = raw.replace(GROUP_ID_CHAR, '_');
  if (cleaned.length <= MAX_GROUP_ID) return cleaned;
  return `${cleaned.slice(0, 60)}#${createHash('sha256').update(raw).digest('hex').slice(0, 32)}`;
}

/**
 * The FIFO `MessageGroupId`: dealer + vehicle, so events for one vehicle are delivered strictly in
 * order and different vehicles in parallel. The vehicle is Wayke's ad id, else the plate; an
 * event that names no vehicle falls back to its own kind and entity (conversation, order, lead,
 * process), which is stable for that entity.
 */
export function messageGroupId(dealerId: string, event: WaykeEvent): string {
  const ref = vehicleRef(event);
  if (ref.adId) return safeGroupId(`${dealerId}:${ref.adId}`);
  if (ref.registrationNumber) return safeGroupId(`${dealerId}:plate:${ref.registrationNumber}`);
  const entity = entityId(event);
  return safeGroupId(entity ? `${dealerId}:${event.source}:${entity}` : `${dealerId}:${event.source}`);
}
