import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exitStatus } from '../../../functions/core/import/index.js';
import { dealer, startHarness, vehicle, type Harness } from '../../support/import-harness.js';
import { startDynamo, type Dynamo } from '../../support/engines.js';

let dynamo: Dynamo;
let h: Harness;
beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => {
  await dynamo?.stop();
});
beforeEach(async () => {
  await h?.stop();
  h = await startHarness(dynamo);
  return async () => h.stop();
});

const fleet = (n: number, images = 3) => Array.from({ length: n }, (_, i) => vehicle(i + 1, {}, images));

describe('import use case against the Wayke simulator and dynalite', () => {
  it('creates the feed, then an unchanged rerun makes zero write calls', async () => {
    const cars = fleet(8);
    const first = await h.run(cars);
    expect(first.status).toBe('applied');
    if (first.status !== 'applied') return;
    expect(first.summary).toMatchObject({
      created: 8,
      updated: 0,
      removed: 0,
      unchanged: 0,
      failed: [],
      blocked: null,
    });
    expect(h.differences(cars)).toEqual([]);
    expect((await h.store.load('bilhallen')).size).toBe(8);

    h.resetCalls();
    const again = await h.run(cars);
    expect(again.status === 'applied' && again.summary).toMatchObject({ created: 0, updated: 0, unchanged: 8 });
    expect(h.writes()).toEqual({});
  });

  it('one price change is exactly one PATCH and no media call', async () => {
    const cars = fleet(6);
    await h.run(cars);
    h.resetCalls();
    const changed = cars.map((c, i) => (i === 2 ? { ...c, price: c.price - 5000 } : c));
    const outcome = await h.run(changed);
    expect(outcome.status === 'applied' && outcome.summary).toMatchObject({ updated: 1, unchanged: 5 });
    expect(h.writes()).toEqual({ 'PATCH /vehicle/{id}': 1 });
    expect(h.differences(changed)).toEqual([]);
  });

  it('one replaced image out of ten is exactly one upload and one media update', async () => {
    const cars = fleet(3, 10);
    await h.run(cars);
    h.resetCalls();
    const images = [...cars[1]!.images!];
    images[4] = 'https://images.example.test/replaced/4.jpg';
    const changed = cars.map((c, i) => (i === 1 ? { ...c, images } : c));
    await h.run(changed);
    expect(h.writes()).toEqual({ 'POST /media/v2/image-url': 1, 'PUT /vehicle/{id}/media': 1 });
    expect(h.differences(changed)).toEqual([]);
  });

  it('a price change and a new image together go in one PATCH', async () => {
    const cars = fleet(2, 2);
    await h.run(cars);
    h.resetCalls();
    const changed = [
      { ...cars[0]!, price: 1234, images: [...cars[0]!.images!, 'https://images.example.test/new.jpg'] },
      cars[1]!,
    ];
    await h.run(changed);
    expect(h.writes()).toEqual({ 'POST /media/v2/image-url': 1, 'PATCH /vehicle/{id}': 1 });
    expect(h.differences(changed)).toEqual([]);
  });

  it('clears a field the feed dropped', async () => {
    const cars = fleet(2);
    await h.run(cars);
    const { modelYear: _dropped, ...withoutYear } = cars[0]!;
    h.resetCalls();
    await h.run([withoutYear, cars[1]!]);
    expect(h.writes()).toEqual({ 'PATCH /vehicle/{id}': 1 });
    const ad = await h.wayke.findAdByRegistrationNumber(dealer().branchId, cars[0]!.registrationNumber);
    expect(ad?.vehicle.modelYear).toBeUndefined();
  });

  it("removes a vehicle that left the feed with the dealer's status and republishes it when it returns", async () => {
    const cars = fleet(10);
    await h.run(cars, { dealer: dealer('bilhallen', { removalStatus: 'Sold' }) });
    h.resetCalls();
    const removed = await h.run(cars.slice(1), { dealer: dealer('bilhallen', { removalStatus: 'Sold' }) });
    expect(removed.status === 'applied' && removed.summary).toMatchObject({ removed: 1, unchanged: 9, blocked: null });
    expect(h.writes()).toEqual({ 'PUT /vehicle/{id}/ad/status': 1 });
    expect((await h.wayke.findAdByRegistrationNumber(dealer().branchId, cars[0]!.registrationNumber))?.status).toBe(
      'Sold',
    );

    h.resetCalls();
    const back = await h.run(cars);
    expect(back.status === 'applied' && back.summary).toMatchObject({ republished: 1, unchanged: 9 });
    expect(h.writes()).toEqual({ 'PUT /vehicle/{id}/ad/status': 1 });
    expect(h.differences(cars)).toEqual([]);
  });

  it('adopts an ad Wayke already has for the plate instead of creating a second one', async () => {
    const car = vehicle(1);
    const { id } = await h.wayke.createAd({
      branchId: dealer().branchId,
      vehicle: { ...car, price: 1 },
      status: 'Unpublished',
    });
    const outcome = await h.run([car]);
    expect(outcome.status === 'applied' && outcome.adopted).toBe(1);
    expect(h.sim.state().adsByPlate[car.registrationNumber]).toEqual([id]);
    expect(h.differences([car])).toEqual([]);
    expect((await h.store.load('bilhallen')).get(car.registrationNumber)?.adId).toBe(id);
  });

  it('a rejected row never removes its plate, and is reported with exit status 1', async () => {
    const cars = fleet(4);
    await h.run(cars);
    const feed = Buffer.from(
      `registrationNumber,price,mileage,modelYear,shortDescription,images,equipment\n` +
        cars
          .slice(0, 3)
          .map(
            (c) =>
              `${c.registrationNumber},${c.price},${c.mileage},${c.modelYear},${c.shortDescription},${c.images!.join('|')},${c.equipment!.join('|')}`,
          )
          .join('\n') +
        `\n${cars[3]!.registrationNumber},not a price,1000,,,,\n`,
    );
    h.resetCalls();
    const outcome = await h.run(feed);
    expect(outcome.status).toBe('applied');
    if (outcome.status !== 'applied') return;
    expect(outcome.summary).toMatchObject({ removed: 0, unchanged: 3 });
    expect(outcome.summary.rejected).toEqual([
      expect.objectContaining({ row: 5, registrationNumber: cars[3]!.registrationNumber }),
    ]);
    expect(exitStatus(outcome.summary)).toBe(1);
    expect(h.writes()).toEqual({});
  });

  it('skips when another run holds the dealer lease', async () => {
    await h.store.acquireLease('bilhallen', { owner: 'someone-else' }, 60_000);
    const outcome = await h.run(fleet(1));
    expect(outcome).toMatchObject({ status: 'skipped', reason: 'lease-held', holder: { owner: 'someone-else' } });
    expect(h.writes()).toEqual({});
  });
});

