import * as z from 'zod';

/**
 * One zod schema per documented Wayke webhook kind (`docs/wayke-api.md`, fixtures in
 * `test/fixtures/wayke-events/`). They check what the project relies on — the fields that
 * recognise a kind and identify its vehicle — and keep every other field as it came
 * (`z.looseObject`), because the payload is forwarded to the dealer's DMS untouched and Wayke
 * adds fields without notice.
 */

const text = z.string();
const nonEmpty = z.string().min(1);

/** `subject` of messages and leads: the ad the buyer looked at. */
const SubjectSchema = z.looseObject({
  id: nonEmpty.optional(),
  registrationNumber: text.optional(),
  vehicleIdentificationNumber: text.optional(),
});

const BranchSchema = z.looseObject({ id: nonEmpty });

/**
 * Wayke's online sale on an ad (**assumed** to travel with the update as it reads on the ad:
 * `ecommerce.reserved`, see `adapters/wayke-mapping.ts`). Optional: the documented example has none.
 */
const OnlineSaleSchema = z.looseObject({ reserved: z.boolean().optional() });

/** A vehicle ad changed: top-level `id`, `registrationNumber`, `status`, no `eventType`. */
export const VehicleUpdatedEventSchema = z.looseObject({
  id: nonEmpty,
  registrationNumber: nonEmpty,
  vehicleIdentificationNumber: text.optional(),
  status: nonEmpty,
  ecommerce: OnlineSaleSchema.optional(),
});

/** A step of a process flow changed state (`started`, `pending`, `completed`, …). */
export const ProcessEventSchema = z.looseObject({
  eventType: z.literal('Process'),
  processId: nonEmpty,
  processName: text,
  stepId: nonEmpty.optional(),
  stepName: text,
  executedBy: text.optional(),
  state: nonEmpty,
  eventTime: z.iso.datetime({ offset: true }).optional(),
  itemId: nonEmpty.optional(),
  registrationNumber: text.optional(),
  vehicleIdentificationNumber: text.optional(),
});

/** A buyer wrote a message about an ad. */
export const MessageEventSchema = z.looseObject({
  branch: BranchSchema.optional(),
  message: z.looseObject({
    id: nonEmpty,
    text: text.optional(),
    createdAt: z.iso.datetime({ offset: true }).optional(),
    conversation: z.looseObject({ id: nonEmpty }).optional(),
  }),
  subject: SubjectSchema.optional(),
});

/** An online order (holds the customer's personal data). */
export const OrderEventSchema = z.looseObject({
  branch: BranchSchema.optional(),
  id: nonEmpty,
  orderNumber: z.union([nonEmpty, z.number()]),
  waykeId: nonEmpty.optional(),
  createdAt: z.iso.datetime({ offset: true }).optional(),
  vehicle: z
    .looseObject({ registrationNumber: text.optional(), vehicleIdentificationNumber: text.optional() })
    .optional(),
  customer: z.looseObject({}).optional(),
  payment: z.looseObject({}).optional(),
});

/** A lead: a call, a "call me", a valuation (holds the contact's personal data). */
export const LeadEventSchema = z.looseObject({
  branch: BranchSchema.optional(),
  subject: SubjectSchema.optional(),
  vehicle: z.looseObject({ registrationNumber: text.optional() }).optional(),
  lead: z.looseObject({
    id: nonEmpty,
    type: nonEmpty,
    createdAt: z.iso.datetime({ offset: true }).optional(),
    contact: z.looseObject({}).optional(),
    metadata: z.array(z.looseObject({ key: text, value: z.unknown() })).optional(),
  }),
});

/** `eventType` values taken as the documented-but-unexampled "new incoming vehicle for purchase". */
export const INCOMING_VEHICLE_EVENT_TYPE = /incoming|purchase|inbyte|inkop|inköp|tradein|trade-in/i;

/**
 * The documented but never exampled "new incoming vehicle for purchase": deliberately tolerant.
 * It needs only something that names a vehicle — a plate (top level or under `vehicle`) or an id —
 * so a real payload of a slightly different shape is still recognised rather than refused.
 */
export const IncomingVehicleEventSchema = z
  .looseObject({
    eventType: z.string().regex(INCOMING_VEHICLE_EVENT_TYPE).optional(),
    id: nonEmpty.optional(),
    itemId: nonEmpty.optional(),
    registrationNumber: nonEmpty.optional(),
    vehicleIdentificationNumber: text.optional(),
    vehicle: z.looseObject({ registrationNumber: nonEmpty.optional(), id: nonEmpty.optional() }).optional(),
  })
  .refine(
    (event) =>
      Boolean(event.registrationNumber ?? event.vehicle?.registrationNumber) ||
      // Ids alone identify a vehicle only when the event also says what it is.
      (event.eventType !== undefined && Boolean(event.itemId ?? event.id ?? event.vehicle?.id)),
    { message: 'names no vehicle (registrationNumber, vehicle.registrationNumber, or an id beside an eventType)' },
  );

/** A kind Wayke added later: valid JSON with an `eventType`; forwarded as it is. */
export const GenericEventSchema = z.looseObject({ eventType: nonEmpty });

export type VehicleUpdatedEvent = z.output<typeof VehicleUpdatedEventSchema>;
export type ProcessEvent = z.output<typeof ProcessEventSchema>;
export type MessageEvent = z.output<typeof MessageEventSchema>;
export type OrderEvent = z.output<typeof OrderEventSchema>;
export type LeadEvent = z.output<typeof LeadEventSchema>;
export type IncomingVehicleEvent = z.output<typeof IncomingVehicleEventSchema>;
export type GenericEvent = z.output<typeof GenericEventSchema>;
