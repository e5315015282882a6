import { z } from 'zod';

/**
 * The body of a message on the events FIFO queue, written by the webhook Lambda and read by the
 * DMS writer (and by the local run's poller, which hands it on unchanged):
 * `{"v":1,"id":"<sha256 hex>","dealerId":"bilhallen","receivedAt":"<ISO>","payload":{…Wayke JSON…}}`.
 * The Wayke kind and the route are derived again at delivery, from the payload, by the same code.
 */
export const EventMessageSchema = z
  .object({
    v: z.literal(1),
    id: z.string().regex(/^[0-9a-f]{64}$/),
    dealerId: z.string().min(1),
    receivedAt: z.iso.datetime(),
    payload: z.unknown(),
  })
  .strict();

export type EventMessage = z.output<typeof EventMessageSchema>;

/** Serialises a queue message body (fixed key order). */
export function eventMessageBody(message: EventMessage): string {
  return JSON.stringify({ v: 1, id: message.id, dealerId: message.dealerId, receivedAt: message.receivedAt, payload: message.payload });
}
