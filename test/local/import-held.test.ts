import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateLayout } from '../../functions/local/state-dir.js';
import { startWaykeSimulator, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import { csv, vehicle } from '../support/import-harness.js';
import { adOf, handEdit, onlineSale } from '../support/wayke-admin.js';
import { simulatorCliEnv, spawnCli } from '../support/cli-run.js';

/**
 * `wayke-dms import` end to end, in its own process, against the simulator: a car reserved and one
 * sold through Wayke's online sale are left alone, a hand edit is reported and undone (feed-wins),
 * in the JSON, the text and the report file the dealer reads.
 */

let sim: WaykeSimulator;
let dir: string;
beforeAll(async () => {
  sim = await startWaykeSimulator();
  dir = mkdtempSync(join(tmpdir(), 'import-held-'));
});
afterAll(async () => {
  await sim?.stop();
});

/** `wayke-dms import` in its own process, from the sources (the bundle may be older than a test edit). */
const importCli = (args: string[]) =>
  spawnCli(['import', ...args], simulatorCliEnv(sim, { WAYKE_DMS_FROM_SOURCE: '1' }));

const [reservedCar, soldCar, editedCar, otherCar] = [1, 2, 3, 4].map((n) => vehicle(900 + n, {}, 1)) as [
  ReturnType<typeof vehicle>,
  ReturnType<typeof vehicle>,
  ReturnType<typeof vehicle>,
  ReturnType<typeof vehicle>,
];
const cars = [reservedCar, soldCar, editedCar, otherCar];
/** The feed's next day: every car changed a little, so each is read before it is changed. */
const nextDay = cars.map((car) => ({ ...car, shortDescription: `${car.shortDescription} (ny)` }));

describe('wayke-dms import: sold or reserved in Wayke, and hand edits', () => {
  it('lists held cars and hand edits in --json, in the text and in the report; Wayke keeps the sale', async () => {
    const state = join(dir, 'state');
    const feed = (name: string, vehicles: typeof cars) => {
      const path = join(dir, name);
      writeFileSync(path, csv(vehicles));
      return path;
    };
    const args = (file: string, ...more: string[]) => ['--dealer', 'bilhallen', '--state', state, file, ...more];
    expect((await importCli(args(feed('day1.csv', cars), '--json'))).status).toBe(0);

    await onlineSale(sim, reservedCar.registrationNumber, 'reserved');
    await onlineSale(sim, soldCar.registrationNumber, 'sold');
    await handEdit(sim, editedCar.registrationNumber, { ad: { price: 12_345 } });

    const run = await importCli(args(feed('day2.csv', nextDay), '--json'));
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.heldInWayke).toEqual([
      { registrationNumber: reservedCar.registrationNumber, reason: 'reserved' },
      { registrationNumber: soldCar.registrationNumber, reason: 'sold' },
    ]);
    expect(summary.drift).toEqual([{ registrationNumber: editedCar.registrationNumber, fields: ['price'] }]);
    expect(summary.updated).toBe(2);
    expect(summary.failed).toEqual([]);
    expect(adOf(sim, reservedCar.registrationNumber).ad.shortDescription).toBe(reservedCar.shortDescription);
    expect(adOf(sim, soldCar.registrationNumber).status).toBe('Sold');
    expect(adOf(sim, editedCar.registrationNumber).ad.price).toBe(editedCar.price);

    const report = readFileSync(join(stateLayout(state).reports, 'bilhallen', 'latest.txt'), 'utf8');
    expect(report).toContain(`${reservedCar.registrationNumber}: reserverad i Waykes onlineförsäljning`);
    expect(report).toContain(`${soldCar.registrationNumber}: såld i Waykes onlineförsäljning`);
    expect(report).toContain(`${editedCar.registrationNumber}: pris (price)`);
    expect(report).toContain(`${soldCar.registrationNumber}: sold in Wayke's online sale`);

    // The sold car leaves the feed: it is never removed; the text output says why it was left alone.
    const text = await importCli(args(feed('day3.csv', nextDay.slice(0, 1).concat(nextDay.slice(2)))));
    expect(text.status).toBe(0);
    expect(text.stdout).toContain("Left alone (Wayke's online sale holds them):");
    expect(text.stdout).toContain(`${reservedCar.registrationNumber}: reserved`);
    expect(adOf(sim, soldCar.registrationNumber).status).toBe('Sold');
  });
});
