/**
 * The vehicle worker's use case against dynalite and the Wayke simulator: FIFO retry semantics
 * when Wayke fails, and the dealer lease shared with file imports. The handler itself is built
 * with `build(env)` against the same engines and a local Secrets Manager endpoint.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, VehicleWorkerEnvSchema } from '../../functions/handlers/wiring/vehicle-worker.js';
import { startLocalSecretsManager } from '../../functions/local/dev/secrets.js';
import type { RunningServer } from '../../functions/local/dev/engines.js';
import { DynamoSnapshotStore } from '../../functions/adapters/dynamo-snapshot-store.js';
import { DynamoVehicleStatusStore } from '../../functions/adapters/dynamo-vehicle-status-store.js';
import { createWaykeClient } from '../../functions/adapters/wayke-http-client.js';
import { DealerSchema, type ResolvedDealer } from '../../functions/core/dealer-config.js';
import { makeApplyVehicleChanges } from '../../functions/core/vehicle-api/apply-changes.js';
import { DealerBusyError } from '../../functions/core/vehicle-api/errors.js';
import type { VehicleChangeMessage } from '../../functions/core/vehicle-api/schemas.js';
import { startWaykeSimulator, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import type { Log, WaykeApi } from '../../functions/ports.js';
import { CREDENTIALS, REGION, startDynamo, type Dynamo } from '../support/engines.js';
import { lambdaContext, sqsRecord } from '../support/lambda.js';

const BRANCH = '55555555-5555-4555-8555-555555555555';
const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };
const dealer: ResolvedDealer = DealerSchema.parse({
  id: 'worker-dealer',
  name: 'Worker',
  branchId: BRANCH,
  source: 'api',
});

const SECRET_PREFIX = 'wayke-dms/dealers/';

let dynamo: Dynamo;
let sim: WaykeSimulator;
let secretsManager: RunningServer;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vehicle-worker-'));
  writeFileSync(join(dir, 'dealers.json'), JSON.stringify({ dealers: [dealer] }));
  [dynamo, sim, secretsManager] = await Promise.all([
    startDynamo(),
    startWaykeSimulator({ clients: [{ clientId: 'c', clientSecret: 's', branchIds: [BRANCH] }] }),
    startLocalSecretsManager({
      prefix: SECRET_PREFIX,
      region: REGION,
      getSecrets: () => ({
        [dealer.id]: {
          waykeClientId: 'c',
          waykeClientSecret: 's',
          webhookSecret: 'worker-webhook-secret',
          dmsSigningSecret: `whsec_${Buffer.from('worker-signing-secret').toString('base64')}`,
        },
      }),
    }),
  ]);
});
afterAll(async () => {
  await Promise.all([dynamo.stop(), sim.stop(), secretsManager.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function setup(wrap: (wayke: WaykeApi, snapshots: DynamoSnapshotStore) => WaykeApi = (wayke) => wayke) {
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
    wayke: () => wrap(wayke, snapshots),
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
  it('keeps a check mark a vehicle-updated webhook set while the change was applied (after the read)', async () => {
    // Prepare: the car exists, unmarked; on the next change the webhook marks it while the worker patches.
    const plate = 'MRK100';
    let markWhilePatching = false;
    // The client is a class: the wrapper keeps its prototype and replaces one method.
    const { snapshots, apply } = await setup((wayke, store) =>
      Object.assign(Object.create(wayke) as WaykeApi, {
        patchAd: async (input: Parameters<WaykeApi['patchAd']>[0]) => {
          if (markWhilePatching)
            expect(await store.markForCheck(dealer.id, plate, new Date('2999-01-01T00:00:00Z'))).toBe(true);
          return wayke.patchAd(input);
        },
      }),
    );
    expect((await apply(dealer, [put(plate, 100_000)]))[0]).toMatchObject({ result: 'applied' });
    const before = await snapshots.entry(dealer.id, plate);
    expect(before?.check).toBeUndefined();
    markWhilePatching = true;
    // Act
    const [result] = await apply(dealer, [put(plate, 105_000)]);
    // Assess: the change landed, and the next import still checks the car in Wayke.
    expect(result).toMatchObject({ result: 'applied' });
    const after = await snapshots.entry(dealer.id, plate);
    expect(after?.fields.price).not.toBe(before?.fields.price); // the worker's own write landed too
    expect(after?.check).toBe(true);
  });

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

describe('the vehicle worker handler (build(env), Powertools FIFO processor)', () => {
  async function worker() {
    const table = await dynamo.table();
    const env = VehicleWorkerEnvSchema.parse({
      SNAPSHOT_TABLE: table,
      DEALERS_FILE: join(dir, 'dealers.json'),
      SECRET_PREFIX,
      WAYKE_AUTH_URL: sim.authUrl,
      WAYKE_DEALER_API_URL: sim.dealerApiUrl,
      WAYKE_MEDIA_API_URL: sim.mediaApiUrl,
    });
    const handle = build(env, {
      dynamo: dynamo.client,
      secretsManager: new SecretsManagerClient({
        endpoint: secretsManager.url,
        region: REGION,
        credentials: CREDENTIALS,
      }),
      log: quiet,
    });
    return { handle, statuses: new DynamoVehicleStatusStore({ client: dynamo.client, tableName: table }) };
  }
  const group = (plate: string) => `${dealer.id}#${plate}`;
  const adsWithPlate = (plate: string) =>
    Object.values(sim.state().ads).filter((ad) => JSON.stringify(ad).includes(plate)).length;

  it('fails an unreadable record and the later records of its group, and applies another group', async () => {
    // Prepare
    const { handle, statuses } = await worker();
    const later = put('GRP001', 150_000);
    const other = put('GRP002', 160_000);
    for (const change of [later, other])
      await statuses.accepted(dealer.id, {
        registrationNumber: change.registrationNumber,
        state: 'pending',
        changeId: change.changeId,
        acceptedAt: change.acceptedAt,
      });
    const records = [
      sqsRecord({ messageId: 'bad-first', body: '{not json', messageGroupId: group('GRP001') }),
      sqsRecord({ messageId: 'later-same-group', body: later, messageGroupId: group('GRP001') }),
      sqsRecord({ messageId: 'other-group', body: other, messageGroupId: group('GRP002') }),
    ];
    // Act
    const response = await handle({ Records: records }, lambdaContext('vehicle-worker'));
    // Assess
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual([
      'bad-first',
      'later-same-group',
    ]);
    expect(await statuses.get(dealer.id, 'GRP002')).toMatchObject({ state: 'applied', waykeId: expect.any(String) });
    // The later change of the failing group was not applied ahead of the record before it.
    expect(await statuses.get(dealer.id, 'GRP001')).toMatchObject({ state: 'pending' });
    expect(adsWithPlate('GRP001')).toBe(0);
  });

  it('answers a batch that failed whole with every record as a failure, not an invocation error', async () => {
    const { handle } = await worker();
    const records = [
      sqsRecord({ messageId: 'junk-1', body: 'null', messageGroupId: group('JNK001') }),
      sqsRecord({ messageId: 'junk-2', body: '[]', messageGroupId: group('JNK002') }),
    ];
    const response = await handle({ Records: records }, lambdaContext('vehicle-worker'));
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(['junk-1', 'junk-2']);
  });
});
