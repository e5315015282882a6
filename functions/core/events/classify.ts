import type * as z from 'zod';
import { normaliseRegistrationNumber } from '../vehicle.js';
import {
  GenericEventSchema,
  INCOMING_VEHICLE_EVENT_TYPE,
  IncomingVehicleEventSchema,
  LeadEventSchema,
  MessageEventSchema,
  OrderEventSchema,
  ProcessEventSchema,
  VehicleUpdatedEventSchema,
  type GenericEvent,
  type IncomingVehicleEvent,
  type LeadEvent,
  type MessageEvent,
  type OrderEvent,
  type ProcessEvent,
  type VehicleUpdatedEvent,
} from './schemas.js';

/** A Wayke webhook body recognised as one kind, parsed by that kind's schema. */
export type WaykeEvent =
  | { readonly source: 'vehicleUpdated'; readonly payload: VehicleUpdatedEvent }
  | { readonly source: 'process'; readonly payload: ProcessEvent }
  | { readonly source: 'message'; readonly payload: MessageEvent }
  | { readonly source: 'order'; readonly payload: OrderEvent }
  | { readonly source: 'lead'; readonly payload: LeadEvent }
  | { readonly source: 'incomingVehicle'; readonly payload: IncomingVehicleEvent }
  | { readonly source: 'generic'; readonly payload: GenericEvent };

export type WaykeEventSource = WaykeEvent['source'];

export type ClassifyResult =
  | { readonly ok: true; readonly event: WaykeEvent }
  | { readonly ok: false; readonly reason: string };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A short reason naming fields, never values (the body may hold personal data). */
