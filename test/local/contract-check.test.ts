/**
 * `wayke-dms contract-check` end to end against the Wayke simulator over HTTP: as it is (every
 * name round-trips), drifted (a field renamed or ignored: exit 1 naming it), refusing the
 * credentials, with a plate in use, and failing mid-way; the throwaway ad is removed every time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWaykeClient } from '../../functions/adapters/wayke-http-client.js';
import { WAYKE_FIELD_PATHS } from '../../functions/adapters/wayke-mapping.js';
import { runContractCheckCommand } from '../../functions/local/commands/contract-check.js';
import { exitStatusOf, textReport } from '../../functions/local/contract-check/report.js';
import { runContractCheck } from '../../functions/local/contract-check/run.js';
import { sampleVehicle } from '../../functions/local/contract-check/sample.js';
import { startWaykeSimulator, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import { BRANCH } from '../support/import-harness.js';

const SECRET = 'contract-check-secret-7f3a9c';
let sim: WaykeSimulator;
beforeAll(async () => {
  sim = await startWaykeSimulator({ clients: [{ clientId: 'cc-client', clientSecret: SECRET }] });
});
afterAll(async () => {
  await sim?.stop();
});
afterEach(() => {
  sim.setContractDrift(null);
  sim.setFaults({ serverErrorRate: 0, routes: [] });
});

const env = (overrides: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  WAYKE_AUTH_URL: sim.authUrl,
  WAYKE_DEALER_API_URL: sim.dealerApiUrl,
  WAYKE_MEDIA_API_URL: sim.mediaApiUrl,
  WAYKE_CLIENT_ID: 'cc-client',
  WAYKE_CLIENT_SECRET: SECRET,
  WAYKE_BRANCH_ID: BRANCH,
  ...overrides,
});

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

async function check(args: string[], environment = env()): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const status = await runContractCheckCommand(args, environment, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  // Whatever happened, the client secret is never printed.
  expect(stdout + stderr).not.toContain(SECRET);
  return { status, stdout, stderr };
}

const json = (run: Run) => JSON.parse(run.stdout) as Record<string, unknown> & { rows: Array<Record<string, unknown>> };
/** The simulator's ads with that plate. */
const adsOf = (plate: string) => Object.values(sim.state().ads).filter((ad) => ad.vehicle.registrationNumber === plate);

describe('wayke-dms contract-check against the simulator', () => {
  it('passes: exit 0, every row ok, and the throwaway ad ends Deleted', async () => {
    const run = await check(['--json', '--registration-number', 'CCA001']);
    const report = json(run);
    expect(run.status).toBe(0);
    expect(report).toMatchObject({ ok: true, exitStatus: 0, failed: [], removal: { removed: true } });
    expect(report.rows.filter((row) => !row.skipped).every((row) => row.ok)).toBe(true);
    // the simulator offers every step, the video registration included: nothing is left unchecked
    expect(report.skipped).toEqual([]);
    expect(adsOf('CCA001').map((ad) => ad.status)).toEqual(['Deleted']);
  });

  it('runs again on the same plate once its earlier throwaway ad is Deleted', async () => {
    expect((await check(['--registration-number', 'CCA005'])).status).toBe(0);
    expect((await check(['--registration-number', 'CCA005'])).status).toBe(0);
    expect(adsOf('CCA005').map((ad) => ad.status)).toEqual(['Deleted', 'Deleted']);
  });

  it('checks every field path of the mapping, by its Wayke name', async () => {
    const report = json(await check(['--json', '--registration-number', 'CCA002']));
    const names = report.rows.filter((row) => row.step === 'create').map((row) => row.name);
    for (const [section, name] of Object.values(WAYKE_FIELD_PATHS)) expect(names).toContain(`${section}.${name}`);
  });

  it('checks every status and ends with the removal', async () => {
    const report = json(await check(['--json', '--registration-number', 'CCA003']));
    const statuses = report.rows.filter((row) => row.step === 'status').map((row) => row.name);
    expect(statuses).toEqual(['status Unpublished', 'status Sold', 'status Published', 'status Deleted']);
  });

  it('prints the table field · sent · read back · ok', async () => {
    const run = await check(['--registration-number', 'CCA004']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^field\s+· sent\s+· read back\s+· ok$/m);
    expect(run.stdout).toMatch(/^ad\.campaignPrice \(campaignPrice\)\s+· 239900\s+· 239900\s+· ok$/m);
    expect(run.stdout).toContain('Every name round-trips');
  });
});

