import { describe, expect, it } from 'vitest';
import type { SnapshotEntry } from '../../../functions/ports.js';
import type { Vehicle } from '../../../functions/core/vehicle.js';
import {
  canonicalJson,
  changedFields,
  exitStatus,
  fingerprint,
  planImport,
  plannedWrites,
  removalLimit,
  reportText,
  safetyValve,
  type ImportReport,
} from '../../../functions/core/import/index.js';
import { withLayout } from '../../../functions/core/import/media.js';
import { snapshotEntryOf } from '../../support/snapshot-entries.js';

const car = (plate: string, extra: Partial<Vehicle> = {}): Vehicle => ({
  registrationNumber: plate,
  price: 100_000,
  mileage: 50_000,
  shortDescription: `Bil ${plate}`,
  images: [`https://img.test/${plate}/1.jpg`, `https://img.test/${plate}/2.jpg`],
  equipment: ['Dragkrok', 'Navigation'],
  ...extra,
});

const entryFor = (vehicle: Vehicle, status: SnapshotEntry['status'] = 'Published'): SnapshotEntry =>
  snapshotEntryOf(vehicle, {
    media: withLayout(
      Object.fromEntries(
        (vehicle.images ?? []).map((url, i) => [url, `https://media.test/${vehicle.registrationNumber}/${i}`]),
      ),
    ),
    status,
    lastSeen: '2026-01-01T00:00:00.000Z',
  });

const snapshotOf = (...entries: SnapshotEntry[]) => new Map(entries.map((e) => [e.registrationNumber, e]));

describe('fingerprint', () => {
  it('ignores key order but not list order', () => {
    const a = car('ABC123');
    const b = Object.fromEntries(Object.entries(a).reverse()) as Vehicle;
    expect(fingerprint(a).hash).toBe(fingerprint(b).hash);
    expect(canonicalJson({ b: 1, a: [2, 1] })).toBe('{"a":[2,1],"b":1}');
    const reordered = car('ABC123', { images: [...(a.images ?? [])].reverse() });
    expect(fingerprint(reordered).groups.images).not.toBe(fingerprint(a).groups.images);
    expect(fingerprint(reordered).groups.data).toBe(fingerprint(a).groups.data);
  });

  it('separates the data, images and status groups', () => {
    const a = fingerprint(car('ABC123'));
    const priced = fingerprint(car('ABC123', { price: 99_000 }));
    expect(priced.groups.data).not.toBe(a.groups.data);
    expect(priced.groups.images).toBe(a.groups.images);
    expect(fingerprint(car('ABC123'), 'Unpublished').groups.status).not.toBe(a.groups.status);
    expect(fingerprint(car('ABC123'), 'Unpublished').groups.data).toBe(a.groups.data);
  });

  it('names changed, added and dropped fields', () => {
    const held = fingerprint(car('ABC123', { vin: 'YV1ZWA8UDL1111111' })).fields;
    const wanted = fingerprint(car('ABC123', { price: 1, modelYear: 2020 })).fields;
    expect(changedFields(held, wanted)).toEqual(['modelYear', 'price', 'vin']);
  });
});

describe('planImport', () => {
  it('sorts vehicles into create, update (with fields), republish, remove and unchanged', () => {
    const same = car('SAME01');
    const priced = car('PRICE1');
    const pics = car('PICS01');
    const back = car('BACK01');
    const gone = car('GONE01');
    const alreadyGone = car('OLD001');
    const plan = planImport({
      vehicles: [
        same,
        { ...priced, price: 95_000 },
        { ...pics, images: ['https://img.test/x.jpg'] },
        back,
        car('NEW001'),
      ],
      snapshot: snapshotOf(
        entryFor(same),
        entryFor(priced),
        entryFor(pics),
        entryFor(back, 'Unpublished'),
        entryFor(gone),
        entryFor(alreadyGone, 'Sold'),
        ...['K1', 'K2', 'K3', 'K4', 'K5', 'K6'].map((p) => entryFor(car(`KEEP${p}`))),
      ),
      keep: new Set(),
      allowMassRemoval: false,
    });
    expect(plan.create.map((s) => s.registrationNumber)).toEqual(['NEW001']);
    expect(plan.update.map((s) => [s.registrationNumber, s.fields, s.media])).toEqual([
      ['PRICE1', ['price'], false],
      ['PICS01', [], true],
    ]);
    expect(plan.republish.map((s) => s.registrationNumber)).toEqual(['BACK01']);
    expect(plan.remove.map((s) => s.registrationNumber)).toEqual([
      'GONE01',
      'KEEPK1',
      'KEEPK2',
      'KEEPK3',
      'KEEPK4',
      'KEEPK5',
      'KEEPK6',
    ]);
    expect(plan.unchanged).toBe(1);
    expect(plan.liveAds).toBe(10);
  });

  it('never removes a plate whose row was rejected', () => {
    const a = car('AAA111');
    const b = car('BBB222');
    const plan = planImport({
      vehicles: [a],
      snapshot: snapshotOf(entryFor(a), entryFor(b)),
      keep: new Set(['BBB222']),
    });
    expect(plan.remove).toEqual([]);
    expect(plan.unchanged).toBe(1);
    expect(plannedWrites(plan)).toBe(0);
  });

  it('unchanged feed plans nothing', () => {
    const cars = Array.from({ length: 50 }, (_, i) => car(`CAR${String(i).padStart(3, '0')}`));
    const plan = planImport({ vehicles: cars, snapshot: snapshotOf(...cars.map((c) => entryFor(c))) });
    expect(plannedWrites(plan)).toBe(0);
    expect(plan.unchanged).toBe(50);
  });
});