function reasonFrom(kind: string, error: z.ZodError): string {
  const issues = error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`);
  return `${kind} event: ${issues.join('; ')}`;
}

function parseAs<S extends z.ZodType, K extends WaykeEventSource>(
  source: K,
  label: string,
  schema: S,
  body: unknown,
): ClassifyResult {
  const parsed = schema.safeParse(body);
  if (!parsed.success) return { ok: false, reason: reasonFrom(label, parsed.error) };
  return { ok: true, event: { source, payload: parsed.data } as WaykeEvent };
}

/** A documented kind recognised by its shape (null: the body has none of their marks). */
function byShape(body: Record<string, unknown>, hasEventType: boolean): ClassifyResult | null {
  if ('message' in body) return parseAs('message', 'message', MessageEventSchema, body);
  if ('lead' in body) return parseAs('lead', 'lead', LeadEventSchema, body);
  if ('orderNumber' in body) return parseAs('order', 'order', OrderEventSchema, body);
  if ('status' in body && !hasEventType)
    return parseAs('vehicleUpdated', 'vehicle updated', VehicleUpdatedEventSchema, body);
  return null;
}

/** A body with an `eventType` no documented shape took: an incoming vehicle, else generic. */
function byEventType(body: Record<string, unknown>, eventType: string): ClassifyResult {
  if (INCOMING_VEHICLE_EVENT_TYPE.test(eventType)) {
    const incoming = parseAs('incomingVehicle', 'incoming vehicle', IncomingVehicleEventSchema, body);
    if (incoming.ok) return incoming;
  }
  return parseAs('generic', 'generic', GenericEventSchema, body);
}

/**
 * Recognises the kind of a parsed webhook body by the marks `docs/wayke-api.md` documents and
 * validates it with that kind's schema. A body with an `eventType` nobody knows yet is accepted
 * as a generic event (Wayke would otherwise retry it forever); a body that matches no kind, or
 * breaks its kind's schema, is refused with a short reason.
 */
export function classifyWaykeEvent(body: unknown): ClassifyResult {
  if (!isObject(body)) return { ok: false, reason: 'body must be a JSON object' };
  const hasEventType = 'eventType' in body;
  const eventType = body.eventType;
  if (hasEventType && (typeof eventType !== 'string' || eventType.length === 0))
    return { ok: false, reason: 'eventType must be a non-empty string' };
  if (eventType === 'Process') return parseAs('process', 'process', ProcessEventSchema, body);

  // The documented kinds are recognised by their shape, also should Wayke one day add an
  // `eventType` to them; with an `eventType`, a shape that breaks its schema is still forwarded.
  const structural = byShape(body, hasEventType);
  if (structural?.ok || (structural && !hasEventType)) return structural;
  if (typeof eventType === 'string') return byEventType(body, eventType);
  const incoming = IncomingVehicleEventSchema.safeParse(body);
  if (incoming.success) return { ok: true, event: { source: 'incomingVehicle', payload: incoming.data } };
  return { ok: false, reason: 'body matches no known Wayke event kind' };
}

/** What an event says about its vehicle: Wayke's ad (or item) id and the plate, when given. */
export interface VehicleRef {
  readonly adId?: string;
  readonly registrationNumber?: string;
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;
const plate = (value: unknown): string | undefined => {
  const raw = str(value);
  return raw ? normaliseRegistrationNumber(raw) : undefined;
};
const compact = (ref: { adId?: string | undefined; registrationNumber?: string | undefined }): VehicleRef => ({
  ...(ref.adId ? { adId: ref.adId } : {}),
  ...(ref.registrationNumber ? { registrationNumber: ref.registrationNumber } : {}),
});

type RefOf<S extends WaykeEventSource> = (payload: Extract<WaykeEvent, { source: S }>['payload']) => VehicleRef;

/** Where each kind names its ad and plate. */
const REF_BY_SOURCE: { readonly [S in WaykeEventSource]: RefOf<S> } = {
  vehicleUpdated: (p) => compact({ adId: str(p.id), registrationNumber: plate(p.registrationNumber) }),
  process: (p) => compact({ adId: str(p.itemId), registrationNumber: plate(p.registrationNumber) }),
  message: (p) => compact({ adId: str(p.subject?.id), registrationNumber: plate(p.subject?.registrationNumber) }),
  order: (p) => compact({ adId: str(p.waykeId), registrationNumber: plate(p.vehicle?.registrationNumber) }),
  lead: (p) =>
    compact({
      adId: str(p.subject?.id),
      registrationNumber: plate(p.subject?.registrationNumber ?? p.vehicle?.registrationNumber),
    }),
  incomingVehicle: (p) =>
    compact({
      adId: str(p.itemId) ?? str(p.vehicle?.id) ?? str(p.id),
      registrationNumber: plate(p.registrationNumber ?? p.vehicle?.registrationNumber),
    }),
  generic: (p) => {
    const payload = p as Record<string, unknown>;
    return compact({
      adId: str(payload.itemId) ?? str(payload.adId),
      registrationNumber: plate(payload.registrationNumber),
    });
  },
};

/**
 * The dealer's vehicle an event is about. Plates come only from the ad fields (`subject`,
 * `vehicle`, top level) — never from a valuation lead's metadata, which names the customer's car.
 */
export function vehicleRef(event: WaykeEvent): VehicleRef {
  return (REF_BY_SOURCE[event.source] as (payload: WaykeEvent['payload']) => VehicleRef)(event.payload);
}

/** What a Swedish plate looks like once normalised (as the feed's `registrationNumber` schema). */
const PLATE_PATTERN = /^[A-Z0-9ÅÄÖ]{2,7}$/;

/**
 * The event's plate, only when it looks like a plate: the field comes from an unvalidated body and
 * a sender may put a name or a personal identity number there, which must not reach the logs.
 */
export function loggablePlate(event: WaykeEvent): string | undefined {
  const plateValue = vehicleRef(event).registrationNumber;
  return plateValue !== undefined && PLATE_PATTERN.test(plateValue) ? plateValue : undefined;
}

/** The id of the thing an event is about when it names no vehicle: stable for that thing. */
export function entityId(event: WaykeEvent): string | undefined {
  switch (event.source) {
    case 'vehicleUpdated':
      return str(event.payload.id);
    case 'process':
      return str(event.payload.processId);
    case 'message':
      return str(event.payload.message.conversation?.id) ?? str(event.payload.message.id);
    case 'order':
      return str(event.payload.id);
    case 'lead':
      return str(event.payload.lead.id);
    case 'incomingVehicle':
      return str(event.payload.id);
    case 'generic':
      return str((event.payload as Record<string, unknown>).id) ?? event.payload.eventType;
  }
}

/**
 * When the event happened, as Wayke says it, else when we received it (vehicle updates carry
 * no timestamp). Always an ISO-8601 UTC string.
 */
export function occurredAt(event: WaykeEvent, receivedAt: string): string {
  const candidates: unknown[] = [];
  switch (event.source) {
    case 'process':
      candidates.push(event.payload.eventTime);
      break;
    case 'message':
      candidates.push(event.payload.message.createdAt);
      break;
    case 'order':
      candidates.push(event.payload.createdAt);
      break;
    case 'lead':
      candidates.push(event.payload.lead.createdAt);
      break;
    case 'generic':
    case 'incomingVehicle': {
      const payload = event.payload as Record<string, unknown>;
      candidates.push(payload.eventTime, payload.createdAt);
      break;
    }
    case 'vehicleUpdated':
      break;
  }
  for (const candidate of candidates) {
    if (typeof candidate !== 'string') continue;
    const time = Date.parse(candidate);
    if (!Number.isNaN(time)) return new Date(time).toISOString();
  }
  return receivedAt;
}
