import { fingerprint } from '../../functions/core/import/index.js';
import type { Vehicle } from '../../functions/core/vehicle.js';
import type { SnapshotEntry } from '../../functions/ports.js';

/** A published snapshot entry for `vehicle` as the import writes it (no media unless `extra` gives some). */
export function snapshotEntryOf(vehicle: Vehicle, extra: Partial<SnapshotEntry> = {}): SnapshotEntry {
  const print = fingerprint(vehicle);
  return {
    registrationNumber: vehicle.registrationNumber,
    adId: `ad-${vehicle.registrationNumber}`,
    hash: print.hash,
    groups: print.groups,
    fields: print.fields,
    media: {},
    status: 'Published',
    lastSeen: '2026-11-29T01:00:00.000Z',
    ...extra,
  };
}
