import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportReport } from '../../functions/core/import/index.js';
import { reportLines } from '../../functions/local/dev/console.js';
import { stateLayout } from '../../functions/local/state-dir.js';
import { startWaykeSimulator, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import { runImportInProcess, simulatorCliEnv } from '../support/cli-run.js';
import { csv, vehicle } from '../support/import-harness.js';

/**
 * `wayke-dms import` with `WAYKE_AUTH_URL` missing its path, against the real simulator: the run
 * stops once (exit 2, one STOPPED line naming the setting and the status, `stopped` in --json),
 * no car is listed as failed, the secret is nowhere, and the local console says the same once.
 */

let sim: WaykeSimulator;
let dir: string;
beforeAll(async () => {
  sim = await startWaykeSimulator();
  dir = mkdtempSync(join(tmpdir(), 'import-auth-setting-'));
});
afterAll(async () => {
  await sim?.stop();
});

const cars = Array.from({ length: 5 }, (_, i) => vehicle(600 + i + 1, {}, 1));
const SECRET = 'sim-secret';

function importWith(authUrl: string, state: string, ...more: string[]) {
  const file = join(dir, 'lager.csv');
  writeFileSync(file, csv(cars));
  return runImportInProcess(
    ['import', file, '--dealer', 'bilhallen', '--state', state, ...more],
    simulatorCliEnv(sim, { WAYKE_AUTH_URL: authUrl, WAYKE_CLIENT_SECRET: SECRET }),
  );
}

const withoutPath = () => sim.authUrl.replace(/\/auth$/, '');

describe('wayke-dms import: a wrong WAYKE_AUTH_URL', () => {
  it('--json: exit 2, `stopped` names the setting and the status, nothing failed alone, nothing created', async () => {
    const run = await importWith(withoutPath(), join(dir, 'json'), '--json');
    expect(run.status).toBe(2);
    const summary = JSON.parse(run.stdout);
    expect(summary.stopped.reason).toContain('WAYKE_AUTH_URL');
    expect(summary.stopped.reason).toContain('HTTP 404');
    expect(summary.stopped.vehicles).toBe(cars.length);
    expect(summary.failed).toEqual([]);
    expect(summary.created).toBe(0);
    expect(Object.keys(sim.state().ads)).toEqual([]);
    expect(`${run.stdout}${run.stderr}`).not.toContain(SECRET);
    expect(run.stdout).not.toContain('Route POST');
  });

  it('text, report file and local console: the reason once, no per-car lines; the right URL then imports', async () => {
    const state = join(dir, 'text');
    const run = await importWith(withoutPath(), state);
    expect(run.status).toBe(2);
    expect(run.stdout.match(/WAYKE_AUTH_URL/g)).toHaveLength(1);
    expect(run.stdout).toContain('STOPPED: ');
    expect(run.stdout).toContain(`${cars.length} vehicles were not changed`);
    for (const car of cars) expect(run.stdout).not.toContain(car.registrationNumber);

    const reports = stateLayout(state).reports;
    const report = JSON.parse(readFileSync(join(reports, 'bilhallen', 'latest.json'), 'utf8')) as ImportReport;
    const lines = reportLines(report);
    expect(lines[0]).toMatch(/^✗ bilhallen: .* stopped/);
    expect(lines.filter((line) => line.includes('WAYKE_AUTH_URL'))).toHaveLength(1);
    expect(lines.join('\n')).not.toContain(SECRET);

    const fixed = await importWith(sim.authUrl, state, '--json');
    expect(fixed.status).toBe(0);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ created: cars.length, failed: [] });
  });
});
