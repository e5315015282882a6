import { describe, expect, it } from 'vitest';
import { MemoryLog } from '../../../functions/adapters/logger.js';
import { DealerSchema } from '../../../functions/core/dealer-config.js';
import { classifyWaykeEvent, type WaykeEvent } from '../../../functions/core/events/classify.js';
import { makeEnrich } from '../../../functions/core/events/enrich.js';
import { NotFoundError, RetryableError } from '../../../functions/core/errors.js';
import type { SnapshotEntry, SnapshotReader, WaykeAd, WaykeApi } from '../../../functions/ports.js';
import { FIXTURES } from '../../support/webhooks.js';

const dealer = DealerSchema.parse({
  id: 'bilhallen',
  name: 'Bilhallen',
  branchId: '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d',
  dms: { type: 'webhook', url: 'https://dms.example.test/events' },
});
const AD: WaykeAd = {
  id: '5f1c2b7e-0a4d-4c1e-9a57-3e2f1d9b8c01',
  status: 'Published',
  vehicle: { registrationNumber: 'KLM482', price: 389900, mileage: 43100 },
  mediaUrls: [],
};

const eventOf = (raw: string): WaykeEvent => {
  const classified = classifyWaykeEvent(JSON.parse(raw));
  if (!classified.ok) throw new Error(classified.reason);
  return classified.event;
};
const purchase = eventOf(FIXTURES['purchase-contract-completed']!);

/** Wayke that knows one ad; the enrichment step reads nothing else of it. */
const waykeWith = (ad: WaykeAd | null): WaykeApi =>
  ({
    getAd: async (id: string) => {
      if (ad && id === ad.id) return ad;
      throw new NotFoundError('ad not found', { status: 404 });
    },
  }) as Pick<WaykeApi, 'getAd'> as WaykeApi;

/** A snapshot reader that counts its reads and answers from `entries` (or fails with `error`). */
function snapshotsOf(entries: Record<string, Partial<SnapshotEntry>>, error?: Error) {
  const reads: string[] = [];
  const reader: Pick<SnapshotReader, 'entry'> = {
    entry: async (dealerId, plate) => {
      reads.push(`${dealerId}/${plate}`);
      if (error) throw error;
      return (entries[plate] as SnapshotEntry | undefined) ?? null;
    },
  };
  return { reader, reads };
}

const enrichWith = (snapshots: Pick<SnapshotReader, 'entry'>, ad: WaykeAd | null = AD) =>
  makeEnrich({ wayke: async () => waykeWith(ad), snapshots, log: new MemoryLog() });

describe('the enrichment step', () => {
  it("adds the dealer's stock number from the import's snapshot, with one read", async () => {
    const { reader, reads } = snapshotsOf({ KLM482: { externalId: 'B-1042' } });
    const vehicle = await enrichWith(reader)({ dealer, event: purchase, kind: 'vehicle.purchased', eventId: 'e1' });
    expect(vehicle).toMatchObject({ registrationNumber: 'KLM482', externalId: 'B-1042' });
    expect(reads).toEqual(['bilhallen/KLM482']);
  });

  it('no snapshot entry (or one without a stock number) → no externalId, the vehicle is still delivered', async () => {
    const { reader } = snapshotsOf({});
    const vehicle = await enrichWith(reader)({ dealer, event: purchase, kind: 'vehicle.purchased', eventId: 'e1' });
    expect(vehicle).toMatchObject({ registrationNumber: 'KLM482' });
    expect(vehicle).not.toHaveProperty('externalId');
  });

  it('a snapshot read failure is thrown (the record comes back), never a delivery without it', async () => {
    const { reader } = snapshotsOf({}, new RetryableError('snapshot read failed'));
    const enrich = enrichWith(reader);
    await expect(enrich({ dealer, event: purchase, kind: 'vehicle.purchased', eventId: 'e1' })).rejects.toBeInstanceOf(
      RetryableError,
    );
  });

  it('events without a vehicle read no snapshot: other kinds, and an ad Wayke does not have', async () => {
    const { reader, reads } = snapshotsOf({ KLM482: { externalId: 'B-1042' } });
    const order = eventOf(FIXTURES['new-order']!);
    expect(await enrichWith(reader)({ dealer, event: order, kind: 'order.created', eventId: 'e2' })).toBeUndefined();
    expect(
      await enrichWith(reader, null)({ dealer, event: purchase, kind: 'vehicle.purchased', eventId: 'e3' }),
    ).toBeUndefined();
    expect(reads).toEqual([]);
  });
});
