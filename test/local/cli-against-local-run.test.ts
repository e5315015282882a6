/**
 * `plan`, `import` and `contract-check` against the local run of their state directory, as a new
 * user types them after `npm start`: no `WAYKE_*` settings, no `--config`. The dealer is the one the run configured
 * (its mapping profile included), `import` goes to the run's Wayke simulator as that dealer's
 * client, and a state directory holding the simulator's snapshot is refused for another Wayke.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWaykeSimulator, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import { spawnCli } from '../support/cli-run.js';
import { devChildEnv, startDevStack, type DevStack } from '../support/dev-stack.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DEALERS = ['bilhallen', 'motorcentrum', 'autohuset'];
/** No Wayke in the environment, as in a new user's shell. */
const env = devChildEnv({ LOG_LEVEL: 'SILENT' });
for (const name of ['WAYKE_CLIENT_ID', 'WAYKE_CLIENT_SECRET', 'WAYKE_BRANCH_ID']) delete env[name];

let stack: DevStack;
let other: WaykeSimulator;
const dir = mkdtempSync(join(tmpdir(), 'import-local-run-'));

beforeAll(async () => {
  stack = await startDevStack();
  await stack.waitFor('the start-up imports', () =>
    DEALERS.every((id) => new RegExp(`[✓✗!] ${id}:`).test(stack.stdout())),
  );
  other = await startWaykeSimulator();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await other?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The simulator's ad for a plate, through its admin view. */
async function simulatedAd(plate: string): Promise<{ status: string; ad: { price: number } } | undefined> {
  const state = (await (await fetch(`${stack.services.wayke}/_admin/state`)).json()) as {
    ads: Record<string, { status: string; ad: { price: number } }>;
    adsByPlate: Record<string, string[]>;
  };
  const id = state.adsByPlate[plate]?.at(-1);
  return id ? state.ads[id] : undefined;
}

/** bilhallen's sample feed (Windows-1252) with PHX90A's price changed from 326 000 to 321 000. */
function repricedFeed(): string {
  const bytes = readFileSync(join(ROOT, 'examples/feeds/bilhallen.csv'));
  const changed = Buffer.from(
    bytes.toString('latin1').replace('PHX90A;2200;326 000:-;', 'PHX90A;2200;321 000:-;'),
    'latin1',
  );
  expect(changed.equals(bytes)).toBe(false);
  const file = join(dir, 'bilhallen-repriced.csv');
  writeFileSync(file, changed);
  return file;
}

describe('plan and import against the local run, with no settings', () => {
  it("plans with the dealer's own mapping profile from the run (autohuset's columns), against its snapshot", async () => {
    const result = await spawnCli(
      ['plan', join(ROOT, 'examples/feeds/autohuset.csv'), '--dealer', 'autohuset', '--state', stack.data, '--json'],
      env,
    );
    expect(result.stderr).toBe('');
    const plan = JSON.parse(result.stdout);
    expect(plan.feed.vehicles).toBeGreaterThan(0);
    expect({ create: plan.create, update: plan.update, remove: plan.remove }).toEqual({
      create: [],
      update: [],
      remove: [],
    });
    expect(plan.unchanged).toBe(plan.feed.vehicles);
  });

  it("imports into the run's Wayke simulator as the dealer, and the next plan sees the change", async () => {
    const file = repricedFeed();
    const imported = await spawnCli(['import', file, '--dealer', 'bilhallen', '--state', stack.data, '--json'], env);
    expect(imported.stderr).toContain(`into the Wayke simulator of the local run in ${stack.data}`);
    expect(imported.status).toBe(0);
    expect((await simulatedAd('PHX90A'))?.ad.price).toBe(321_000);

    const planned = await spawnCli(['plan', file, '--dealer', 'bilhallen', '--state', stack.data, '--json'], env);
    expect(JSON.parse(planned.stdout)).toMatchObject({ create: [], update: [], remove: [] });
  });

  it("names the run's dealers for a mistyped --dealer (exit 1), and does not claim the run is down", async () => {
    const result = await spawnCli(['import', repricedFeed(), '--dealer', 'bilhalen', '--state', stack.data], env);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`dealer "bilhalen" is not one of the local run's dealers`);
    expect(result.stderr).toContain(DEALERS.join(', '));
    expect(result.stderr).not.toContain('no local run is up');
  });

  it("refuses another Wayke with the run's state directory: its ad ids mean nothing there", async () => {
    const result = await spawnCli(['import', repricedFeed(), '--dealer', 'bilhallen', '--state', stack.data], {
      ...env,
      WAYKE_AUTH_URL: other.authUrl,
      WAYKE_DEALER_API_URL: other.dealerApiUrl,
      WAYKE_MEDIA_API_URL: other.mediaApiUrl,
      WAYKE_CLIENT_ID: 'client',
      WAYKE_CLIENT_SECRET: 'secret',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("holds the local run's snapshot of its Wayke simulator");
    expect(result.stderr).toContain('give this Wayke its own --state');
    expect(Object.values(other.state().calls).reduce((sum, n) => sum + n, 0)).toBe(0);
  });

  it('says what to set, or to start the local run, when no Wayke is set and none runs (exit 2)', async () => {
    const result = await spawnCli(
      ['import', repricedFeed(), '--dealer', 'bilhallen', '--state', join(dir, 'none')],
      env,
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no Wayke to import into: set WAYKE_AUTH_URL');
    expect(result.stderr).toContain('start the local run (`npm start`)');
  });
});

describe('contract-check against the local run, with no settings', () => {
  it("checks the run's Wayke simulator as its first dealer, every name round-trips, and the ad is gone", async () => {
    const result = await spawnCli(
      ['contract-check', '--data', stack.data, '--json', '--registration-number', 'WDC917'],
      env,
    );
    expect(result.stderr).toContain(`the Wayke simulator of the local run in ${stack.data}, as bilhallen`);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as { failed: unknown[]; rows: unknown[]; removal: unknown };
    expect(report.failed).toEqual([]);
    expect(report.rows.length).toBeGreaterThan(20);
    expect(report.removal).toMatchObject({ removed: true });
    expect((await simulatedAd('WDC917'))?.status).toBe('Deleted');
  });

  it('names both ways to give it a Wayke when none is set and no local run is up (exit 2)', async () => {
    const result = await spawnCli(['contract-check', '--data', join(dir, 'none')], env);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no Wayke to check: set WAYKE_AUTH_URL');
    expect(result.stderr).toContain('start the local run (`npm start`)');
  });

  it('refuses a --dealer the local run does not have, listing its dealers (exit 2)', async () => {
    const result = await spawnCli(['contract-check', '--data', stack.data, '--dealer', 'bilhalen'], env);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`dealer "bilhalen" is not one of the local run's dealers (${DEALERS.join(', ')})`);
  });
});
