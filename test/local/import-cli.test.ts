import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSnapshotStore } from '../../functions/adapters/dynamo-snapshot-store.js';
import { SNAPSHOT_TABLE, startEmbeddedDynamo } from '../../functions/local/commands/import.js';
import { startWaykeSimulator, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import { processIsGone, processStartOf } from '../../functions/local/process-liveness.js';
import { stateLayout } from '../../functions/local/state-dir.js';
import { runImportInProcess, simulatorCliEnv, spawnCli as spawnCliIn } from '../support/cli-run.js';
import { csv, vehicle } from '../support/import-harness.js';

let sim: WaykeSimulator;
let dir: string;
beforeAll(async () => {
  sim = await startWaykeSimulator();
  dir = mkdtempSync(join(tmpdir(), 'import-cli-'));
});
afterAll(async () => {
  await sim?.stop();
});

const env = () => simulatorCliEnv(sim);
const spawnCli = (args: string[]) => spawnCliIn(args, env());
const cli = (args: string[]) => runImportInProcess(args, env());

const cars = Array.from({ length: 8 }, (_, i) => vehicle(i + 1, {}, 2));
const feedFile = (name: string, content: Uint8Array | string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
/** `import <one car's feed> --dealer <dealer> --state <state> --json`, in this process. */
const importOneCar = (file: string, dealer: string, state: string) =>
  cli(['import', feedFile(file, csv(cars.slice(0, 1))), '--dealer', dealer, '--state', state, '--json']);

describe('wayke-dms plan / import', () => {
  it('plan on a fresh state lists every create and writes nothing', async () => {
    const state = join(dir, 'fresh');
    mkdirSync(state);
    const result = await spawnCli([
      'plan',
      feedFile('a.csv', csv(cars)),
      '--dealer',
      'bilhallen',
      '--state',
      state,
      '--json',
    ]);
    expect(result.status).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan).toEqual({
      dealer: 'bilhallen',
      feed: { format: 'csv', encoding: 'utf-8', vehicles: 8, rejected: 0 },
      create: cars.map((c) => c.registrationNumber),
      update: [],
      remove: [],
      republish: [],
      unchanged: 0,
      rejected: [],
      blocked: null,
      market: 'SE',
      mileageUnit: 'mil',
    });
    expect(readdirSync(state)).toEqual([]);
    expect(sim.state().calls['POST /vehicle'] ?? 0).toBe(0);
  });

  it('import applies, reruns do nothing, plan shows the change, safety valve exits 3 until --allow-mass-removal', async () => {
    const state = join(dir, 'state');
    const args = (file: string, ...more: string[]) => [
      '--dealer',
      'bilhallen',
      '--state',
      state,
      '--json',
      file,
      ...more,
    ];
    const first = await spawnCli(['import', ...args(feedFile('b.csv', csv(cars)))]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      dealer: 'bilhallen',
      feed: { format: 'csv', encoding: 'utf-8', vehicles: 8, rejected: 0 },
      created: 8,
      updated: 0,
      removed: 0,
      republished: 0,
      unchanged: 0,
      failed: [],
      rejected: [],
      blocked: null,
      market: 'SE',
      mileageUnit: 'mil',
    });

    const calls = JSON.stringify(sim.state().calls);
    const again = await cli(['import', ...args(feedFile('b.csv', csv(cars)))]);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, unchanged: 8 });
    expect(JSON.stringify(sim.state().calls)).toBe(calls);

    const changed = cars.map((c, i) => (i === 0 ? { ...c, price: 1 } : c));
    const plan = await cli(['plan', ...args(feedFile('c.csv', csv(changed)))]);
    expect(JSON.parse(plan.stdout)).toMatchObject({
      update: [{ registrationNumber: cars[0]!.registrationNumber, fields: ['price'] }],
      unchanged: 7,
    });

    const cutPlan = await cli(['plan', ...args(feedFile('d.csv', csv(cars.slice(0, 2))))]);
    expect(cutPlan.status).toBe(3);
    expect(JSON.parse(cutPlan.stdout)).toMatchObject({
      remove: cars.slice(2).map((c) => c.registrationNumber),
      blocked: { wouldRemove: 6, limit: 3 },
    });
    const cut = await cli(['import', ...args(feedFile('d.csv', csv(cars.slice(0, 2))))]);
    expect(cut.status).toBe(3);
    expect(JSON.parse(cut.stdout).blocked).toEqual({
      reason: expect.stringContaining('6 of 8'),
      wouldRemove: 6,
      limit: 3,
    });
    const allowed = await cli(['import', ...args(feedFile('d.csv', csv(cars.slice(0, 2))), '--allow-mass-removal')]);
    expect(allowed.status).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ removed: 6, blocked: null });
    expect(existsSync(join(state, 'reports', 'bilhallen', 'latest.txt'))).toBe(true);
  });

  it('exit 2 for a feed rejected as a whole, 1 for rejected rows', async () => {
    const state = join(dir, 'state2');
    const empty = await cli(['import', feedFile('empty.csv', ''), '--dealer', 'dl2', '--state', state, '--json']);
    expect(empty.status).toBe(2);
    expect(JSON.parse(empty.stdout).feed.error.code).toBe('EMPTY_FEED');
    const rows = await cli([
      'import',
      feedFile('rows.csv', 'registrationNumber,price,mileage\nABC123,1000,10\nABC124,gratis,10\n'),
      '--dealer',
      'dl2',
      '--state',
      state,
      '--json',
    ]);
    expect(rows.status).toBe(1);
    expect(JSON.parse(rows.stdout)).toMatchObject({ created: 1, rejected: [{ row: 3, registrationNumber: 'ABC124' }] });
    const usage = await spawnCli(['import', 'x.csv', '--state', state]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--dealer <id> is required');
  });

  it('takes over the lease of a run on this machine whose process is gone', async () => {
    const state = join(dir, 'state3');
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const dynamo = await startEmbeddedDynamo(stateLayout(state).dynamodb);
    const store = new DynamoSnapshotStore({ client: dynamo.client, tableName: SNAPSHOT_TABLE });
    await store.acquireLease('dl3', { owner: 'crashed-run', host: hostname(), pid: dead }, 3_600_000);
    await store.acquireLease('dl4', { owner: 'elsewhere', host: 'another-host', pid: dead }, 3_600_000);
    await dynamo.stop();
    const taken = await importOneCar('e.csv', 'dl3', state);
    expect(taken.status).toBe(0);
    const held = await importOneCar('e.csv', 'dl4', state);
    expect(held.status).toBe(1);
    expect(JSON.parse(held.stdout)).toMatchObject({ dealer: 'dl4', skipped: { reason: 'lease-held' } });

    // A state directory another run has open is refused in words, not with a crash.
    const open = await startEmbeddedDynamo(stateLayout(state).dynamodb);
    try {
      const busy = await importOneCar('e.csv', 'dl3', state);
      expect(busy.status).toBe(1);
      expect(busy.stderr).toContain('is in use by another wayke-dms process');
    } finally {
      await open.stop();
    }
  });

  it('takes over from a killed run whose pid is still a zombie, and from a pid reused by another process', async () => {
    // Prepare: `sh` forks a child that exits at once and then becomes `sleep`, which never reaps
    // it, so the child stays a zombie — what a `kill -9`-ed import looks like until it is reaped.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = await new Promise<number>((done) =>
        parent.stdout.once('data', (chunk: Buffer) => done(Number(chunk.toString().trim()))),
      );
      for (let i = 0; i < 50 && !/\) Z /.test(readFileSync(`/proc/${zombie}/stat`, 'utf8')); i++)
        await new Promise((wait) => setTimeout(wait, 20));
      const state = join(dir, 'state-zombie');
      const dynamo = await startEmbeddedDynamo(stateLayout(state).dynamodb);
      const store = new DynamoSnapshotStore({ client: dynamo.client, tableName: SNAPSHOT_TABLE });
      await store.acquireLease('zz1', { owner: 'killed-run', host: hostname(), pid: zombie }, 3_600_000);
      // a live process (this one) recorded with another start time: its pid was reused
      await store.acquireLease(
        'zz2',
        { owner: 'reused-pid', host: hostname(), pid: parent.pid!, processStart: '1' },
        3_600_000,
      );
      // a live process with its true start time is still running: its lease holds
      await store.acquireLease(
        'zz3',
        { owner: 'alive', host: hostname(), pid: parent.pid!, processStart: processStartOf(parent.pid!)! },
        3_600_000,
      );
      await dynamo.stop();
      // Act
      const zombieRun = await importOneCar('z.csv', 'zz1', state);
      const reusedRun = await importOneCar('z.csv', 'zz2', state);
      const aliveRun = await importOneCar('z.csv', 'zz3', state);
      // Assess
      expect(zombieRun.status, zombieRun.stderr).toBe(0);
      expect(reusedRun.status, reusedRun.stderr).toBe(0);
      expect(aliveRun.status).toBe(1);
      expect(JSON.parse(aliveRun.stdout)).toMatchObject({ dealer: 'zz3', skipped: { reason: 'lease-held' } });
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('tells a gone, zombie or reused pid from a running process', () => {
    expect(processIsGone(process.pid)).toBe(false);
    expect(processIsGone(process.pid, processStartOf(process.pid))).toBe(false);
    expect(processIsGone(process.pid, 'another start')).toBe(true);
    expect(processIsGone(spawnSync(process.execPath, ['-e', '']).pid)).toBe(true);
  });

  it('moves a snapshot kept by an older version in cli-snapshots/ to the shared layout', async () => {
    // Prepare
    const state = join(dir, 'state-legacy');
    const feed = feedFile('l.csv', csv(cars.slice(0, 2)));
    expect((await cli(['import', feed, '--dealer', 'legacy', '--state', state, '--json'])).status).toBe(0);
    renameSync(stateLayout(state).dynamodb, stateLayout(state).legacyCliSnapshots);
    // Act
    const plan = await cli(['plan', feed, '--dealer', 'legacy', '--state', state, '--json']);
    // Assess
    expect(plan.status, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({ create: [], unchanged: 2 });
    expect(existsSync(stateLayout(state).dynamodb)).toBe(true);
    expect(existsSync(stateLayout(state).legacyCliSnapshots)).toBe(false);
  });
});