describe('safety valve', () => {
  it('defaults to max(3, 25% of live ads), rounded down', () => {
    expect(removalLimit(0)).toBe(3);
    expect(removalLimit(12)).toBe(3);
    expect(removalLimit(15)).toBe(3);
    expect(removalLimit(16)).toBe(4);
    expect(removalLimit(100)).toBe(25);
    expect(removalLimit(100, { minRemovalLimit: 0, maxRemovalShare: 0.1 })).toBe(10);
    expect(removalLimit(100, { minRemovalLimit: 50, maxRemovalShare: 0.1 })).toBe(50);
  });

  it('blocks only above the limit, with the numbers', () => {
    expect(safetyValve(25, 100)).toBeNull();
    expect(safetyValve(26, 100)).toMatchObject({ wouldRemove: 26, limit: 25 });
    expect(safetyValve(3, 3)).toBeNull();
  });

  it('a feed cut to a third blocks every removal but still creates and updates', () => {
    const cars = Array.from({ length: 30 }, (_, i) => car(`CUT${String(i).padStart(3, '0')}`));
    const snapshot = snapshotOf(...cars.map((c) => entryFor(c)));
    const third = cars.slice(0, 10).map((c, i) => (i === 0 ? { ...c, price: 1 } : c));
    const plan = planImport({ vehicles: [...third, car('NEW999')], snapshot });
    expect(plan.remove).toHaveLength(20);
    expect(plan.blocked).toMatchObject({ wouldRemove: 20, limit: 7 });
    expect(plannedWrites(plan)).toBe(2);
    const allowed = planImport({ vehicles: third, snapshot, allowMassRemoval: true });
    expect(allowed.blocked).toBeNull();
    expect(plannedWrites(allowed)).toBe(21);
  });
});

describe('report', () => {
  const base: ImportReport = {
    dealer: 'bilhallen',
    runId: 'r1',
    at: '2026-11-29T01:00:00.000Z',
    trigger: 'upload',
    source: 'feeds/bilhallen/inbound/lager.csv',
    movedTo: null,
    retry: false,
    feed: { format: 'csv', encoding: 'windows-1252', vehicles: 3, rejected: 1 },
    created: 1,
    updated: 1,
    removed: 0,
    republished: 0,
    unchanged: 1,
    failed: [{ registrationNumber: 'ABC123', action: 'create', error: 'Wayke answered 503' }],
    rejected: [
      { row: 4, registrationNumber: 'XYZ999', errors: [{ field: 'price', message: 'must be greater than 0' }] },
    ],
    blocked: { reason: 'x', wouldRemove: 20, limit: 7 },
  };
  it('exit status follows the issue: 2 rejected feed, 3 blocked, 1 failures or rejected rows, 0 clean', () => {
    expect(exitStatus({ ...base, feed: { ...base.feed, error: { code: 'EMPTY_FEED', message: 'm' } } })).toBe(2);
    expect(exitStatus(base)).toBe(3);
    expect(exitStatus({ ...base, blocked: null })).toBe(1);
    expect(exitStatus({ ...base, blocked: null, failed: [], rejected: [] })).toBe(0);
  });
  it('tells the dealer in Swedish and English', () => {
    const text = reportText(base);
    expect(text).toContain('STOPPAT: filen skulle ta bort 20 annonser, gränsen är 7');
    expect(text).toContain('BLOCKED: the file would remove 20 ads, the limit is 7');
    expect(text).toContain('rad 4 (XYZ999): pris (price): måste vara större än 0');
    expect(text).toContain('row 4 (XYZ999): price: must be greater than 0');
    expect(text).toContain('ABC123 (create): Wayke answered 503');
    expect(text).toContain('Nya 1 · uppdaterade 1');
    const rejectedText = reportText({
      ...base,
      blocked: null,
      feed: {
        format: null,
        encoding: null,
        vehicles: 0,
        rejected: 0,
        error: { code: 'EMPTY_FEED', message: 'The file is empty' },
      },
    });
    expect(rejectedText).toContain('Filen avvisades i sin helhet (EMPTY_FEED)');
    expect(rejectedText).toContain('Nothing was changed in Wayke.');
  });
});
