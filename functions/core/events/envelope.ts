import { z } from 'zod';
import { DMS_EVENT_KINDS, type DmsEventKind } from '../dealer-config.js';
import { DmsVehicleSchema, type DmsVehicle } from './dms-vehicle.js';
import { LeadEventSchema, MessageEventSchema, OrderEventSchema, ProcessEventSchema, VehicleUpdatedEventSchema } from './schemas.js';

/** Version of the envelope's shape; a breaking change gets a new major and new schema files. */
export const DMS_EVENT_SCHEMA_VERSION = '1.0.0';

const fields = {
  /** The delivery id, also the `webhook-id` header: the DMS's idempotency key (kept by retries and replays). */
  id: z.string().regex(/^[0-9a-f]{64}$/),
  /** The dealer id (as configured in wayke-dms). */
  dealer: z.string().min(1),
  /** When it happened, as Wayke says, else when wayke-dms received it (ISO-8601 UTC). */
  occurredAt: z.iso.datetime(),
  /** Wayke's ad id, when the event is about an ad. */
  waykeId: z.string().min(1).optional(),
  /** The car's plate (normalised: upper case, no spaces), when the event names one. */
  registrationNumber: z.string().regex(/^[A-Z0-9ÅÄÖ]{2,7}$/).optional(),
};

/**
 * What the dealer's DMS receives, by webhook or outbox file, for any type:
 * `{ id, type, dealer, occurredAt, waykeId?, registrationNumber?, vehicle?, wayke }` — `wayke` is
 * the original payload as Wayke sent it; `vehicle` the car read from Wayke (purchased/updated).
 */
export const DmsEnvelopeSchema = z
  .object({ ...fields, type: z.enum(DMS_EVENT_KINDS), vehicle: DmsVehicleSchema.optional(), wayke: z.unknown() })
  .strict();

/** The payload Wayke sent, by delivered type (as the ingest recognised it). */
const WAYKE_PAYLOADS = {
  'vehicle.purchased': ProcessEventSchema,
  'vehicle.updated': VehicleUpdatedEventSchema,
  'process.step': ProcessEventSchema,
  'order.created': OrderEventSchema,
  'lead.created': LeadEventSchema,
  'message.created': MessageEventSchema,
  'wayke.event': z.looseObject({}),
} as const satisfies Record<DmsEventKind, z.ZodType>;

/** Types whose event carries `vehicle` (absent only when Wayke no longer has the ad). */
const WITH_VEHICLE: ReadonlySet<DmsEventKind> = new Set(['vehicle.purchased', 'vehicle.updated']);

/** One schema per delivered type: the catalog behind `docs/events/<type>.schema.json`. */
export const DmsEventSchemas: { readonly [K in DmsEventKind]: z.ZodObject } = Object.fromEntries(
  DMS_EVENT_KINDS.map((kind) => [
    kind,
    z
      .object({
        ...fields,
        type: z.literal(kind),
        ...(WITH_VEHICLE.has(kind) ? { vehicle: DmsVehicleSchema.optional() } : {}),
        wayke: WAYKE_PAYLOADS[kind],
      })
      .strict(),
  ]),
) as unknown as { readonly [K in DmsEventKind]: z.ZodObject };

export type DmsEnvelope = {
  readonly id: string;
  readonly type: DmsEventKind;
  readonly dealer: string;
  readonly occurredAt: string;
  readonly waykeId?: string;
  readonly registrationNumber?: string;
  readonly vehicle?: DmsVehicle;
  readonly wayke: unknown;
};

/** Builds the envelope; keys in a fixed order so the body (and its signature) is reproducible. */
export function buildDmsEnvelope(input: {
  id: string;
  type: DmsEventKind;
  dealer: string;
  occurredAt: string;
  waykeId?: string | undefined;
  registrationNumber?: string | undefined;
  vehicle?: DmsVehicle | undefined;
  wayke: unknown;
}): DmsEnvelope {
  const registrationNumber = input.vehicle?.registrationNumber ?? input.registrationNumber;
  const waykeId = input.vehicle?.waykeId ?? input.waykeId;
  return {
    id: input.id,
    type: input.type,
    dealer: input.dealer,
    occurredAt: input.occurredAt,
    ...(waykeId ? { waykeId } : {}),
    ...(registrationNumber ? { registrationNumber } : {}),
    ...(input.vehicle ? { vehicle: input.vehicle } : {}),
    wayke: input.wayke,
  };
}
