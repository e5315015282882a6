import * as z from 'zod';
import { DMS_EVENT_KINDS, type DmsEventKind } from '../dealer-config.js';
import { DmsVehicleSchema, type DmsVehicle } from './dms-vehicle.js';
import {
  LeadEventSchema,
  MessageEventSchema,
  OrderEventSchema,
  ProcessEventSchema,
  VehicleUpdatedEventSchema,
} from './schemas.js';

/** Version of the envelope's shape; a breaking change gets a new major and new schema files. */
export const DMS_EVENT_SCHEMA_VERSION = '1.0.0';

const id = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .describe(
    'The delivery id, also the webhook-id header: the idempotency key, kept by every retry, redrive and replay of this delivery.',
  );
const rest = {
  dealer: z.string().min(1).describe('The dealer id as configured in wayke-dms.'),
  occurredAt: z.iso
    .datetime()
    .describe('When it happened as Wayke says, else when wayke-dms received it (ISO-8601, UTC).'),
  waykeId: z.string().min(1).optional().describe("Wayke's ad id, when the event is about an ad."),
  registrationNumber: z
    .string()
    .regex(/^[A-Z0-9ÅÄÖ]{2,7}$/)
    .optional()
    .describe('The plate, normalised (upper case, no spaces or hyphens), when the event names one.'),
};
const wayke = (schema: z.ZodType) => schema.describe('The webhook payload exactly as Wayke sent it.');
const vehicle = DmsVehicleSchema.optional().describe(
  'The car as read from Wayke when the event was delivered (absent only when Wayke no longer has the ad).',
);

/**
 * What the dealer's DMS receives, by webhook or outbox file, for any type:
 * `{ id, type, dealer, occurredAt, waykeId?, registrationNumber?, vehicle?, wayke }` — `wayke` is
 * the original payload as Wayke sent it; `vehicle` the car read from Wayke (purchased/updated).
 */
export const DmsEnvelopeSchema = z
  .object({ id, type: z.enum(DMS_EVENT_KINDS), ...rest, vehicle, wayke: wayke(z.unknown()) })
  .strict();

/** The payload Wayke sent, by delivered type (as the ingest recognised it). */
const WAYKE_PAYLOADS = {
  'vehicle.purchased': ProcessEventSchema,
  'vehicle.updated': VehicleUpdatedEventSchema,
  'vehicle.reserved': VehicleUpdatedEventSchema,
  'vehicle.sold': VehicleUpdatedEventSchema,
  'process.step': ProcessEventSchema,
  'order.created': OrderEventSchema,
  'lead.created': LeadEventSchema,
  'message.created': MessageEventSchema,
  'wayke.event': z.looseObject({}),
} as const satisfies Record<DmsEventKind, z.ZodType>;

/** Types whose event carries `vehicle` (absent only when Wayke no longer has the ad). */
const WITH_VEHICLE: ReadonlySet<DmsEventKind> = new Set([
  'vehicle.purchased',
  'vehicle.updated',
  'vehicle.reserved',
  'vehicle.sold',
]);

/** One schema per delivered type: the catalog behind `docs/events/<type>.schema.json`. */
export const DmsEventSchemas: { readonly [K in DmsEventKind]: z.ZodObject } = Object.fromEntries(
  DMS_EVENT_KINDS.map((kind) => [
    kind,
    z
      .object({
        id,
        type: z.literal(kind),
        ...rest,
        ...(WITH_VEHICLE.has(kind) ? { vehicle } : {}),
        wayke: wayke(WAYKE_PAYLOADS[kind]),
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
