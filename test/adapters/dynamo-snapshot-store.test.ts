import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSnapshotStore } from '../../functions/adapters/dynamo-snapshot-store.js';
import { fingerprint } from '../../functions/core/import/index.js';
import type { SnapshotEntry } from '../../functions/ports.js';
import { startDynamo, TestClock, type Dynamo } from '../support/engines.js';

let dynamo: Dynamo;
const commands: string[] = [];
beforeAll(async () => {
  dynamo = await startDynamo();
  dynamo.client.middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
});
afterAll(async () => {
  await dynamo?.stop();
});

/** A store on a fresh table, with a clock the test moves. */
async function freshStore() {
  const clock = new TestClock();
  const store = new DynamoSnapshotStore({
    client: dynamo.client,
    tableName: await dynamo.table(),
    now: () => clock.now(),
  });
  return { store, clock };
}

const entry = (plate: string, i = 0): SnapshotEntry => {
  const print = fingerprint({ registrationNumber: plate, price: 1000 + i, mileage: i, description: 'x'.repeat(400) });
  return {
    registrationNumber: plate,
    adId: `ad-${plate}`,
    hash: print.hash,
    groups: print.groups,
    fields: print.fields,
    media: Object.fromEntries(
      Array.from({ length: 12 }, (_, n) => [
        `https://images.example.test/${plate}/photo-${n}.jpg`,
        `https://media.example.test/files/${plate}-${n}-0123456789abcdef`,
      ]),
    ),
    status: 'Published',
    lastSeen: '2026-11-29T01:00:00.000Z',
  };
};

describe('DynamoSnapshotStore (dynalite): snapshots', () => {
  it('writes 600 entries in batches of 25', async () => {
    const { store } = await freshStore();
    const many = Array.from({ length: 600 }, (_, i) => entry(`P${String(i).padStart(5, '0')}`, i));
    commands.length = 0;
    await store.put('big', many);
    expect(commands.filter((c) => c === 'BatchWriteItemCommand')).toHaveLength(24);
  });

  it('loads a dealer page by page, each entry as written', async () => {
    // Small pages: the embedded engine counts only key sizes towards DynamoDB's 1 MB page.
    const store = new DynamoSnapshotStore({ client: dynamo.client, tableName: await dynamo.table(), pageSize: 100 });
    const many = Array.from({ length: 600 }, (_, i) => entry(`P${String(i).padStart(5, '0')}`, i));
    await store.put('big', many);
    commands.length = 0;
    const loaded = await store.load('big');
    expect(loaded.size).toBe(600);
    expect(commands.filter((c) => c === 'QueryCommand')).toHaveLength(7); // 6 full pages and an empty one
    expect(loaded.get('P00042')).toEqual(many[42]);
  });

  it('keeps dealers apart; a dealer with no entries loads empty', async () => {
    const { store } = await freshStore();
    await store.put('big', [entry('BIG001')]);
    await store.put('other', [entry('OTH001')]);
    expect([...(await store.load('other')).keys()]).toEqual(['OTH001']);
    expect((await store.load('nobody')).size).toBe(0);
  });

  it("keeps the dealer's stock number of an entry, and stores none when the entry has none", async () => {
    const { store } = await freshStore();
    await store.put('d', [{ ...entry('ABC123'), externalId: 'L-4711' }, entry('DEF456')]);
    expect((await store.load('d')).get('ABC123')?.externalId).toBe('L-4711');
    expect(await store.entry('d', 'ABC123')).toMatchObject({ externalId: 'L-4711' });
    expect(await store.entry('d', 'DEF456')).not.toHaveProperty('externalId');
  });
});

describe('DynamoSnapshotStore (dynalite): run state', () => {
  it('keeps the run state beside the snapshot without mixing it into the entries', async () => {
    const { store } = await freshStore();
    expect(await store.getRunState('d1')).toBeNull();
    await store.putRunState('d1', {
      runId: 'r1',
      at: '2026-11-29T01:00:00.000Z',
      archiveKey: 'feeds/d1/archive/x.csv',
      failed: ['ABC123'],
      blocked: { wouldRemove: 9, limit: 3 },
    });
    await store.put('d1', [entry('ABC123')]);
    expect(await store.getRunState('d1')).toEqual({
      runId: 'r1',
      at: '2026-11-29T01:00:00.000Z',
      archiveKey: 'feeds/d1/archive/x.csv',
      failed: ['ABC123'],
      blocked: { wouldRemove: 9, limit: 3 },
    });
    expect([...(await store.load('d1')).keys()]).toEqual(['ABC123']);
  });
});

