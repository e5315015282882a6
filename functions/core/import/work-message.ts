import * as z from 'zod';
import { DEALER_ID_PATTERN } from '../dealer-config.js';

/**
 * A message on the import work queue: one dealer per message. `allowMassRemoval` is only honoured
 * on `manual` messages (an operator's explicit choice), never on scheduled or upload triggers.
 */
export const WorkMessageSchema = z
  .object({
    dealerId: z.string().regex(DEALER_ID_PATTERN),
    trigger: z.enum(['schedule', 'upload', 'manual']),
    key: z.string().min(1).optional(),
    allowMassRemoval: z.boolean().optional(),
    attempt: z.number().int().min(1).max(1000).optional(),
  })
  .strict();

export type WorkMessage = z.infer<typeof WorkMessageSchema>;

/** Whether this message lets removals through the safety valve: only an operator's manual one. */
export function allowsMassRemoval(message: WorkMessage): boolean {
  return message.trigger === 'manual' && message.allowMassRemoval === true;
}

/**
 * A trigger that found the dealer's lease held comes back this much later. The holder imports
 * whatever arrived before it releases the lease; this catches the upload that lands between
 * that last look and the release, so no upload waits for the hourly run.
 */
export const LEASE_RETRY_DELAY_SECONDS = 30;
/** Comebacks before a trigger gives up: 40 × 30 s outlasts the longest run (the 15-minute Lambda). */
export const MAX_LEASE_RETRIES = 40;

/**
 * The message to send again, delayed, for a trigger that found the lease held, or null when it
 * need not come back: the hourly schedule comes back by itself, and a trigger gives up after
 * {@link MAX_LEASE_RETRIES} (the lease holder's own follow-up still imports the file).
 */
export function leaseHeldRetry(
  message: WorkMessage,
  delaySeconds: number = LEASE_RETRY_DELAY_SECONDS,
): { message: WorkMessage; delaySeconds: number } | null {
  if (message.trigger === 'schedule') return null;
  const attempt = (message.attempt ?? 0) + 1;
  if (attempt > MAX_LEASE_RETRIES) return null;
  return { message: { ...message, attempt }, delaySeconds };
}
