/**
 * Market and odometer unit per dealer, end to end through `wayke-dms import`/`plan` (the command
 * in this process) against the Wayke simulator: the feed's unit is converted to km once by the
 * reader, km is sent in the market's unit once by the mapping, and a read ad comes back in km.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWaykeClient } from '../../functions/adapters/wayke-http-client.js';
import {
  startWaykeSimulator,
  type SimulatedAd,
  type WaykeSimulator,
} from '../../functions/local/wayke-simulator/index.js';
import { runImportInProcess, simulatorCliEnv } from '../support/cli-run.js';

const SE_BRANCH = '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';
const NO_BRANCH = '7c1e9b2a-3d4f-4e5a-8b6c-0d1e2f3a4b5c';
const FI_BRANCH = '0f1e2d3c-4b5a-4968-8776-655443322110';
const MISCONFIGURED_BRANCH = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

let sim: WaykeSimulator;
let dir: string;
let config: string;

beforeAll(async () => {
  sim = await startWaykeSimulator({
    branchMarkets: { [NO_BRANCH]: 'NO', [FI_BRANCH]: 'FI', [MISCONFIGURED_BRANCH]: 'NO' },
  });
  dir = mkdtempSync(join(tmpdir(), 'import-market-'));
  config = join(dir, 'dealers.json');
  writeFileSync(
    config,
    JSON.stringify({
      dealers: [
        { id: 'bilhallen', name: 'Bilhallen', branchId: SE_BRANCH, market: 'SE' },
        { id: 'fjordbil', name: 'Fjordbil', branchId: NO_BRANCH, market: 'NO' },
        { id: 'autotalo', name: 'Autotalo', branchId: FI_BRANCH, market: 'FI' },
        // A Norwegian dealer whose entry forgot the market: the config's default, SE, applies.
        { id: 'vikenbil', name: 'Viken Bil', branchId: MISCONFIGURED_BRANCH },
      ],
    }),
  );
});
afterAll(async () => {
  await sim?.stop();
});

// The branch comes from the config (or is missing on purpose): no WAYKE_BRANCH_ID.
const env = () => simulatorCliEnv(sim, { WAYKE_BRANCH_ID: undefined });

/** The command in this process, stdout and stderr captured. */
const cli = (args: string[], extraEnv: Record<string, string> = {}) =>
  runImportInProcess(args, { ...env(), ...extraEnv });

let fileNo = 0;
function feed(header: string, ...rows: string[]): string {
  const path = join(dir, `feed-${fileNo++}.csv`);
  writeFileSync(path, [header, ...rows].join('\n'));
  return path;
}

/** The command for a dealer of the config, with its own state directory (`state` names it). */
/** A run against its own state directory, made first: `plan` refuses a `--state` that does not exist. */
const runIn = (state: string, mode: 'plan' | 'import', dealer: string, file: string, ...more: string[]) => {
  const stateDir = join(dir, `state-${state}`);
  mkdirSync(stateDir, { recursive: true });
  return cli([mode, file, '--dealer', dealer, '--config', config, '--state', stateDir, ...more]);
};
const run = (mode: 'plan' | 'import', dealer: string, file: string, ...more: string[]) =>
  runIn(dealer, mode, dealer, file, ...more);

/** The simulator's ads for a plate. */
const adsOf = (plate: string): SimulatedAd[] =>
  (sim.state().adsByPlate[plate] ?? []).map((id) => sim.state().ads[id] as SimulatedAd);

