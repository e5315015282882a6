import type { SnapshotEntry, VehicleStatusRecord } from '../../ports.js';
import type { VehicleStatus } from './schemas.js';

/**
 * A vehicle's status document from what the snapshot holds (Wayke's side) and what the Vehicle
 * API was told (the latest accepted change). The API's record speaks while it is the newer news:
 * a file import that set the plate later makes it a `feed` vehicle again.
 */
export function statusDocument(
  registrationNumber: string,
  entry: SnapshotEntry | null,
  record: VehicleStatusRecord | null,
): VehicleStatus | null {
  if (record !== null && apiSpeaks(entry, record)) return fromApi(registrationNumber, entry, record);
  return entry === null ? null : fromFeed(registrationNumber, entry);
}

/** The API's record is the newer news, or the change it holds is still on its way. */
function apiSpeaks(entry: SnapshotEntry | null, record: VehicleStatusRecord): boolean {
  if (entry === null || entry.setBy === 'api') return true;
  return record.acceptedAt >= entry.lastSeen || record.state === 'pending' || record.state === 'held';
}

function fromApi(registrationNumber: string, entry: SnapshotEntry | null, record: VehicleStatusRecord): VehicleStatus {
  return {
    registrationNumber,
    waykeId: record.waykeId ?? entry?.adId ?? null,
    state: record.state,
    lastAppliedAt: record.lastAppliedAt ?? null,
    lastError: record.lastError ?? null,
    fingerprint: record.fingerprint ?? entry?.hash ?? null,
    source: 'api',
  };
}

function fromFeed(registrationNumber: string, entry: SnapshotEntry): VehicleStatus {
  return {
    registrationNumber,
    waykeId: entry.adId,
    state: entry.status === 'Published' ? 'applied' : 'removed',
    lastAppliedAt: entry.lastSeen,
    lastError: null,
    fingerprint: entry.hash,
    source: 'feed',
  };
}

/**
 * One page over both sources, merged by plate (both come sorted by plate). The cursor is the
 * last plate shown; `null` when neither source has more.
 */
export function mergeStatusPage(input: {
  readonly entries: readonly SnapshotEntry[];
  readonly records: readonly VehicleStatusRecord[];
  readonly limit: number;
  /** Either source returned a full page, so more may follow. */
  readonly more: boolean;
}): { items: VehicleStatus[]; nextCursor: string | null } {
  const plates = [
    ...new Set([...input.entries.map((e) => e.registrationNumber), ...input.records.map((r) => r.registrationNumber)]),
  ].sort();
  const shown = plates.slice(0, input.limit);
  const entries = new Map(input.entries.map((e) => [e.registrationNumber, e]));
  const records = new Map(input.records.map((r) => [r.registrationNumber, r]));
  const items = shown.map((plate) => statusDocument(plate, entries.get(plate) ?? null, records.get(plate) ?? null)!);
  const more = input.more || plates.length > shown.length;
  return { items, nextCursor: more && shown.length > 0 ? shown[shown.length - 1]! : null };
}
