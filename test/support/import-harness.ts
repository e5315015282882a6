/**
 * The import wired for tests exactly as in production, minus AWS: the real use case, the real
 * Wayke client against the Wayke simulator over HTTP, the DynamoDB snapshot store on dynalite.
 */
import { DynamoSnapshotStore } from '../../functions/adapters/dynamo-snapshot-store.js';
import { bytesFeed } from '../../functions/adapters/file-feed-source.js';
import { MemoryLog } from '../../functions/adapters/logger.js';
import { makeImportDealer, type ImportDealerConfig, type ImportDealerDeps } from '../../functions/core/import/index.js';
import { DEFAULT_FEED_SETTINGS } from '../../functions/core/dealer-config.js';
import type { Vehicle } from '../../functions/core/vehicle.js';
import type { WaykeApi } from '../../functions/ports.js';
import {
  startWaykeSimulator,
  type WaykeSimulator,
  type WaykeSimulatorFaults,
} from '../../functions/local/wayke-simulator/index.js';
import { TestClock, type Dynamo } from './engines.js';
import { simulatorWaykeClient } from './simulator-client.js';

export const BRANCH = '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';

export function dealer(id = 'bilhallen', feed: Partial<ImportDealerConfig['feed']> = {}): ImportDealerConfig {
  return {
    id,
    branchId: BRANCH,
    feed: { ...DEFAULT_FEED_SETTINGS, ...feed },
  };
}

/** A realistic-enough vehicle: `n` picks the plate, `images` the number of photos. */
export function vehicle(n: number, extra: Partial<Vehicle> = {}, images = 3): Vehicle {
  const plate = `T${String(n).padStart(5, '0')}`;
  return {
    registrationNumber: plate,
    price: 100_000 + n * 100,
    mileage: 10_000 + n * 10,
    modelYear: 2015 + (n % 10),
    shortDescription: `Testbil ${n}`,
    images: Array.from({ length: images }, (_, i) => `https://images.example.test/${plate}/${i}.jpg`),
    equipment: ['Dragkrok', 'Navigation'],
    ...extra,
  };
}

const csvCell = (value: string) => (/[",\n|]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** A CSV feed with the canonical column names. */
export function csv(vehicles: readonly Vehicle[]): Uint8Array {
  const header = 'registrationNumber,price,mileage,modelYear,shortDescription,images,equipment';
  const rows = vehicles.map((v) =>
    [
      v.registrationNumber,
      String(v.price),
      String(v.mileage),
      v.modelYear ? String(v.modelYear) : '',
      csvCell(v.shortDescription ?? ''),
      (v.images ?? []).join('|'),
      (v.equipment ?? []).join('|'),
    ].join(','),
  );
  return Buffer.from(`${[header, ...rows].join('\n')}\n`);
}

export interface Harness {
  readonly sim: WaykeSimulator;
  readonly wayke: WaykeApi;
  readonly store: DynamoSnapshotStore;
  readonly clock: TestClock;
  readonly log: MemoryLog;
  run(
    vehicles: readonly Vehicle[] | Uint8Array,
    options?: {
      allowMassRemoval?: boolean;
      dealer?: ImportDealerConfig;
      wayke?: WaykeApi;
      deps?: Partial<ImportDealerDeps>;
    },
  ): ReturnType<ReturnType<typeof makeImportDealer>>;
  /** Writes Wayke made (every non-GET call but the token), per route, since the last `resetCalls()`. */
  writes(): Record<string, number>;
  resetCalls(): void;
  /** Checks Wayke holds exactly the feed; returns the problems (empty = converged). */
  differences(vehicles: readonly Vehicle[], removed?: readonly string[]): string[];
  stop(): Promise<void>;
}

export async function startHarness(dynamo: Dynamo, faults: Partial<WaykeSimulatorFaults> = {}): Promise<Harness> {
  const sim = await startWaykeSimulator({ faults });
  const wayke = simulatorWaykeClient(sim, { backoffBaseMs: 1, backoffMaxMs: 5, timeoutMs: 5000 });
  const clock = new TestClock();
  const store = new DynamoSnapshotStore({ client: dynamo.client, tableName: await dynamo.table() });
  const log = new MemoryLog();
  let base: Record<string, number> = {};
  const harness: Harness = {
    sim,
    wayke,
    store,
    clock,
    log,
    run(vehicles, options = {}) {
      const bytes = vehicles instanceof Uint8Array ? vehicles : csv(vehicles);
      const importDealer = makeImportDealer({
        snapshots: store,
        wayke: options.wayke ?? wayke,
        clock,
        log,
        concurrency: 4,
        ...options.deps,
      });
      return importDealer({
        dealer: options.dealer ?? dealer(),
        trigger: 'manual',
        feed: bytesFeed('feed.csv', bytes),
        allowMassRemoval: options.allowMassRemoval ?? false,
      });
    },
    writes() {
      const out: Record<string, number> = {};
      for (const [route, count] of Object.entries(sim.state().calls)) {
        if (route.startsWith('GET') || route === 'POST /connect/token') continue;
        const delta = count - (base[route] ?? 0);
        if (delta > 0) out[route] = delta;
      }
      return out;
    },
    resetCalls() {
      base = { ...sim.state().calls };
    },
    differences(vehicles, removed = []) {
      const state = sim.state();
      const problems: string[] = [];
      const urlToSource = new Map(Object.values(state.media).map((m) => [m.url, m.sourceUrl]));
      for (const v of vehicles) {
        const ids = state.adsByPlate[v.registrationNumber] ?? [];
        if (ids.length !== 1) {
          problems.push(`${v.registrationNumber}: ${ids.length} ads`);
          continue;
        }
        const ad = state.ads[ids[0] as string]!;
        if (ad.status !== 'Published') problems.push(`${v.registrationNumber}: status ${ad.status}`);
        if (ad.ad.price !== v.price)
          problems.push(`${v.registrationNumber}: price ${String(ad.ad.price)} ≠ ${v.price}`);
        if (ad.vehicle.mileage !== Math.round(v.mileage / 10))
          problems.push(`${v.registrationNumber}: mileage ${String(ad.vehicle.mileage)}`);
        const media = (ad.ad.media as Array<{ fileUrls: string[] }> | undefined) ?? [];
        const sources = media.flatMap((m) => m.fileUrls).map((url) => urlToSource.get(url) ?? `?${url}`);
        if (JSON.stringify(sources) !== JSON.stringify(v.images ?? []))
          problems.push(`${v.registrationNumber}: images ${JSON.stringify(sources)}`);
      }
      for (const plate of removed) {
        const ids = state.adsByPlate[plate] ?? [];
        if (ids.length > 1) problems.push(`${plate}: ${ids.length} ads`);
        for (const id of ids) if (state.ads[id]?.status === 'Published') problems.push(`${plate}: still published`);
      }
      return problems;
    },
    stop: () => sim.stop(),
  };
  return harness;
}
