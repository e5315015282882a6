/**
 * The import's named steps, each alone against in-memory port fakes: lease, read, plan, apply,
 * record, report — and the use case composed of them (the stock number it keeps).
 */
import { describe, expect, it } from 'vitest';
import { bytesFeed } from '../../../functions/adapters/file-feed-source.js';
import { MemoryLog } from '../../../functions/adapters/logger.js';
import { readFeed } from '../../../functions/core/feed/index.js';
import { FeedTooLargeError } from '../../../functions/core/import/errors.js';
import { makeImportDealer } from '../../../functions/core/import/import-dealer.js';
import { acquireDealerLease } from '../../../functions/core/import/lease.js';
import { chooseFeed, readChosenFeed } from '../../../functions/core/import/read.js';
import { applyRun, planRun, settleFeed } from '../../../functions/core/import/run-steps.js';
import type { FeedSource, PendingFeed } from '../../../functions/ports.js';
import { TestClock } from '../../support/engines.js';
import { FakeWayke, MemorySnapshotStore } from '../../support/fakes.js';
import { csv, dealer, vehicle } from '../../support/import-harness.js';

const log = new MemoryLog();
const now = new Date('2026-11-29T01:00:00.000Z');

/** A source with one waiting feed (or none) that records what it settled. */
function oneFeedSource(feed: PendingFeed | null): FeedSource & { settled: string[] } {
  const settled: string[] = [];
  return {
    settled,
    next: async () => feed,
    archived: async (_dealerId, key) => bytesFeed(key, csv([vehicle(1)])),
    settle: async (_dealerId, settledFeed, outcome) => {
      settled.push(`${outcome}:${settledFeed.name}`);
      return `feeds/bilhallen/archive/${settledFeed.name}`;
    },
  };
}

const reading = async (bytes: Uint8Array) =>
  readChosenFeed(bytesFeed('feed.csv', bytes), { readFeed, maxBytes: 1_000_000, now });

describe('lease step', () => {
  it('refuses a second run while the first holds the lease, and names the holder', async () => {
    const store = new MemorySnapshotStore();
    const first = await acquireDealerLease({ lease: store, log }, 'bilhallen', 'run-1');
    const second = await acquireDealerLease({ lease: store, log }, 'bilhallen', 'run-2');
    expect(first.held).toBe(true);
    expect(second).toMatchObject({ held: false, holder: { owner: 'run-1' } });
  });

  it('takes over a holder the wiring knows is gone', async () => {
    const store = new MemorySnapshotStore();
    await acquireDealerLease({ lease: store, log }, 'bilhallen', 'crashed');
    const settings = { canTakeOver: (holder: { owner: string }) => holder.owner === 'crashed' };
    const next = await acquireDealerLease({ lease: store, log, settings }, 'bilhallen', 'run-2');
    expect(next.held).toBe(true);
    expect(store.leases.get('bilhallen')?.owner).toBe('run-2');
  });

  it('frees the lease on release, for the next run', async () => {
    const store = new MemorySnapshotStore();
    const first = await acquireDealerLease({ lease: store, log }, 'bilhallen', 'run-1');
    if (first.held) await first.lease.release();
    expect((await acquireDealerLease({ lease: store, log }, 'bilhallen', 'run-2')).held).toBe(true);
  });
});

