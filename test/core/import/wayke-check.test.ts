import { beforeEach, describe, expect, it } from 'vitest';
import type { HandEditPolicy } from '../../../functions/core/dealer-config.js';
import type { ImportOutcome } from '../../../functions/core/import/index.js';
import type { Vehicle } from '../../../functions/core/vehicle.js';
import type { WaykeApi } from '../../../functions/ports.js';
import { harnessPerTest } from '../../support/harness-per-test.js';
import { dealer, vehicle, type Harness } from '../../support/import-harness.js';
import { adOf, handEdit, onlineSale } from '../../support/wayke-admin.js';

const harness = harnessPerTest();
let h: Harness;
beforeEach(() => {
  h = harness.current;
});

const cars = [vehicle(1, {}, 1), vehicle(2, {}, 1), vehicle(3, {}, 1)];
const [a, b, c] = cars as [Vehicle, Vehicle, Vehicle];
const changed = (v: Vehicle, extra: Partial<Vehicle>): Vehicle[] =>
  cars.map((car) => (car.registrationNumber === v.registrationNumber ? { ...car, ...extra } : car));

/** Each dealer gets its own snapshot partition, so one dynalite serves every test. */
let n = 0;
const policyDealer = (handEdits: HandEditPolicy = 'feed-wins', removalStatus?: 'Sold') =>
  dealer(`check-${++n}-${handEdits}`, { handEdits, ...(removalStatus ? { removalStatus } : {}) });

const summaryOf = (outcome: ImportOutcome) => {
  if (outcome.status === 'skipped') throw new Error(`skipped: ${outcome.message}`);
  return outcome.summary;
};

const reads = () => h.sim.state().calls['GET /vehicle/{id}/ad'] ?? 0;

describe('sold or reserved through Wayke’s online sale wins', () => {
  it('a car reserved online is left alone (no patch, no status) and listed under heldInWayke', async () => {
    const d = policyDealer();
    await h.run(cars, { dealer: d });
    await onlineSale(h.sim, b.registrationNumber, 'reserved');
    h.resetCalls();
    const summary = summaryOf(await h.run(changed(b, { price: 150_000 }), { dealer: d }));
    expect(summary.heldInWayke).toEqual([{ registrationNumber: b.registrationNumber, reason: 'reserved' }]);
    expect(summary.updated).toBe(0);
    expect(summary.failed).toEqual([]);
    expect(h.writes()).toEqual({});
    expect(adOf(h.sim, b.registrationNumber).ad.price).toBe(b.price);
  });

  it('a car reserved between the check and the patch ends as held (409), never as a failed run', async () => {
    const d = policyDealer();
    await h.run(cars, { dealer: d });
    const racing: WaykeApi = {
      ...h.wayke,
      // The buyer reserves right after the import read the ad: the PATCH meets the reservation.
      getAd: async (adId) => {
        const ad = await h.wayke.getAd(adId);
        await onlineSale(h.sim, ad.vehicle.registrationNumber, 'reserved');
        return ad;
      },
    };
    const summary = summaryOf(await h.run(changed(a, { price: 99_000 }), { dealer: d, wayke: racing }));
    expect(summary.heldInWayke).toEqual([{ registrationNumber: a.registrationNumber, reason: 'refused' }]);
    expect(summary.failed).toEqual([]);
    expect(adOf(h.sim, a.registrationNumber).ad.price).toBe(a.price);
    // The next run reads the ad again and holds it for what Wayke now shows.
    const again = summaryOf(await h.run(changed(a, { price: 99_000 }), { dealer: d }));
    expect(again.heldInWayke).toEqual([{ registrationNumber: a.registrationNumber, reason: 'reserved' }]);
  });

  it('a car sold online that the feed still lists, then drops, is never patched, removed or republished', async () => {
    const d = policyDealer();
    await h.run(cars, { dealer: d });
    await onlineSale(h.sim, c.registrationNumber, 'sold');
    h.resetCalls();
    const listed = summaryOf(await h.run(changed(c, { mileage: 99_000 }), { dealer: d }));
    expect(listed.heldInWayke).toEqual([{ registrationNumber: c.registrationNumber, reason: 'sold' }]);
    const withoutIt = summaryOf(await h.run([a, b], { dealer: d }));
    expect(withoutIt.removed).toBe(0);
    const back = summaryOf(await h.run(cars, { dealer: d }));
    expect(back.republished).toBe(0);
    expect(back.heldInWayke).toEqual([{ registrationNumber: c.registrationNumber, reason: 'sold' }]);
    expect(h.writes()).toEqual({});
    expect(adOf(h.sim, c.registrationNumber).status).toBe('Sold');
  });

  it('status Sold set by the import itself (removalStatus Sold) is not a sale in Wayke: the car comes back', async () => {
    const d = policyDealer('feed-wins', 'Sold');
    await h.run(cars, { dealer: d });
    expect(summaryOf(await h.run([a, b], { dealer: d })).removed).toBe(1);
    const back = summaryOf(await h.run(cars, { dealer: d }));
    expect(back.republished).toBe(1);
    expect(back.heldInWayke).toBeUndefined();
    expect(adOf(h.sim, c.registrationNumber).status).toBe('Published');
  });

  it('a create that would adopt an ad reserved online holds it instead', async () => {
    const first = policyDealer();
    await h.run([a], { dealer: first });
    await onlineSale(h.sim, a.registrationNumber, 'reserved');
    // A fresh snapshot (another dealer id, same branch): the create finds the ad by plate.
    const summary = summaryOf(await h.run([a], { dealer: policyDealer() }));
    expect(summary.heldInWayke).toEqual([{ registrationNumber: a.registrationNumber, reason: 'reserved' }]);
    expect(summary.created).toBe(0);
    expect(summary.failed).toEqual([]);
  });
});