describe('wayke-dms contract-check against a drifted Wayke', () => {
  it('a renamed field: exit 1, naming it and where it went, and the ad is removed', async () => {
    sim.setContractDrift({ renamed: { 'ad.campaignPrice': 'ad.discountPrice' } });
    const run = await check(['--registration-number', 'CCB001']);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('ad.campaignPrice (campaignPrice): not read back under this name');
    expect(run.stdout).toContain('Read back but not sent (a renamed field may be among them): ad.discountPrice');
    expect(adsOf('CCB001').map((ad) => ad.status)).toEqual(['Deleted']);
  });

  it('a renamed field in --json: failed names exactly it', async () => {
    sim.setContractDrift({ renamed: { 'ad.campaignPrice': 'ad.discountPrice' } });
    const report = json(await check(['--json', '--registration-number', 'CCB002']));
    expect(report).toMatchObject({ ok: false, exitStatus: 1, failed: ['ad.campaignPrice'] });
    expect(report.unsentNames).toEqual(['ad.discountPrice']);
  });

  it('an ignored field: exit 1 naming it, and the ad is removed', async () => {
    sim.setContractDrift({ ignored: ['vehicle.vin'] });
    const run = await check(['--json', '--registration-number', 'CCB003']);
    expect(run.status).toBe(1);
    expect(json(run)).toMatchObject({ failed: ['vehicle.vin'], removal: { removed: true } });
    expect(adsOf('CCB003').map((ad) => ad.status)).toEqual(['Deleted']);
  });
});

