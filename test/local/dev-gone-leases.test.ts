/**
 * `freeGoneLeases` at the start of a local run, against dynalite: only a lease whose holder is a
 * gone process of this host is freed; a live holder, another host's and one naming no pid keep theirs.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSnapshotStore } from '../../functions/adapters/dynamo-snapshot-store.js';
import { freeGoneLeases, holderIsGone } from '../../functions/local/dev/parts/gone-leases.js';
import { startDynamo, type Dynamo } from '../support/engines.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
let dynamo: Dynamo;
beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(() => dynamo.stop());

/** The pid of a process that has run and exited. */
const gonePid = (): number => spawnSync(process.execPath, ['-e', '0']).pid;

describe('freeing the leases of gone runs at start', () => {
  it('frees a gone process of this host, keeps a live one, another host and one without a pid', async () => {
    const store = new DynamoSnapshotStore({ client: dynamo.client, tableName: await dynamo.table() });
    const hour = 3_600_000;
    await store.acquireLease('gone', { owner: 'killed', host: hostname(), pid: gonePid() }, hour);
    await store.acquireLease('alive', { owner: 'cli-import', host: hostname(), pid: process.ppid }, hour);
    await store.acquireLease('elsewhere', { owner: 'other', host: 'another-host', pid: gonePid() }, hour);
    await store.acquireLease('anonymous', { owner: 'no-pid' }, hour);

    const freed = await freeGoneLeases(store, ['gone', 'alive', 'elsewhere', 'anonymous', 'free'], silent);
    expect(freed).toEqual(['gone']);

    const probe = { owner: 'next-run' };
    expect(await store.acquireLease('gone', probe, 1000)).toEqual({ acquired: true });
    expect(await store.acquireLease('free', probe, 1000)).toEqual({ acquired: true });
    for (const dealerId of ['alive', 'elsewhere', 'anonymous'])
      expect((await store.acquireLease(dealerId, probe, 1000)).acquired).toBe(false);
  });

  it('takes this process for alive', () => {
    expect(holderIsGone({ owner: 'me', host: hostname(), pid: process.pid, expiresAt: new Date() })).toBe(false);
  });
});
