import * as z from 'zod';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * The body of a message on the events FIFO queue, written by the webhook Lambda and read by the
 * DMS writer (and by the local run's poller, which hands it on unchanged):
 * `{"v":2,"id":"<delivery id>","bodyHash":"<sha256 of dealer + body>","dealerId":"bilhallen","receivedAt":"<ISO>","payload":{…}}`.
 * `id` is unique per accepted webhook call and becomes the delivery's `webhook-id`; `bodyHash`
 * names the notification, so the writer can tell a re-send from a repeat. Version 1 (written
 * before `bodyHash` existed, `id` = body hash) is still read, so messages queued across a deploy
 * are delivered. The Wayke kind and the route are derived again at delivery, from the payload.
 */
export const EventMessageSchema = z
  .object({
    v: z.union([z.literal(1), z.literal(2)]),
    id: hex64,
    bodyHash: hex64.optional(),
    dealerId: z.string().min(1),
    receivedAt: z.iso.datetime(),
    payload: z.unknown(),
  })
  .strict();

export type EventMessage = z.output<typeof EventMessageSchema>;

/** The hash naming the notification's body (version 1 messages: their id). */
export const bodyHashOf = (message: EventMessage): string => message.bodyHash ?? message.id;

/** Serialises a queue message body (fixed key order). */
export function eventMessageBody(message: EventMessage): string {
  return JSON.stringify({
    v: message.v,
    id: message.id,
    ...(message.bodyHash !== undefined ? { bodyHash: message.bodyHash } : {}),
    dealerId: message.dealerId,
    receivedAt: message.receivedAt,
    payload: message.payload,
  });
}
