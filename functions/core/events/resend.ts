import { createHash } from 'node:crypto';
import type { LastDelivery } from '../../ports.js';
import type { DmsEnvelope } from './envelope.js';

/**
 * SHA-256 of what the DMS learns from an envelope apart from its id and time: the type, the ad,
 * the vehicle as read from Wayke and Wayke's payload. Two deliveries with the same content hash
 * tell the DMS nothing new.
 */
export function contentHash(envelope: DmsEnvelope): string {
  const { id: _id, occurredAt: _occurredAt, ...content } = envelope;
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

/**
 * A re-send, not a repeat: the same webhook body as the last delivery about the same subject
 * (so no other event for it came between), and the vehicle as read from Wayke unchanged since.
 * A second price change with an identical webhook body differs in content; Published →
 * Unpublished → Published differs in the body between each pair.
 */
export function isResend(
  last: LastDelivery | null,
  current: { readonly bodyHash: string; readonly contentHash: string },
): boolean {
  return last !== null && last.bodyHash === current.bodyHash && last.contentHash === current.contentHash;
}
