/**
 * The vehicle worker's use case against dynalite and the Wayke simulator: FIFO retry semantics
 * when Wayke fails, and the dealer lease shared with file imports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSnapshotStore } from '../../functions/adapters/dynamo-snapshot-store.js';
import { DynamoVehicleStatusStore } from '../../functions/adapters/dynamo-vehicle-status-store.js';
import { createWaykeClient } from '../../functions/adapters/wayke-http-client.js';
import { DealerSchema, type ResolvedDealer } from '../../functions/core/dealer-config.js';
import { makeApplyVehicleChanges } from '../../functions/core/vehicle-api/apply-changes.js';
import { DealerBusyError } from '../../functions/core/vehicle-api/errors.js';
import type { VehicleChangeMessage } from '../../functions/core/vehicle-api/schemas.js';
import { startWaykeSimulator, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import type { Log } from '../../functions/ports.js';
import { startDynamo, type Dynamo } from '../support/engines.js';

const BRANCH = '55555555-5555-4555-8555-555555555555';
const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };
const dealer: ResolvedDealer = DealerSchema.parse({
  id: 'worker-dealer',
  name: 'Worker',
  branchId: BRANCH,
  source: 'api',
});

let dynamo: Dynamo;
let sim: WaykeSimulator;
beforeAll(async () => {
  [dynamo, sim] = await Promise.all([
    startDynamo(),
    startWaykeSimulator({ clients: [{ clientId: 'c', clientSecret: 's', branchIds: [BRANCH] }] }),
  ]);
});
afterAll(async () => {
  await Promise.all([dynamo.stop(), sim.stop()]);
});

async function setup() {
  const table = await dynamo.table();
  const snapshots = new DynamoSnapshotStore({ client: dynamo.client, tableName: table });
  const statuses = new DynamoVehicleStatusStore({ client: dynamo.client, tableName: table });
  // One attempt: the queue's redelivery is the retry under test, not the client's.
  const wayke = createWaykeClient({
    authUrl: sim.authUrl,
    dealerApiUrl: sim.dealerApiUrl,
    mediaApiUrl: sim.mediaApiUrl,
    clientId: 'c',
    clientSecret: 's',
    maxAttempts: 1,
    log: quiet,
  });
  const apply = makeApplyVehicleChanges({
    snapshots,
    statuses,
    wayke: () => wayke,
    clock: { now: () => new Date() },
    log: quiet,
    lease: { owner: () => `test-${Math.random()}`, waitMs: 300 },
  });
  return { snapshots, statuses, apply };
}

let seq = 0;
function put(plate: string, price: number): VehicleChangeMessage {
  const at = new Date().toISOString();
  return {
    op: 'put',
    dealerId: dealer.id,
    registrationNumber: plate,
    changeId: `${at}-${++seq}`,
    acceptedAt: at,
    vehicle: { registrationNumber: plate, price, mileage: 1000 },
  };
}

describe('applying Vehicle API changes', () => {
  it('retries a plate whose Wayke call failed for a passing reason with all its changes, and applies the others', async () => {
    // Prepare
    const { statuses, apply } = await setup();
    const changes = [put('RTY001', 100_000), put('OKK001', 110_000), put('RTY001', 120_000)];
    for (const change of changes)
      await statuses.accepted(dealer.id, {
        registrationNumber: change.registrationNumber,
        state: 'pending',
        changeId: change.changeId,
        acceptedAt: change.acceptedAt,
      });
    sim.setFaults({ serverErrorNext: 1, routes: ['POST /vehicle'] });
    // Act
    const results = await apply(dealer, changes);
    sim.setFaults({ serverErrorNext: 0, routes: [] });
    // Assess: which plate got the fault depends on which create ran first; exactly one plate is retried whole.
    const retried = new Set(
      results
        .filter((r) => r.result === 'retry')
        .map((r) => changes.find((c) => c.changeId === r.changeId)!.registrationNumber),
    );
    expect(retried.size).toBe(1);
    const plate = [...retried][0]!;
    expect(results.filter((r) => r.result === 'retry')).toHaveLength(
      changes.filter((c) => c.registrationNumber === plate).length,
    );
    expect(await statuses.get(dealer.id, plate)).toMatchObject({ state: 'failed', lastError: expect.any(String) });
    const other = plate === 'RTY001' ? 'OKK001' : 'RTY001';
    expect(await statuses.get(dealer.id, other)).toMatchObject({ state: 'applied', waykeId: expect.any(String) });
  });

  it('applies only the latest change of a plate in one batch (one create, at the last price)', async () => {
    const { snapshots, apply } = await setup();
    const before = sim.state().calls['POST /vehicle'] ?? 0;
    const results = await apply(dealer, [put('LST001', 1000), put('LST001', 2000)]);
    expect(results.map((r) => r.result)).toEqual(['applied', 'applied']);
    expect((sim.state().calls['POST /vehicle'] ?? 0) - before).toBe(1);
    const entry = await snapshots.entry(dealer.id, 'LST001');
    expect(entry).toMatchObject({ setBy: 'api', status: 'Published' });
    expect(JSON.stringify(sim.state().ads[entry!.adId])).toContain('2000');
  });

  it('waits for a running import to release the lease, then gives up with a retryable DealerBusyError', async () => {
    const { snapshots, apply } = await setup();
    await snapshots.acquireLease(dealer.id, { owner: 'an-import' }, 60_000);
    await expect(apply(dealer, [put('BSY001', 1000)])).rejects.toBeInstanceOf(DealerBusyError);
    await snapshots.releaseLease(dealer.id, 'an-import');
    expect((await apply(dealer, [put('BSY001', 1000)]))[0]!.result).toBe('applied');
  });
});
