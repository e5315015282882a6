import type { DmsEventKind, ResolvedDealer } from '../dealer-config.js';
import { NotFoundError, WaykeDmsError } from '../errors.js';
import type { Log, SnapshotReader, WaykeApi } from '../../ports.js';
import { vehicleRef, type WaykeEvent } from './classify.js';
import { toDmsVehicle, withExternalId, type DmsVehicle } from './dms-vehicle.js';
import { ENRICHED_KINDS } from './routing.js';

export interface EnrichDeps {
  /** The Wayke client for a dealer's credentials. */
  readonly wayke: (dealer: ResolvedDealer) => Promise<WaykeApi>;
  /** The import's snapshot, for the dealer's stock number (`externalId`); without it none is added. */
  readonly snapshots?: Pick<SnapshotReader, 'entry'>;
  readonly log: Log;
}

export interface EnrichInput {
  readonly dealer: ResolvedDealer;
  readonly event: WaykeEvent;
  readonly kind: DmsEventKind;
  readonly eventId: string;
}

const isNotFound = (error: unknown): boolean =>
  error instanceof NotFoundError || (error instanceof WaykeDmsError && error.context.status === 404);

/**
 * The enrichment step: for purchased/updated vehicles, the ad as read from Wayke at delivery time
 * plus the dealer's stock number from the import's snapshot (one read per such event). An ad Wayke
 * does not have gives no vehicle; any other failure — Wayke's or the snapshot table's — is thrown,
 * so the record comes back for its next attempt rather than being delivered incomplete.
 */
export function makeEnrich(deps: EnrichDeps): (input: EnrichInput) => Promise<DmsVehicle | undefined> {
  async function readAd(input: EnrichInput, adId: string): Promise<DmsVehicle | undefined> {
    try {
      const wayke = await deps.wayke(input.dealer);
      return toDmsVehicle(await wayke.getAd(adId));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      // The item of a purchase need not be an ad; the DMS still gets the event with Wayke's ids.
      deps.log.warn('ad not found in Wayke: delivering without vehicle', {
        eventId: input.eventId,
        dealerId: input.dealer.id,
        kind: input.kind,
        adId,
      });
      return undefined;
    }
  }

  async function stockNumber(dealerId: string, vehicle: DmsVehicle): Promise<string | undefined> {
    if (!deps.snapshots) return undefined;
    const entry = await deps.snapshots.entry(dealerId, vehicle.registrationNumber);
    return entry?.externalId;
  }

  return async (input) => {
    if (!ENRICHED_KINDS.has(input.kind)) return undefined;
    const adId = vehicleRef(input.event).adId;
    if (!adId) return undefined;
    const vehicle = await readAd(input, adId);
    if (!vehicle) return undefined;
    return withExternalId(vehicle, await stockNumber(input.dealer.id, vehicle));
  };
}