describe('DynamoSnapshotStore (dynalite): dealer lease', () => {
  it('has one holder at a time, and names it to the one refused', async () => {
    const { store } = await freshStore();
    expect(await store.acquireLease('d', { owner: 'a', host: 'h1', pid: 11 }, 60_000)).toEqual({ acquired: true });
    const lost = await store.acquireLease('d', { owner: 'b' }, 60_000);
    expect(lost).toMatchObject({ acquired: false, holder: { owner: 'a', host: 'h1', pid: 11 } });
  });

  it('is per dealer', async () => {
    const { store } = await freshStore();
    await store.acquireLease('d', { owner: 'a' }, 60_000);
    expect(await store.acquireLease('other-dealer', { owner: 'b' }, 60_000)).toEqual({ acquired: true });
  });

  it('stays held past its first lifetime when renewed; only the holder renews', async () => {
    const { store, clock } = await freshStore();
    await store.acquireLease('d', { owner: 'a' }, 60_000);
    clock.advance(50_000);
    expect(await store.renewLease('d', 'a', 60_000)).toBe(true);
    clock.advance(50_000); // 100 s after start: alive only thanks to the renewal
    expect((await store.acquireLease('d', { owner: 'b' }, 60_000)).acquired).toBe(false);
    expect(await store.renewLease('d', 'b', 60_000)).toBe(false);
  });

  it('is taken by another once expired; the old holder can then neither renew nor release it', async () => {
    const { store, clock } = await freshStore();
    await store.acquireLease('d', { owner: 'a' }, 60_000);
    clock.advance(61_000); // expired
    expect((await store.acquireLease('d', { owner: 'b' }, 60_000)).acquired).toBe(true);
    expect(await store.renewLease('d', 'a', 60_000)).toBe(false);
    await store.releaseLease('d', 'a'); // not a's any more: no effect
    expect((await store.acquireLease('d', { owner: 'c' }, 60_000)).acquired).toBe(false);
  });

  it('is taken over only by naming its exact holder', async () => {
    const { store } = await freshStore();
    await store.acquireLease('d', { owner: 'b' }, 60_000);
    // Takeover names the exact holder it replaces; a wrong name changes nothing.
    expect((await store.acquireLease('d', { owner: 'c' }, 60_000, 'a')).acquired).toBe(false);
    expect((await store.acquireLease('d', { owner: 'c' }, 60_000, 'b')).acquired).toBe(true);
  });

  it('is free for the next run once its holder releases it', async () => {
    const { store } = await freshStore();
    await store.acquireLease('d', { owner: 'c' }, 60_000);
    await store.releaseLease('d', 'c');
    expect((await store.acquireLease('d', { owner: 'e' }, 60_000)).acquired).toBe(true);
  });
});

describe('DynamoSnapshotStore (dynalite): mass-removal approvals', () => {
  it('none is pending at first, and none for another dealer', async () => {
    const { store } = await freshStore();
    expect(await store.consumeMassRemovalApproval('d')).toBe(false);
    await store.approveMassRemoval('d', 'ops@example', 3_600_000);
    expect(await store.consumeMassRemovalApproval('other')).toBe(false);
  });

  it('is one-shot', async () => {
    const { store } = await freshStore();
    await store.approveMassRemoval('d', 'ops@example', 3_600_000);
    expect(await store.consumeMassRemovalApproval('d')).toBe(true);
    expect(await store.consumeMassRemovalApproval('d')).toBe(false);
  });

  it('expires', async () => {
    const { store, clock } = await freshStore();
    await store.approveMassRemoval('d', 'ops@example', 3_600_000);
    clock.advance(3_601_000);
    expect(await store.consumeMassRemovalApproval('d')).toBe(false);
  });
});
