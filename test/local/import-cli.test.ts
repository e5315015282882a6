import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSnapshotStore } from '../../functions/adapters/dynamo-snapshot-store.js';
import { runImportCommand, SNAPSHOT_TABLE, startEmbeddedDynamo } from '../../functions/local/commands/import.js';
import { startWaykeSimulator, type WaykeSimulator } from '../../functions/local/wayke-simulator.js';
import { BRANCH, csv, vehicle } from '../import/harness.js';

let sim: WaykeSimulator;
let dir: string;
beforeAll(async () => {
  sim = await startWaykeSimulator();
  dir = mkdtempSync(join(tmpdir(), 'import-cli-'));
});
afterAll(async () => {
  await sim?.stop();
});

const env = () => ({
  ...process.env,
  WAYKE_AUTH_URL: sim.authUrl,
  WAYKE_DEALER_API_URL: sim.dealerApiUrl,
  WAYKE_MEDIA_API_URL: sim.mediaApiUrl,
  WAYKE_CLIENT_ID: 'sim-client',
  WAYKE_CLIENT_SECRET: 'sim-secret',
  WAYKE_BRANCH_ID: BRANCH,
  NODE_NO_WARNINGS: '1',
});

/** The real command line, in its own process (slow to start: used for the end-to-end cases). */
function spawnCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/wayke-dms.js', ...args], { env: env() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The same command in this process, stdout and stderr captured. */
async function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const [mode, ...rest] = args as ['plan' | 'import', ...string[]];
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((chunk: string) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const status = await runImportCommand(mode, rest, env());
    return { status, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

const cars = Array.from({ length: 8 }, (_, i) => vehicle(i + 1, {}, 2));
const feedFile = (name: string, content: Uint8Array | string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('wayke-dms plan / import', () => {
  it('plan on a fresh state lists every create and writes nothing', async () => {
    const state = join(dir, 'fresh');
    const result = await spawnCli(['plan', feedFile('a.csv', csv(cars)), '--dealer', 'bilhallen', '--state', state, '--json']);
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
    });
    expect(existsSync(state)).toBe(false);
    expect(sim.state().calls['POST /vehicle'] ?? 0).toBe(0);
  });

  it('import applies, reruns do nothing, plan shows the change, safety valve exits 3 until --allow-mass-removal', async () => {
    const state = join(dir, 'state');
    const args = (file: string, ...more: string[]) => ['--dealer', 'bilhallen', '--state', state, '--json', file, ...more];
    const first = await spawnCli(['import', ...args(feedFile('b.csv', csv(cars)))]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      dealer: 'bilhallen', feed: { format: 'csv', encoding: 'utf-8', vehicles: 8, rejected: 0 },
      created: 8, updated: 0, removed: 0, republished: 0, unchanged: 0, failed: [], rejected: [], blocked: null,
    });

    const calls = JSON.stringify(sim.state().calls);
    const again = await cli(['import', ...args(feedFile('b.csv', csv(cars)))]);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, unchanged: 8 });
    expect(JSON.stringify(sim.state().calls)).toBe(calls);

    const changed = cars.map((c, i) => (i === 0 ? { ...c, price: 1 } : c));
    const plan = await cli(['plan', ...args(feedFile('c.csv', csv(changed)))]);
    expect(JSON.parse(plan.stdout)).toMatchObject({ update: [{ registrationNumber: cars[0]!.registrationNumber, fields: ['price'] }], unchanged: 7 });

    const cutPlan = await cli(['plan', ...args(feedFile('d.csv', csv(cars.slice(0, 2))))]);
    expect(cutPlan.status).toBe(3);
    expect(JSON.parse(cutPlan.stdout)).toMatchObject({ remove: cars.slice(2).map((c) => c.registrationNumber), blocked: { wouldRemove: 6, limit: 3 } });
    const cut = await cli(['import', ...args(feedFile('d.csv', csv(cars.slice(0, 2))))]);
    expect(cut.status).toBe(3);
    expect(JSON.parse(cut.stdout).blocked).toEqual({ reason: expect.stringContaining('6 of 8'), wouldRemove: 6, limit: 3 });
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
    const rows = await cli(['import', feedFile('rows.csv', 'registrationNumber,price,mileage\nABC123,1000,10\nABC124,gratis,10\n'), '--dealer', 'dl2', '--state', state, '--json']);
    expect(rows.status).toBe(1);
    expect(JSON.parse(rows.stdout)).toMatchObject({ created: 1, rejected: [{ row: 2, registrationNumber: 'ABC124' }] });
    const usage = await spawnCli(['import', 'x.csv', '--state', state]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--dealer <id> is required');
  });

  it('takes over the lease of a run on this machine whose process is gone', async () => {
    const state = join(dir, 'state3');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const dynamo = await startEmbeddedDynamo(join(state, 'cli-snapshots'));
    const store = new DynamoSnapshotStore({ client: dynamo.client, tableName: SNAPSHOT_TABLE });
    await store.acquireLease('dl3', { owner: 'crashed-run', host: hostname(), pid: dead }, 3_600_000);
    await store.acquireLease('dl4', { owner: 'elsewhere', host: 'another-host', pid: dead }, 3_600_000);
    await dynamo.stop();
    const taken = await cli(['import', feedFile('e.csv', csv(cars.slice(0, 1))), '--dealer', 'dl3', '--state', state, '--json']);
    expect(taken.status).toBe(0);
    const held = await cli(['import', feedFile('e.csv', csv(cars.slice(0, 1))), '--dealer', 'dl4', '--state', state, '--json']);
    expect(held.status).toBe(1);
    expect(JSON.parse(held.stdout)).toMatchObject({ dealer: 'dl4', skipped: { reason: 'lease-held' } });

    // A state directory another run has open is refused in words, not with a crash.
    const open = await startEmbeddedDynamo(join(state, 'cli-snapshots'));
    try {
      const busy = await cli(['import', feedFile('e.csv', csv(cars.slice(0, 1))), '--dealer', 'dl3', '--state', state, '--json']);
      expect(busy.status).toBe(1);
      expect(busy.stderr).toContain('is in use by another wayke-dms process');
    } finally {
      await open.stop();
    }
  });
});
