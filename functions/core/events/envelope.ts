import { z } from 'zod';
import { DMS_EVENT_KINDS, type DmsEventKind } from '../dealer-config.js';
import { VehicleSchema, type Vehicle } from '../vehicle.js';

/**
 * What the dealer's DMS receives, by webhook or outbox file:
 * `{ id, type, dealer, occurredAt, vehicle?, wayke }` — `wayke` is the original payload as Wayke
 * sent it; `vehicle` the canonical vehicle read back from Wayke for purchased/updated events.
 */
export const DmsEnvelopeSchema = z
  .object({
    /** The event id (SHA-256 hex of dealer + raw webhook body); the DMS's idempotency key. */
    id: z.string().regex(/^[0-9a-f]{64}$/),
    type: z.enum(DMS_EVENT_KINDS),
    /** The dealer id. */
    dealer: z.string().min(1),
    occurredAt: z.iso.datetime(),
    vehicle: VehicleSchema.optional(),
    wayke: z.unknown(),
  })
  .strict();

export type DmsEnvelope = {
  readonly id: string;
  readonly type: DmsEventKind;
  readonly dealer: string;
  readonly occurredAt: string;
  readonly vehicle?: Vehicle;
  readonly wayke: unknown;
};

/** Builds the envelope; keys in a fixed order so the body (and its signature) is reproducible. */
export function buildDmsEnvelope(input: {
  id: string;
  type: DmsEventKind;
  dealer: string;
  occurredAt: string;
  vehicle?: Vehicle | undefined;
  wayke: unknown;
}): DmsEnvelope {
  return {
    id: input.id,
    type: input.type,
    dealer: input.dealer,
    occurredAt: input.occurredAt,
    ...(input.vehicle ? { vehicle: input.vehicle } : {}),
    wayke: input.wayke,
  };
}
