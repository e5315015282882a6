/**
 * The state file alone: what a restart restores, and what happens to a file that is corrupt, partial
 * (a crash mid-write of an old, non-atomic save) or of another shape.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadStateFile,
  parsePersistedState,
  persistedState,
  StateFile,
} from '../../../functions/local/wayke-simulator/persistence.js';
import { SimulatorState } from '../../../functions/local/wayke-simulator/state.js';
import type { MutableAd } from '../../../functions/local/wayke-simulator/types.js';
import type { Log } from '../../../functions/ports.js';

const dirs: string[] = [];
const stateFileIn = (): { dir: string; file: string } => {
  const dir = mkdtempSync(join(tmpdir(), 'wayke-sim-persist-'));
  dirs.push(dir);
  return { dir, file: join(dir, 'wayke-simulator.json') };
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const CLIENT = { clientId: 'sim-client', clientSecret: 'sim-secret' };
const newState = (): SimulatorState => new SimulatorState({ clients: [CLIENT] });

const ad = (id: string, plate: string): MutableAd => ({
  id,
  branch: 'b1',
  marketCode: 'SE',
  status: 'Published',
  vehicle: { registrationNumber: plate, mileage: 10 },
  ad: { price: 1 },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
});

/** The text of an empty version 1 state with `part` put in (an undefined part left out). */
const emptyStateWith = (part: Record<string, unknown>): string =>
  JSON.stringify({ version: 1, ads: [], adsByPlate: {}, media: [], clients: [], ...part });

/** A state with one ad, one media with bytes and an extra client. */
function filledState(): SimulatorState {
  const state = newState();
  state.ads.set('a1', ad('a1', 'ABC123'));
  state.indexPlate('ABC123', 'a1');
  state.addMedia({
    mediaId: 'm1',
    fileId: 'f1',
    url: 'http://127.0.0.1:1/media/files/f1.webp',
    branchId: 'b1',
    sortOrder: 0,
    contentType: 'image/webp',
    size: 3,
    bytes: Buffer.from([1, 2, 3]),
  });
  state.addClient({ clientId: 'extra', clientSecret: 'x' });
  return state;
}

const warningsLog = (): Log & { warnings: string[] } => {
  const warnings: string[] = [];
  return {
    warnings,
    debug: () => undefined,
    info: () => undefined,
    warn: (m) => warnings.push(m),
    error: () => undefined,
  };
};

describe('Wayke simulator state file', () => {
  it('a save and a load into a fresh state restore ads, plate index, media bytes and clients', async () => {
    const { file } = stateFileIn();
    await new StateFile(filledState(), file, 200).save();
    const restored = newState();
    expect(loadStateFile(restored, file)).toBe(true);
    expect(restored.ads.get('a1')).toEqual(ad('a1', 'ABC123'));
    expect(restored.adsByPlate.get('ABC123')).toEqual(['a1']);
    expect(restored.media.get('m1')?.bytes).toEqual(Buffer.from([1, 2, 3]));
    expect(restored.mediaByUrl.get('http://127.0.0.1:1/media/files/f1.webp')).toBe('m1');
    expect(restored.clients.map((c) => c.clientId)).toEqual(['sim-client', 'extra']);
  });

  it('an absent file loads nothing and is not an error', () => {
    const state = newState();
    expect(loadStateFile(state, stateFileIn().file)).toBe(false);
    expect(state.ads.size).toBe(0);
  });

  it('a partial file (cut off mid-write) is moved aside and the state starts empty, with one warning', () => {
    const { dir, file } = stateFileIn();
    const whole = JSON.stringify(persistedState(filledState()));
    const partial = whole.slice(0, Math.floor(whole.length / 2));
    writeFileSync(file, partial);
    const log = warningsLog();
    const state = newState();
    expect(loadStateFile(state, file, log)).toBe(false);
    expect(state.ads.size).toBe(0);
    expect(state.clients).toEqual([CLIENT]);
    expect(existsSync(file)).toBe(false);
    const aside = readdirSync(dir).filter((name) => name.startsWith('wayke-simulator.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe(partial);
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]).toContain('not valid JSON');
  });

  it('plate index entries naming an ad the file does not hold are dropped', () => {
    const { file } = stateFileIn();
    const saved = persistedState(filledState());
    writeFileSync(file, JSON.stringify({ ...saved, adsByPlate: { ABC123: ['a1', 'gone'], XYZ789: ['gone'] } }));
    const state = newState();
    expect(loadStateFile(state, file)).toBe(true);
    expect(Object.fromEntries(state.adsByPlate)).toEqual({ ABC123: ['a1'] });
  });

  it.each([
    ['not JSON', '{"version":1', /^not valid JSON/],
    ['an array', '[]', /^not a version 1 simulator state$/],
    ['another version', '{"version":2}', /^not a version 1 simulator state$/],
    ['ads missing', emptyStateWith({ ads: undefined }), /^ads are malformed$/],
    [
      'an ad without vehicle',
      emptyStateWith({ ads: [{ id: 'a', branch: 'b', ad: {}, version: 1 }] }),
      /^ads are malformed$/,
    ],
    ['a plate naming a number', emptyStateWith({ adsByPlate: { A: [1] } }), /^adsByPlate is malformed$/],
    ['media without url', emptyStateWith({ media: [{ mediaId: 'm', fileId: 'f' }] }), /^media are malformed$/],
    ['a client without secret', emptyStateWith({ clients: [{ clientId: 'c' }] }), /^clients are malformed$/],
  ])('parsing %s gives the reason, not a state', (_case, text, reason) => {
    const parsed = parsePersistedState(text);
    expect(typeof parsed).toBe('string');
    expect(parsed).toMatch(reason);
  });

  it('a save leaves no temp file, and saves run one after another (the last holds every change)', async () => {
    const { dir, file } = stateFileIn();
    const state = filledState();
    const saver = new StateFile(state, file, 200);
    const first = saver.save();
    state.ads.set('a2', ad('a2', 'XYZ789'));
    const second = saver.save();
    await Promise.all([first, second]);
    expect(readdirSync(dir)).toEqual(['wayke-simulator.json']);
    const kept = JSON.parse(readFileSync(file, 'utf8')) as { ads: Array<{ id: string }> };
    expect(kept.ads.map((a) => a.id)).toEqual(['a1', 'a2']);
  });

  it('without a file every save, schedule and close is a no-op', async () => {
    const saver = new StateFile(filledState(), undefined, 0);
    saver.schedule();
    await saver.save();
    await saver.close();
  });

  it('schedules no save once the simulator is stopped', async () => {
    const { file } = stateFileIn();
    const state = filledState();
    state.stopped = true;
    const saver = new StateFile(state, file, 0);
    saver.schedule();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(existsSync(file)).toBe(false);
  });
});