describe('wayke-dms contract-check when it cannot check', () => {
  // Exit 2, not 1: refused credentials are a setting to fix, not a name that failed to round-trip,
  // and a script must tell "the contract broke" from "the check never ran".
  it('refused credentials: a clear message, exit 2, and no ad is created', async () => {
    const before = Object.keys(sim.state().ads).length;
    const run = await check(['--registration-number', 'CCC001'], env({ WAYKE_CLIENT_SECRET: 'wrong-secret-value' }));
    expect(run.status).toBe(2);
    expect(run.stdout).toMatch(/The check stopped at "find by plate": .*credentials/i);
    expect(run.stdout).not.toContain('wrong-secret-value');
    expect(run.stdout).toContain('Check WAYKE_CLIENT_ID and WAYKE_CLIENT_SECRET');
    expect(Object.keys(sim.state().ads)).toHaveLength(before);
  });

  it('an auth URL without its path (no token endpoint there): exit 2 naming WAYKE_AUTH_URL, no ad created', async () => {
    const run = await check(['--registration-number', 'CCA009'], env({ WAYKE_AUTH_URL: new URL(sim.authUrl).origin }));
    expect(run.status).toBe(2);
    expect(run.stdout + run.stderr).toContain('WAYKE_AUTH_URL');
    expect(adsOf('CCA009')).toEqual([]);
  });

  it('a plate with a live ad in the branch: exit 2, and that ad is left as it was', async () => {
    const dealerCar = { registrationNumber: 'CCC002', price: 100_000, mileage: 12_000 };
    const { id } = await createWaykeClient(client()).createAd({
      branchId: BRANCH,
      vehicle: dealerCar,
      status: 'Published',
    });
    const run = await check(['--registration-number', 'CCC002']);
    expect(run.status).toBe(2);
    expect(run.stdout).toContain('CCC002 already has an ad (Published)');
    expect(adsOf('CCC002').map((ad) => [ad.id, ad.status, ad.version])).toEqual([[id, 'Published', 1]]);
  });

  it('a step that fails after the ad exists: exit 1 naming the step, and the ad is still removed', async () => {
    sim.setFaults({ serverErrorRate: 1, routes: ['PATCH /vehicle/{id}'] });
    const result = await runContractCheck({
      client: client(),
      branchId: BRANCH,
      registrationNumber: 'CCC004',
      market: 'SE',
    });
    expect(result.failure).toMatchObject({ kind: 'wayke', step: 'PATCH null' });
    expect(exitStatusOf(result)).toBe(1);
    expect(result.removal).toEqual({ removed: true });
    expect(adsOf('CCC004').map((ad) => ad.status)).toEqual(['Deleted']);
  });

  it('a removal that fails: exit 1, and the message names the ad to remove by hand', async () => {
    sim.setFaults({ serverErrorRate: 1, routes: ['PUT /vehicle/{id}/ad/status'] });
    const result = await runContractCheck({
      client: client(),
      branchId: BRANCH,
      registrationNumber: 'CCC005',
      market: 'SE',
    });
    const [ad] = adsOf('CCC005');
    expect(result.removal?.removed).toBe(false);
    expect(result.removal?.message).toContain(`the throwaway ad ${ad?.id} (CCC005) could not be removed`);
    expect(result.removal?.message).toContain('remove it by hand');
    expect(textReport(result)).toContain(`WARNING: the throwaway ad ${ad?.id}`);
    expect(exitStatusOf(result)).toBe(1);
  });

  it('a missing setting: exit 2 naming the variable, before any call', async () => {
    const calls = sim.state().requests.length;
    const run = await check([], env({ WAYKE_BRANCH_ID: '' }));
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('WAYKE_BRANCH_ID');
    expect(sim.state().requests).toHaveLength(calls);
  });

  it('a NO branch checked with --market NO round-trips its market code and odometer in km', async () => {
    // Prepare
    const branch = '0b7e3c2a-1d4f-4e5a-9b6c-7d8e9f0a1b2c';
    sim.addClient({ clientId: 'cc-no', clientSecret: SECRET, branchIds: [branch] });
    sim.setBranchMarket(branch, 'NO');
    const norway = env({ WAYKE_CLIENT_ID: 'cc-no', WAYKE_BRANCH_ID: branch });
    // Act
    const run = await check(['--json', '--market', 'NO', '--registration-number', 'CCN001'], norway);
    // Assess
    expect(run.status, run.stdout).toBe(0);
    const rows = json(run).rows;
    expect(rows).toContainEqual(expect.objectContaining({ name: 'marketCode', sent: 'NO', readBack: 'NO', ok: true }));
    const mileage = rows.find((row) => row.name === 'vehicle.mileage' && row.step === 'create');
    expect(mileage).toMatchObject({ ok: true });
    // km for a NO branch: the sample's km as they are, not tenths (mil)
    expect(mileage?.sent).toBe(sampleVehicle('CCN001').mileage);
    const [ad] = adsOf('CCN001');
    expect(ad?.status).toBe('Deleted');
  });

  it('a NO branch checked with the SE default: exit 1, and the refusal names the market code', async () => {
    const branch = '1c8f4d3b-2e5a-4f6b-8c7d-8e9f0a1b2c3d';
    sim.addClient({ clientId: 'cc-no2', clientSecret: SECRET, branchIds: [branch] });
    sim.setBranchMarket(branch, 'NO');
    const run = await check(
      ['--registration-number', 'CCN002'],
      env({ WAYKE_CLIENT_ID: 'cc-no2', WAYKE_BRANCH_ID: branch }),
    );
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('marketCode');
    expect(adsOf('CCN002')).toEqual([]);
  });

  it('a bad plate or an unknown option: exit 2', async () => {
    expect((await check(['--registration-number', 'not a plate!'])).status).toBe(2);
    expect((await check(['--frobnicate'])).status).toBe(2);
  });
});

/** The client settings of the direct runs: one attempt per call, so a faulted route fails at once. */
const client = () => ({
  authUrl: sim.authUrl,
  dealerApiUrl: sim.dealerApiUrl,
  mediaApiUrl: sim.mediaApiUrl,
  clientId: 'cc-client',
  clientSecret: SECRET,
  maxAttempts: 1,
});
