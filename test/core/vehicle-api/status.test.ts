import { describe, expect, it } from 'vitest';
import { mergeStatusPage, statusDocument } from '../../../functions/core/vehicle-api/status.js';
import type { SnapshotEntry, VehicleStatusRecord } from '../../../functions/ports.js';

const entry = (plate: string, extra: Partial<SnapshotEntry> = {}): SnapshotEntry => ({
  registrationNumber: plate,
  adId: `ad-${plate}`,
  hash: `h-${plate}`,
  groups: { data: 'd', images: 'i', status: 's' },
  fields: {},
  media: {},
  status: 'Published',
  lastSeen: '2026-12-01T10:00:00.000Z',
  ...extra,
});
const record = (plate: string, extra: Partial<VehicleStatusRecord> = {}): VehicleStatusRecord => ({
  registrationNumber: plate,
  state: 'applied',
  changeId: 'c1',
  acceptedAt: '2026-12-01T09:00:00.000Z',
  fingerprint: `f-${plate}`,
  waykeId: `ad-${plate}`,
  lastAppliedAt: '2026-12-01T09:00:01.000Z',
  ...extra,
});

describe('statusDocument', () => {
  it("is the feed's when a file set the vehicle after the last API change", () => {
    expect(statusDocument('ABC123', entry('ABC123'), record('ABC123'))).toMatchObject({
      source: 'feed',
      state: 'applied',
      fingerprint: 'h-ABC123',
      waykeId: 'ad-ABC123',
    });
  });

  it("is the API's while a change is pending, even over a newer file run", () => {
    expect(
      statusDocument('ABC123', entry('ABC123'), record('ABC123', { state: 'pending', waykeId: undefined })),
    ).toMatchObject({ source: 'api', state: 'pending', waykeId: 'ad-ABC123' });
  });

  it('shows a removed feed vehicle as removed, and nothing for an unknown plate', () => {
    expect(statusDocument('ABC123', entry('ABC123', { status: 'Sold' }), null)).toMatchObject({
      state: 'removed',
      source: 'feed',
    });
    expect(statusDocument('ZZZ999', null, null)).toBeNull();
  });
});

describe('mergeStatusPage', () => {
  it('merges both sources by plate, each plate once, and cuts at the limit with a cursor', () => {
    const page = mergeStatusPage({
      entries: [entry('AAA111'), entry('CCC333')],
      records: [record('BBB222'), record('CCC333', { acceptedAt: '2026-12-01T11:00:00.000Z' })],
      limit: 2,
      more: false,
    });
    expect(page.items.map((item) => item.registrationNumber)).toEqual(['AAA111', 'BBB222']);
    expect(page.nextCursor).toBe('BBB222');
  });

  it('has no cursor on the last page', () => {
    expect(mergeStatusPage({ entries: [entry('AAA111')], records: [], limit: 5, more: false }).nextCursor).toBeNull();
  });
});