describe('read step', () => {
  it('takes the newest waiting feed from the source', async () => {
    const feed = bytesFeed('new.csv', csv([vehicle(1)]));
    const chosen = await chooseFeed({
      dealerId: 'bilhallen',
      trigger: 'upload',
      source: oneFeedSource(feed),
      runState: new MemorySnapshotStore(),
      log,
    });
    expect(chosen).toMatchObject({ feed: { name: 'new.csv' }, fromSource: true, retry: false });
  });

  it('hourly, with nothing new, retries the last run from its archived feed when it left failures', async () => {
    const store = new MemorySnapshotStore();
    await store.putRunState('bilhallen', {
      runId: 'r',
      at: now.toISOString(),
      archiveKey: 'old.csv',
      failed: ['T00001'],
    });
    const input = { dealerId: 'bilhallen', source: oneFeedSource(null), runState: store, log };
    expect(await chooseFeed({ ...input, trigger: 'schedule' })).toMatchObject({
      feed: { name: 'old.csv' },
      retry: true,
    });
    expect(await chooseFeed({ ...input, trigger: 'upload' })).toBeNull();
  });

  it('finds nothing to retry after a run that left nothing undone', async () => {
    const store = new MemorySnapshotStore();
    await store.putRunState('bilhallen', { runId: 'r', at: now.toISOString(), archiveKey: 'old.csv', failed: [] });
    const chosen = await chooseFeed({
      dealerId: 'bilhallen',
      trigger: 'schedule',
      source: oneFeedSource(null),
      runState: store,
      log,
    });
    expect(chosen).toBeNull();
  });

  it('refuses a feed over the size limit without downloading it', async () => {
    let loaded = false;
    const feed: PendingFeed = {
      name: 'huge.csv',
      size: 2_000_000,
      lastModified: now,
      load: async () => {
        loaded = true;
        return new Uint8Array();
      },
    };
    const result = await readChosenFeed(feed, { readFeed, maxBytes: 1_000_000, now });
    expect(result.error?.code).toBe('FEED_TOO_LARGE');
    expect(loaded).toBe(false);
  });

  it('refuses a feed that turns out too large while downloading', async () => {
    const feed: PendingFeed = {
      name: 'grew.csv',
      size: 10,
      lastModified: now,
      load: async () => {
        throw new FeedTooLargeError('The file grew past the limit');
      },
    };
    const result = await readChosenFeed(feed, { readFeed, maxBytes: 1_000_000, now });
    expect(result.error).toEqual({ code: 'FEED_TOO_LARGE', message: 'The file grew past the limit' });
  });

  it('refuses a feed whose every row is rejected', async () => {
    const result = await reading(Buffer.from('registrationNumber,price,mileage\nnot a plate,x,y\n'));
    expect(result.error?.code).toBe('NO_VALID_VEHICLES');
    expect(result.summary.vehicles).toBe(0);
  });
});

describe('plan step', () => {
  it('never removes a car on a rejected row', async () => {
    const store = new MemorySnapshotStore();
    const applied = await applyRun({
      dealer: dealer(),
      plan: await planRun({
        dealer: dealer(),
        reading: await reading(csv([vehicle(1), vehicle(2)])),
        snapshots: store,
        allowMassRemoval: false,
        log,
      }),
      wayke: new FakeWayke(),
      snapshots: store,
      concurrency: 2,
      batchSize: 25,
      now: () => now,
      log,
      stopReason: () => null,
    });
    expect(applied.created).toBe(2);
    const broken = await reading(csv([vehicle(1), { ...vehicle(2), price: -1 }]));
    expect(broken.rejected.map((row) => row.registrationNumber)).toEqual(['T00002']);
    const plan = await planRun({
      dealer: dealer(),
      reading: broken,
      snapshots: store,
      allowMassRemoval: false,
      log,
    });
    expect(plan.remove).toEqual([]);
  });

  it('uses up an approval to let a blocked mass removal through; a dry run (no approvals) leaves it', async () => {
    const store = new MemorySnapshotStore();
    const cars = Array.from({ length: 8 }, (_, i) => vehicle(i + 1));
    const wayke = new FakeWayke();
    const base = { dealer: dealer(), snapshots: store, allowMassRemoval: false, log };
    const full = await planRun({ ...base, reading: await reading(csv(cars)) });
    await applyRun({
      ...base,
      plan: full,
      wayke,
      concurrency: 4,
      batchSize: 25,
      now: () => now,
      stopReason: () => null,
    });
    await store.approveMassRemoval('bilhallen', 'ops', 3_600_000);
    const cut = await reading(csv(cars.slice(0, 1)));
    expect((await planRun({ ...base, reading: cut })).blocked).not.toBeNull();
    expect((await planRun({ ...base, reading: cut, approvals: store })).blocked).toBeNull();
    expect(await store.consumeMassRemovalApproval('bilhallen')).toBe(false);
  });
});