describe('import per market', () => {
  it("sends a NO dealer's `12 300 km` to Wayke as 12 300 km, in market NO", async () => {
    const result = await run('import', 'fjordbil', feed('Regnr;Pris;Mätarställning', 'NOR100;199900;12 300 km'));
    expect(result.status).toBe(0);
    const [ad] = adsOf('NOR100');
    expect(ad).toMatchObject({ marketCode: 'NO', vehicle: { mileage: 12_300 } });
    expect(ad?.vehicle.odometerReading).toEqual({ value: 12_300, unit: 'Kilometer' });
  });

  it("sends an SE dealer's `1 230 mil` as 1 230 mil, and the snapshot holds 12 300 km", async () => {
    const imported = await run('import', 'bilhallen', feed('Regnr;Pris;Miltal', 'SWE100;199900;1 230 mil'));
    // The same car given in km: unchanged, so what the snapshot holds is 12 300 km.
    const plan = await run(
      'plan',
      'bilhallen',
      feed('Regnr;Pris;Mätarställning (km)', 'SWE100;199900;12300'),
      '--json',
    );
    expect(imported.status).toBe(0);
    expect(adsOf('SWE100')[0]?.vehicle).toMatchObject({
      mileage: 1230,
      odometerReading: { value: 1230, unit: 'ScandinavianMile' },
    });
    expect(JSON.parse(plan.stdout)).toMatchObject({ create: [], update: [], unchanged: 1 });
  });

  it("sends an FI dealer's `Mätarställning (mil)` column to Wayke in km", async () => {
    const result = await run('import', 'autotalo', feed('Regnr;Pris;Mätarställning (mil)', 'FIN100;189900;1230'));
    expect(result.status).toBe(0);
    expect(adsOf('FIN100')[0]).toMatchObject({
      marketCode: 'FI',
      vehicle: { mileage: 12_300, odometerReading: { value: 12_300, unit: 'Kilometer' } },
    });
  });

  it('reads an FI ad back (odometerReading in Kilometer) as km, not ×10', async () => {
    const id = adsOf('FIN100')[0]?.id as string;
    const fi = createWaykeClient({ ...urls(), clientId: 'sim-client', clientSecret: 'sim-secret', market: 'FI' });
    expect((await fi.getAd(id)).vehicle.mileage).toBe(12_300);
  });

  it('does not patch on the next run after 12 345 km went out as 1 235 mil and reads back as 12 350 km', async () => {
    const file = feed('Regnr;Pris;Mätarställning (km)', 'SWE200;199900;12345');
    const first = await runIn('rounding', 'import', 'bilhallen', file);
    const patches = sim.state().calls['PATCH /vehicle/{id}'] ?? 0;
    const second = await runIn('rounding', 'import', 'bilhallen', file, '--json');
    const se = createWaykeClient({ ...urls(), clientId: 'sim-client', clientSecret: 'sim-secret', market: 'SE' });
    const [ad] = adsOf('SWE200');
    expect(first.status).toBe(0);
    expect(ad?.vehicle.mileage).toBe(1235);
    expect((await se.getAd(ad?.id as string)).vehicle.mileage).toBe(12_350);
    expect(JSON.parse(second.stdout)).toMatchObject({ updated: 0, unchanged: 1 });
    expect(sim.state().calls['PATCH /vehicle/{id}'] ?? 0).toBe(patches);
  });
});

describe('a NO dealer imported with the SE default by mistake', () => {
  it('is refused by Wayke for its market code, said so in the report, and nothing is created', async () => {
    const result = await run(
      'import',
      'vikenbil',
      feed('Regnr;Pris;Mätarställning', 'VIK100;149900;80 000 km'),
      '--json',
    );
    const summary = JSON.parse(result.stdout);
    const plan = await run('plan', 'vikenbil', feed('Regnr;Pris;Mätarställning', 'VIK100;149900;80 000 km'), '--json');
    expect(result.status).toBe(1);
    expect(summary).toMatchObject({ created: 0, market: 'SE', mileageUnit: 'mil' });
    expect(summary.failed).toEqual([
      expect.objectContaining({
        registrationNumber: 'VIK100',
        action: 'create',
        error: expect.stringContaining('marketCode'),
      }),
    ]);
    expect(summary.failed[0].error).toContain('sells in market NO');
    expect(adsOf('VIK100')).toEqual([]);
    // No snapshot entry either: the next run tries the create again.
    expect(JSON.parse(plan.stdout)).toMatchObject({ create: ['VIK100'] });
  });

  it('goes through once the config names the market (here: --market without a config)', async () => {
    const result = await cli(
      [
        'import',
        feed('Regnr;Pris;Mätarställning', 'VIK200;149900;80 000 km'),
        '--dealer',
        'vikenbil',
        '--market',
        'NO',
        '--state',
        join(dir, 'state-viken-fixed'),
      ],
      { WAYKE_BRANCH_ID: MISCONFIGURED_BRANCH },
    );
    expect(result.status).toBe(0);
    expect(adsOf('VIK200')[0]).toMatchObject({ marketCode: 'NO', vehicle: { mileage: 80_000 } });
  });
});

describe('the unit in what the dealer reads', () => {
  it('states the unit in the import text, and an out-of-range mileage in mil to an SE dealer', async () => {
    const file = feed('Regnr;Pris;Miltal', 'SWE300;199900;600 000', 'SWE301;199900;4 410');
    const result = await runIn('text', 'plan', 'bilhallen', file);
    expect(result.stdout).toContain('market SE, mileage in mil');
    expect(result.stdout).toContain('must be at most 500 000 mil');
  });

  it('states km to a NO dealer', async () => {
    const file = feed('Regnr;Pris;Km', 'NOR300;199900;6 000 000', 'NOR301;199900;44 100');
    const result = await runIn('json', 'plan', 'fjordbil', file, '--json');
    const plan = JSON.parse(result.stdout);
    expect(plan.mileageUnit).toBe('km');
    expect(plan.rejected[0].errors[0].message).toContain('must be at most 5 000 000 km');
  });

  it('refuses --market beside --config, and a market Wayke does not serve', async () => {
    const both = await run('plan', 'bilhallen', feed('Regnr;Pris;Km', 'SWE400;199900;100'), '--market', 'NO');
    const unknown = await cli([
      'plan',
      feed('Regnr;Pris;Km', 'SWE400;199900;100'),
      '--dealer',
      'x-y',
      '--market',
      'DK',
    ]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--market is for runs without --config');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--market must be one of SE, NO, FI');
  });
});

function urls() {
  return { authUrl: sim.authUrl, dealerApiUrl: sim.dealerApiUrl, mediaApiUrl: sim.mediaApiUrl };
}