describe('hand edits in Wayke', () => {
  it('feed-wins: a hand-edited price is reported and sent again in the same patch', async () => {
    const d = policyDealer('feed-wins');
    await h.run(cars, { dealer: d });
    await handEdit(h.sim, a.registrationNumber, { ad: { price: 123_000 } });
    const summary = summaryOf(await h.run(changed(a, { shortDescription: 'Ny text' }), { dealer: d }));
    expect(summary.drift).toEqual([{ registrationNumber: a.registrationNumber, fields: ['price'] }]);
    expect(adOf(h.sim, a.registrationNumber).ad).toMatchObject({ price: a.price, shortDescription: 'Ny text' });
  });

  it('wayke-wins: the hand-edited price stays until the feed changes the price, then the feed’s is sent', async () => {
    const d = policyDealer('wayke-wins');
    await h.run(cars, { dealer: d });
    await handEdit(h.sim, a.registrationNumber, { ad: { price: 123_000 } });
    const first = summaryOf(await h.run(changed(a, { shortDescription: 'Ny text' }), { dealer: d }));
    expect(first.drift).toEqual([{ registrationNumber: a.registrationNumber, fields: ['price'] }]);
    expect(adOf(h.sim, a.registrationNumber).ad).toMatchObject({ price: 123_000, shortDescription: 'Ny text' });
    // Another feed change elsewhere in the car: the kept price is neither drift again nor sent.
    const second = summaryOf(await h.run(changed(a, { shortDescription: 'Tredje' }), { dealer: d }));
    expect(second.drift).toBeUndefined();
    expect(adOf(h.sim, a.registrationNumber).ad.price).toBe(123_000);
    // The feed changes the price: now the feed's value goes out.
    await h.run(changed(a, { shortDescription: 'Tredje', price: 111_000 }), { dealer: d });
    expect(adOf(h.sim, a.registrationNumber).ad.price).toBe(111_000);
  });

  it('mileage read back rounded to whole mil (12 345 km → 12 350 km) is not drift', async () => {
    const d = policyDealer();
    const odd = { ...a, mileage: 12_345 };
    await h.run([odd, b, c], { dealer: d });
    const summary = summaryOf(await h.run([{ ...odd, price: odd.price + 1 }, b, c], { dealer: d }));
    expect(summary.drift).toBeUndefined();
    expect(summary.updated).toBe(1);
  });

  it('an edit on a car the feed did not change is found only once the webhook marked it', async () => {
    const d = policyDealer('feed-wins');
    await h.run(cars, { dealer: d });
    await handEdit(h.sim, b.registrationNumber, { ad: { price: 1_000 } });
    const before = reads();
    const unmarked = summaryOf(await h.run(cars, { dealer: d }));
    expect(unmarked.drift).toBeUndefined();
    expect(reads()).toBe(before); // unchanged vehicles cost nothing
    h.clock.advance(60_000);
    expect(await h.store.markForCheck(d.id, b.registrationNumber, new Date(h.clock.now().getTime() - 30_000))).toBe(
      true,
    );
    const marked = summaryOf(await h.run(cars, { dealer: d }));
    expect(reads()).toBe(before + 1);
    expect(marked.drift).toEqual([{ registrationNumber: b.registrationNumber, fields: ['price'] }]);
    expect(adOf(h.sim, b.registrationNumber).ad.price).toBe(b.price);
    // The mark is gone with the check: the run after costs nothing again.
    await h.run(cars, { dealer: d });
    expect(reads()).toBe(before + 1);
  });

  it('the webhook’s mark is refused for a car the import wrote after the cutoff (its own change)', async () => {
    const d = policyDealer();
    await h.run(cars, { dealer: d });
    const justBefore = new Date(h.clock.now().getTime() - 1);
    expect(await h.store.markForCheck(d.id, a.registrationNumber, justBefore)).toBe(false);
    expect(await h.store.markForCheck(d.id, 'NOSUCH', h.clock.now())).toBe(false);
  });
});

describe('Wayke down during the check', () => {
  it('the vehicle whose read fails is failed and retried; the others go on', async () => {
    const d = policyDealer();
    await h.run(cars, { dealer: d });
    const flaky: WaykeApi = {
      ...h.wayke,
      getAd: async (adId) => {
        const ad = await h.wayke.getAd(adId);
        if (ad.vehicle.registrationNumber === a.registrationNumber) {
          h.sim.setFaults({ serverErrorRate: 1, routes: ['GET /vehicle/{id}/ad'] });
          try {
            return await h.wayke.getAd(adId);
          } finally {
            h.sim.setFaults({ serverErrorRate: 0, routes: [] });
          }
        }
        return ad;
      },
    };
    const feed = cars.map((car) => ({ ...car, price: car.price + 5 }));
    const summary = summaryOf(await h.run(feed, { dealer: d, wayke: flaky }));
    expect(summary.failed.map((f) => f.registrationNumber)).toEqual([a.registrationNumber]);
    expect(summary.updated).toBe(2);
    expect(adOf(h.sim, a.registrationNumber).ad.price).toBe(a.price);
    const retried = summaryOf(await h.run(feed, { dealer: d }));
    expect(retried.failed).toEqual([]);
    expect(adOf(h.sim, a.registrationNumber).ad.price).toBe(a.price + 5);
  });
});
