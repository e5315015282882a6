import { deliveredKinds, type Dealer, type DmsEventKind } from '../dealer-config.js';
import type { WaykeEvent } from './classify.js';
import type { ProcessEvent, VehicleUpdatedEvent } from './schemas.js';

/** The process and step name of Wayke's purchase contract. */
export const PURCHASE_CONTRACT = 'Inköpsavtal';

const fold = (value: string): string => value.normalize('NFC').trim().toLocaleLowerCase('sv-SE');

/** True when a process event says the purchase contract ("Inköpsavtal") was signed. */
export function isPurchaseContractCompleted(event: ProcessEvent): boolean {
  const contract = fold(PURCHASE_CONTRACT);
  return (
    (fold(event.processName) === contract || fold(event.stepName) === contract) && fold(event.state) === 'completed'
  );
}

/**
 * What a vehicle update says of the online sale: a buyer holds the ad (`vehicle.reserved`), bought
 * it (`vehicle.sold`: status `Sold` while the reservation is still set), or neither. A status
 * `Sold` without the online sale's reservation is the dealer's own (or the import's removal).
 */
export function onlineSaleKind(event: VehicleUpdatedEvent): 'vehicle.reserved' | 'vehicle.sold' | null {
  if (event.ecommerce?.reserved !== true) return null;
  return event.status === 'Sold' ? 'vehicle.sold' : 'vehicle.reserved';
}

/**
 * The default routing rules: which kind of DMS event a Wayke event becomes.
 * Purchase contract completed → `vehicle.purchased`; reserved or sold through Wayke's online sale →
 * `vehicle.reserved` / `vehicle.sold`; any other vehicle update → `vehicle.updated`;
 * other process steps → `process.step`; order → `order.created`; lead → `lead.created`;
 * message → `message.created`; anything else (incoming vehicle, kinds Wayke adds) → `wayke.event`.
 */
export function routeEvent(event: WaykeEvent): DmsEventKind {
  switch (event.source) {
    case 'process':
      return isPurchaseContractCompleted(event.payload) ? 'vehicle.purchased' : 'process.step';
    case 'vehicleUpdated':
      return onlineSaleKind(event.payload) ?? 'vehicle.updated';
    case 'order':
      return 'order.created';
    case 'lead':
      return 'lead.created';
    case 'message':
      return 'message.created';
    case 'incomingVehicle':
    case 'generic':
      return 'wayke.event';
  }
}

/** Kinds whose DMS event carries the full vehicle, fetched from Wayke at delivery time. */
export const ENRICHED_KINDS: ReadonlySet<DmsEventKind> = new Set([
  'vehicle.purchased',
  'vehicle.updated',
  'vehicle.reserved',
  'vehicle.sold',
]);

export interface Route {
  readonly kind: DmsEventKind;
  /** False when the dealer has no DMS target or switched this kind off (`dms.events`). */
  readonly delivered: boolean;
}

/** The route of an event for one dealer: the default rule, then the dealer's switches. */
export function routeForDealer(event: WaykeEvent, dealer: Dealer): Route {
  const kind = routeEvent(event);
  return { kind, delivered: deliveredKinds(dealer).has(kind) };
}
