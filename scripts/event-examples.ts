/**
 * The example payload of each delivered type, built by the code that builds real deliveries
 * (envelope, DMS vehicle) from the documented Wayke webhooks in `test/fixtures/wayke-events/` and
 * a realistic ad as Wayke returns it. Deterministic: ids are hashes of the example itself.
 */
import { readFileSync } from 'node:fs';
import type { DmsEventKind } from '../functions/core/dealer-config.js';
import { classifyWaykeEvent, occurredAt, vehicleRef } from '../functions/core/events/classify.js';
import { toDmsVehicle, withExternalId } from '../functions/core/events/dms-vehicle.js';
import { buildDmsEnvelope, type DmsEnvelope } from '../functions/core/events/envelope.js';
import { deliveryId, eventId } from '../functions/core/events/identity.js';
import { routeEvent } from '../functions/core/events/routing.js';
import type { WaykeAd } from '../functions/ports.js';

const DEALER = 'bilhallen';
const RECEIVED_AT = '2026-10-03T14:02:40.000Z';

/** The dealer's stock number the example car had in its feed (`lagernummer`). */
const EXAMPLE_STOCK_NUMBER = 'B-1042';

/** The ad of the fixtures (KLM482), as the Wayke mapping returns it. */
const EXAMPLE_AD: WaykeAd = {
  id: '5f1c2b7e-0a4d-4c1e-9a57-3e2f1d9b8c01',
  status: 'Published',
  vehicle: {
    registrationNumber: 'KLM482',
    vin: 'YV1ZWA8UDL2123456',
    price: 389900,
    campaignPrice: 379900,
    oldPrice: 399900,
    leasingPrice: 4995,
    mileage: 43100,
    modelYear: 2022,
    shortDescription: 'Volvo V90 Cross Country B5 AWD Pro',
    description: 'Välvårdad V90 CC med drag och vinterhjul. Servad enligt serviceprogram.',
    equipment: ['Dragkrok', 'Panoramatak', 'Harman Kardon'],
    manufacturerPackages: ['Plus', 'Vinterpaket'],
    deductibleVat: true,
    exchangeRight: false,
    servicePlanFollowed: true,
    carWarranty: '12 mån',
    documents: [{ url: 'https://media.wayke.se/documents/klm482-servicebok.pdf', name: 'Servicebok' }],
  },
  mediaUrls: ['https://media.wayke.se/images/klm482-1.jpg', 'https://media.wayke.se/images/klm482-2.jpg'],
  details: {
    make: 'Volvo',
    model: 'V90',
    variant: 'Cross Country B5 AWD Pro',
    firstRegistration: '2021-11-18',
    fuel: 'Bensin/El',
    gearbox: 'Automat',
    colour: 'Silver',
  },
};

const FIXTURE_OF: { readonly [K in DmsEventKind]: string } = {
  'vehicle.purchased': 'purchase-contract-completed',
  'vehicle.updated': 'vehicle-updated',
  // Not documented by Wayke: the assumed online-sale payloads (see `adapters/wayke-mapping.ts`).
  'vehicle.reserved': '../wayke-online-sale/vehicle-reserved',
  'vehicle.sold': '../wayke-online-sale/vehicle-sold',
  'process.step': 'process-step',
  'order.created': 'new-order',
  'lead.created': 'lead-cta',
  'message.created': 'new-message',
  'wayke.event': '',
};

const GENERIC = JSON.stringify({
  eventType: 'VehicleReserved',
  itemId: EXAMPLE_AD.id,
  registrationNumber: 'KLM482',
  eventTime: '2026-10-03T15:10:00Z',
});

function exampleOf(kind: DmsEventKind): DmsEnvelope {
  const fixture = FIXTURE_OF[kind];
  const raw = fixture ? readFileSync(`test/fixtures/wayke-events/${fixture}.json`, 'utf8') : GENERIC;
  const classified = classifyWaykeEvent(JSON.parse(raw));
  if (!classified.ok) throw new Error(`${fixture}: ${classified.reason}`);
  const event = classified.event;
  if (routeEvent(event) !== kind) throw new Error(`${fixture} routes to ${routeEvent(event)}, not ${kind}`);
  const withVehicle = kind.startsWith('vehicle.');
  return buildDmsEnvelope({
    id: deliveryId(eventId(DEALER, raw), RECEIVED_AT, 'example'),
    type: kind,
    dealer: DEALER,
    occurredAt: occurredAt(event, RECEIVED_AT),
    waykeId: vehicleRef(event).adId,
    registrationNumber: vehicleRef(event).registrationNumber,
    vehicle: withVehicle ? withExternalId(toDmsVehicle(EXAMPLE_AD), EXAMPLE_STOCK_NUMBER) : undefined,
    wayke: JSON.parse(raw),
  });
}

export const eventExamples = (): { readonly [K in DmsEventKind]: DmsEnvelope } =>
  Object.fromEntries(Object.keys(FIXTURE_OF).map((kind) => [kind, exampleOf(kind as DmsEventKind)])) as {
    [K in DmsEventKind]: DmsEnvelope;
  };
