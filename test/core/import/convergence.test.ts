import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotStore, WaykeApi } from '../../../functions/ports.js';
import { DEFAULT_FEED_SETTINGS } from '../../../functions/core/dealer-config.js';
import type { Vehicle } from '../../../functions/core/vehicle.js';
import { prng } from '../../../functions/local/wayke-simulator/index.js';
import { startHarness, vehicle, type Harness } from '../../support/import-harness.js';
import { startDynamo, type Dynamo } from '../../support/engines.js';

let dynamo: Dynamo;
beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => {
  await dynamo?.stop();
});

/** Feed A, then feed B: prices, images and a field changed, two gone (within the limit), two new. */
function feeds(base = 0, size = 14): { a: Vehicle[]; b: Vehicle[]; goneInB: string[] } {
  const a = Array.from({ length: size }, (_, i) => vehicle(base + i + 1, {}, 3));
  const b = a
    .filter((_, i) => i !== 3 && i !== 7)
    .map((v, i) => {
      if (i % 4 === 0) return { ...v, price: v.price + 990 };
      if (i % 4 === 1)
        return {
          ...v,
          images: [v.images![2]!, 'https://images.example.test/new/' + v.registrationNumber + '.jpg', v.images![0]!],
        };
      if (i % 4 === 2) return { ...v, mileage: v.mileage + 500, shortDescription: 'Nytt pris' };
      return v;
    });
  b.push(vehicle(base + 101, {}, 2), vehicle(base + 102, {}, 0));
  return { a, b, goneInB: [a[3]!.registrationNumber, a[7]!.registrationNumber] };
}

describe('convergence under faults: 20% 5xx, 10% 429, 5% commit-then-fail', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: at most 3 runs bring Wayke exactly to each feed, with zero duplicates`, async () => {
      const h = await startHarness(dynamo, {
        serverErrorRate: 0.2,
        throttleRate: 0.1,
        retryAfterSeconds: 0,
        commitThenFailRate: 0.05,
        seed,
      });
      try {
        const { a, b, goneInB } = feeds();
        for (const [feed, removed] of [
          [a, []],
          [b, goneInB],
        ] as const) {
          let runs = 0;
          let problems: string[] = ['not run'];
          while (problems.length > 0 && runs < 3) {
            runs += 1;
            await h.run(feed);
            problems = h.differences(feed, removed);
          }
          expect(problems).toEqual([]);
          expect(runs).toBeLessThanOrEqual(3);
        }
        const state = h.sim.state();
        expect(Object.values(state.adsByPlate).filter((ids) => ids.length > 1)).toEqual([]);
        expect(Object.values(state.requests).some((r) => r.fault === 'commitThenFail')).toBe(true);
      } finally {
        await h.stop();
      }
    });
  }
});

class Crash extends Error {
  override name = 'Crash';
}

/**
 * Stops "the process" at its N-th outside operation (a Wayke call or a snapshot write): that
 * operation either never happens or happens and its answer is lost, and nothing after it runs.
 */
class CrashPoint {
  private ops = 0;
  crashed = false;
  /** The operation the crash hit. */
  hit: string | null = null;
  /** Crash at the `at`-th operation, or at the first one named `at`. */
  constructor(
    private readonly at: number | string,
    private readonly afterCommit: boolean,
  ) {}
  async op<T>(name: string, run: () => Promise<T>): Promise<T> {
    if (this.crashed) throw new Crash('process is gone');
    this.ops += 1;
    if (this.ops === this.at || name === this.at) {
      this.crashed = true;
      this.hit = `${name}${this.afterCommit ? ' (committed)' : ''}`;
      if (this.afterCommit) await run().catch(() => undefined);
      throw new Crash(`crashed at operation ${this.at}`);
    }
    return run();
  }
}

function crashingWayke(wayke: WaykeApi, crash: CrashPoint): WaykeApi {
  return new Proxy(wayke, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        crash.op(String(prop), () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}

function crashingStore(store: SnapshotStore, crash: CrashPoint): SnapshotStore {
  const guarded = new Set(['put', 'putRunState']);
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (guarded.has(String(prop)))
        return (...args: unknown[]) =>
          crash.op(String(prop), () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      // After the crash nothing of this process reaches the store (its lease stays behind).
      return (...args: unknown[]) =>
        crash.crashed
          ? Promise.reject(new Crash('process is gone'))
          : (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
    },
  });
}

describe('crash safety', () => {
  it('stopping a run at random points (24 seeds) and rerunning converges with zero duplicates', async () => {
    const h: Harness = await startHarness(dynamo);
    try {
      const random = prng(42);
      const hits = new Map<string, number>();
      for (let seed = 0; seed < 24; seed++) {
        const dealerId = `crash-${seed}`;
        const { a, b, goneInB } = feeds(seed * 200, 8); // plates of their own: the simulator is shared
        const dealerConfig = {
          id: dealerId,
          branchId: `00000000-0000-4000-8000-${String(seed).padStart(12, '0')}`,
          feed: DEFAULT_FEED_SETTINGS,
        };
        const phases = [
          [a, [] as string[]],
          [b, goneInB],
        ] as const;
        for (const [feed, removed] of phases) {
          // The first seeds aim at the worst moments; the rest stop anywhere.
          const crash =
            seed === 0
              ? new CrashPoint('createAd', true) // Wayke stored the ad, the answer is lost
              : seed === 1
                ? new CrashPoint('put', false) // vehicles applied, their snapshot write never made
                : new CrashPoint(1 + Math.floor(random() * 45), random() < 0.5);
          const snapshots = crashingStore(h.store, crash);
          await h
            .run(feed, {
              dealer: dealerConfig,
              wayke: crashingWayke(h.wayke, crash),
              deps: { snapshots, snapshotBatchSize: 1 + Math.floor(random() * 5) },
            })
            .catch((error: unknown) => error);
          if (crash.hit) hits.set(crash.hit, (hits.get(crash.hit) ?? 0) + 1);
          // The rerun: the CLI takes over the dead process's lease.
          const rerun = await h.run(feed, { dealer: dealerConfig, deps: { lease: { canTakeOver: () => true } } });
          expect(rerun.status, `seed ${seed}`).toBe('applied');
          expect(h.differences(feed, removed), `seed ${seed}`).toEqual([]);
        }
      }
      const duplicates = Object.entries(h.sim.state().adsByPlate).filter(([, ids]) => ids.length > 1);
      expect(duplicates).toEqual([]);
      // The crash points that matter most were hit: a create committed but its answer lost, and
      // applied vehicles whose snapshot write never happened.
      expect(hits.get('createAd (committed)') ?? 0).toBeGreaterThan(0);
      expect(hits.get('put') ?? 0).toBeGreaterThan(0);
    } finally {
      await h.stop();
    }
  });
});