describe('safety valve', () => {
  const seed = async () => {
    const cars = fleet(12, 1);
    await h.run(cars);
    h.resetCalls();
    return cars;
  };

  it('an empty feed changes nothing (exit 2)', async () => {
    const cars = await seed();
    const outcome = await h.run(Buffer.alloc(0));
    expect(outcome.status).toBe('rejected');
    if (outcome.status !== 'rejected') return;
    expect(outcome.summary.feed.error?.code).toBe('EMPTY_FEED');
    expect(exitStatus(outcome.summary)).toBe(2);
    expect(h.writes()).toEqual({});
    expect(h.differences(cars)).toEqual([]);
  });

  it('a header-only feed changes nothing (exit 2)', async () => {
    await seed();
    const outcome = await h.run(Buffer.from('registrationNumber,price,mileage\n'));
    expect(outcome.status === 'rejected' && outcome.summary.feed.error?.code).toBe('EMPTY_FEED');
    expect(h.writes()).toEqual({});
  });

  it('a feed whose every row is rejected changes nothing (exit 2)', async () => {
    await seed();
    const outcome = await h.run(Buffer.from('registrationNumber,price,mileage\nABC123,0,1\nABD123,-5,1\n'));
    expect(outcome.status).toBe('rejected');
    if (outcome.status !== 'rejected') return;
    expect(outcome.summary.feed.error?.code).toBe('NO_VALID_VEHICLES');
    expect(outcome.summary.rejected).toHaveLength(2);
    expect(h.writes()).toEqual({});
  });

  it('a feed over the size limit is refused before it is read (exit 2)', async () => {
    await seed();
    const outcome = await h.run(fleet(12, 1), { deps: { maxFeedBytes: 100 } });
    expect(outcome.status === 'rejected' && outcome.summary.feed.error?.code).toBe('FEED_TOO_LARGE');
    expect(h.writes()).toEqual({});
  });

  it('a feed cut to a third blocks removals but still creates and updates (exit 3), then the override removes', async () => {
    const cars = await seed();
    const third = [{ ...cars[0]!, price: 55_555 }, ...cars.slice(1, 4), vehicle(99, {}, 1)];
    const blocked = await h.run(third);
    expect(blocked.status).toBe('applied');
    if (blocked.status !== 'applied') return;
    expect(blocked.summary).toMatchObject({
      created: 1,
      updated: 1,
      removed: 0,
      unchanged: 3,
      blocked: { wouldRemove: 8, limit: 3 },
    });
    expect(exitStatus(blocked.summary)).toBe(3);
    expect(h.writes()['PUT /vehicle/{id}/ad/status']).toBeUndefined();
    expect(h.differences(third)).toEqual([]);
    expect(h.differences(cars.slice(4))).toEqual([]); // still published, untouched
    expect(await h.store.getRunState('bilhallen')).toMatchObject({ blocked: { wouldRemove: 8, limit: 3 } });

    const overridden = await h.run(third, { allowMassRemoval: true });
    expect(overridden.status === 'applied' && overridden.summary).toMatchObject({ removed: 8, blocked: null });
    expect(
      h.differences(
        third,
        cars.slice(4).map((c) => c.registrationNumber),
      ),
    ).toEqual([]);
  });

  it('a one-shot approval lets one mass removal through and is used up', async () => {
    const cars = await seed();
    await h.store.approveMassRemoval('bilhallen', 'support', 3_600_000);
    const approved = await h.run(cars.slice(0, 4));
    expect(approved.status === 'applied' && approved.summary).toMatchObject({ removed: 8, blocked: null });
    expect(await h.store.consumeMassRemovalApproval('bilhallen')).toBe(false);
  });

  it('removals within the limit go without approval', async () => {
    const cars = await seed();
    const outcome = await h.run(cars.slice(3)); // 3 of 12: the minimum limit
    expect(outcome.status === 'applied' && outcome.summary).toMatchObject({ removed: 3, blocked: null });
  });
});