describe('apply step', () => {
  const applyFeed = async (store: MemorySnapshotStore, wayke: FakeWayke, bytes: Uint8Array, batchSize = 25) => {
    const base = { dealer: dealer(), snapshots: store, allowMassRemoval: false, log };
    const plan = await planRun({ ...base, reading: await reading(bytes) });
    return applyRun({ ...base, plan, wayke, concurrency: 2, batchSize, now: () => now, stopReason: () => null });
  };

  it('writes every applied vehicle to the snapshot, in batches of the given size', async () => {
    const store = new MemorySnapshotStore();
    await applyFeed(store, new FakeWayke(), csv(Array.from({ length: 5 }, (_, i) => vehicle(i + 1))), 2);
    expect((await store.load('bilhallen')).size).toBe(5);
    expect(store.puts.map((plates) => plates.length)).toEqual([2, 2, 1]);
  });

  it('stops every vehicle after Wayke refuses the credentials, and counts them failed', async () => {
    const wayke = new FakeWayke();
    wayke.faults = { auth: true };
    const result = await applyFeed(new MemorySnapshotStore(), wayke, csv([vehicle(1), vehicle(2), vehicle(3)]));
    expect(result.failed).toHaveLength(3);
    expect(
      result.failed.some((failed) => failed.error.startsWith('not attempted: Wayke refused the credentials')),
    ).toBe(true);
  });

  it('adopts an ad Wayke stored though it answered the create with an error', async () => {
    const wayke = new FakeWayke();
    wayke.faults = { commitThenFail: true };
    const result = await applyFeed(new MemorySnapshotStore(), wayke, csv([vehicle(1, {}, 0)]));
    expect(result).toMatchObject({ created: 1, adopted: 1, failed: [] });
    expect(wayke.byPlate('T00001')).toHaveLength(1);
  });

  it('lists a car again whose ad is gone from Wayke (a NotFoundError on update)', async () => {
    const store = new MemorySnapshotStore();
    const wayke = new FakeWayke();
    await applyFeed(store, wayke, csv([vehicle(1)]));
    wayke.ads.clear();
    const result = await applyFeed(store, wayke, csv([vehicle(1, { price: 1 })]));
    expect(result).toMatchObject({ updated: 1, failed: [] });
    expect(wayke.byPlate('T00001')).toHaveLength(1);
  });

  it('fails the run when the snapshot cannot be written, so it is retried', async () => {
    const store = new MemorySnapshotStore();
    store.put = async () => {
      throw new Error('table unavailable');
    };
    await expect(applyFeed(store, new FakeWayke(), csv([vehicle(1)]))).rejects.toThrow(/Writing the snapshot failed/);
  });
});

describe('record step', () => {
  it('settles a feed taken from the source, but neither a retried one nor one handed in', async () => {
    const source = oneFeedSource(null);
    const feed = bytesFeed('f.csv', csv([vehicle(1)]));
    const base = { dealerId: 'bilhallen', runId: 'r', outcome: 'archived' as const, source, now: () => now };
    expect(await settleFeed({ ...base, chosen: { feed, fromSource: true, retry: false, previous: null } })).toBe(
      'feeds/bilhallen/archive/f.csv',
    );
    expect(await settleFeed({ ...base, chosen: { feed, fromSource: true, retry: true, previous: null } })).toBeNull();
    expect(await settleFeed({ ...base, chosen: { feed, fromSource: false, retry: false, previous: null } })).toBeNull();
    expect(source.settled).toEqual(['archived:f.csv']);
  });
});

describe("the dealer's stock number (externalId) in the snapshot", () => {
  const withStockNumbers = (rows: ReadonlyArray<readonly [string, string | undefined]>) =>
    Buffer.from(
      `registrationNumber,price,mileage,externalId\n${rows.map(([plate, id], i) => `${plate},${100_000 + i},1000,${id ?? ''}`).join('\n')}\n`,
    );
  const run = async (store: MemorySnapshotStore, wayke: FakeWayke, bytes: Uint8Array) => {
    const clock = new TestClock();
    const importDealer = makeImportDealer({ snapshots: store, wayke, clock, log });
    return importDealer({ dealer: dealer(), trigger: 'cli', feed: bytesFeed('feed.csv', bytes) });
  };

  it("holds the feed's stock number after an import", async () => {
    const store = new MemorySnapshotStore();
    await run(store, new FakeWayke(), withStockNumbers([['ABC123', 'L-17']]));
    expect(await store.entry('bilhallen', 'ABC123')).toMatchObject({ externalId: 'L-17' });
  });

  it('is updated when the feed changes a car’s stock number, and kept while it does not', async () => {
    const store = new MemorySnapshotStore();
    const wayke = new FakeWayke();
    await run(
      store,
      wayke,
      withStockNumbers([
        ['ABC123', 'L-17'],
        ['DEF456', 'L-18'],
      ]),
    );
    await run(
      store,
      wayke,
      withStockNumbers([
        ['ABC123', 'L-99'],
        ['DEF456', 'L-18'],
      ]),
    );
    expect((await store.entry('bilhallen', 'ABC123'))?.externalId).toBe('L-99');
    expect((await store.entry('bilhallen', 'DEF456'))?.externalId).toBe('L-18');
    expect(store.puts.at(-1)).toEqual(['ABC123']);
  });

  it('stores none for a feed without one', async () => {
    const store = new MemorySnapshotStore();
    await run(store, new FakeWayke(), withStockNumbers([['ABC123', undefined]]));
    expect(await store.entry('bilhallen', 'ABC123')).not.toHaveProperty('externalId');
  });
});
