import { z } from 'zod';
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
  })
  .strict();

export type WorkMessageBody = z.infer<typeof WorkMessageSchema>;

/** Whether this message lets removals through the safety valve: only an operator's manual one. */
export function allowsMassRemoval(message: WorkMessageBody): boolean {
  return message.trigger === 'manual' && message.allowMassRemoval === true;
}

/** The dealer of an inbound feed key `feeds/<dealerId>/inbound/<name>`, or null. */
export function dealerOfInboundKey(key: string): string | null {
  const match = /^feeds\/([^/]+)\/inbound\/[^/]+$/.exec(key);
  return match && DEALER_ID_PATTERN.test(match[1] as string) ? (match[1] as string) : null;
}
