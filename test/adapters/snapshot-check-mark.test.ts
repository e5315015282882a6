import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSnapshotStore } from '../../functions/adapters/dynamo-snapshot-store.js';
import type { SnapshotEntry, WaykeApi } from '../../functions/ports.js';
import { startDynamo, type Dynamo } from '../support/engines.js';
import { startHarness, vehicle } from '../support/import-harness.js';
import { snapshotEntryOf } from '../support/snapshot-entries.js';

/**
 * A `vehicle-updated` webhook marks a car's snapshot item for the next run's check. An import that
 * read the item before the mark and writes it after must keep the mark: its read of the ad may
 * predate the hand edit the webhook reports. Against dynalite, with the interleaving written out:
 * the run reads, the webhook marks, the run writes.
 */

let dynamo: Dynamo;
beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => {
  await dynamo?.stop();
});

/** No entry in these tests is written after this: the webhook's own-change window never applies. */
const CUTOFF = new Date('2999-01-01T00:00:00Z');

const entryOf = (plate: string, price: number, extra: Partial<SnapshotEntry> = {}): SnapshotEntry =>
  snapshotEntryOf({ registrationNumber: plate, price, mileage: 1000 }, extra);

describe('DynamoSnapshotStore: the check mark and the import’s record write', () => {
  it('read unmarked → webhook marks → write: the mark stays, the rest is written', async () => {
    const store = new DynamoSnapshotStore({ client: dynamo.client, tableName: await dynamo.table() });
    await store.put('d1', [entryOf('MRK001', 100, { sent: { price: 'aaaa' }, externalId: 'S-1' })]);

    const read = (await store.load('d1')).get('MRK001')!; // 1. the run reads
    expect(read.check).toBeUndefined();
    expect(await store.markForCheck('d1', 'MRK001', CUTOFF)).toBe(true); // 2. the webhook marks
    const written = entryOf('MRK001', 200, { lastSeen: '2026-11-29T02:00:00.000Z', check: false });
    await store.put('d1', [written]); // 3. the run writes what it did (without the sent hashes now)

    const after = await store.entry('d1', 'MRK001');
    expect(after?.check).toBe(true);
    const { check: _mark, ...rest } = after!;
    expect(rest).toEqual(entryOf('MRK001', 200, { lastSeen: '2026-11-29T02:00:00.000Z' }));
  });

  it('webhook marks → read marked → write after the check: the mark the run acted on goes', async () => {
    const store = new DynamoSnapshotStore({ client: dynamo.client, tableName: await dynamo.table() });
    await store.put('d2', [entryOf('MRK002', 100)]);
    await store.markForCheck('d2', 'MRK002', CUTOFF); // 1. the webhook marks
    const read = (await store.load('d2')).get('MRK002')!; // 2. the run reads the mark
    expect(read.check).toBe(true);
    const { check: _seen, ...checked } = read;
    await store.put('d2', [{ ...checked, lastSeen: '2026-11-29T02:00:00.000Z' }]); // 3. checked, written
    expect((await store.entry('d2', 'MRK002'))?.check).toBeUndefined();
  });
});

describe('import: a mark set between the run’s read and its write', () => {
  it('survives the run, and the next run performs the check it asks for', async () => {
    const h = await startHarness(dynamo);
    try {
      const cars = [vehicle(501, {}, 0), vehicle(502, {}, 0)];
      await h.run(cars);
      const [car] = cars as [ReturnType<typeof vehicle>];
      const plate = car.registrationNumber;
      // The webhook comes while the run patches the car: after it read the snapshot and the ad.
      const markWhilePatching: WaykeApi = {
        ...h.wayke,
        patchAd: async (input) => {
          if (input.registrationNumber === plate)
            expect(await h.store.markForCheck('bilhallen', plate, CUTOFF)).toBe(true);
          return h.wayke.patchAd(input);
        },
      };
      const dayTwo = [{ ...car, price: car.price + 1000 }, cars[1]!];
      const hashBefore = (await h.store.entry('bilhallen', plate))?.hash;
      const run = await h.run(dayTwo, { wayke: markWhilePatching });
      expect(run.status === 'applied' && run.summary).toMatchObject({ updated: 1, failed: [] });
      const kept = await h.store.entry('bilhallen', plate);
      expect(kept?.check).toBe(true);
      expect(kept?.hash).not.toBe(hashBefore); // the run's own write landed too
      expect(h.differences(dayTwo)).toEqual([]);

      const reads = () => h.sim.state().calls['GET /vehicle/{id}/ad'] ?? 0;
      const before = reads();
      await h.run(dayTwo);
      expect(reads() - before).toBe(1); // the marked car is read; the other costs nothing
      expect((await h.store.entry('bilhallen', plate))?.check).toBeUndefined();
    } finally {
      await h.stop();
    }
  });

  it('a mark set before the run read it is cleared by the run that checked', async () => {
    const h = await startHarness(dynamo);
    try {
      const cars = [vehicle(601, {}, 0)];
      await h.run(cars);
      const plate = cars[0]!.registrationNumber;
      await h.store.markForCheck('bilhallen', plate, CUTOFF);
      await h.run(cars);
      expect((await h.store.entry('bilhallen', plate))?.check).toBeUndefined();
    } finally {
      await h.stop();
    }
  });
});
