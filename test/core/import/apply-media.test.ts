/**
 * Images, videos and 360 sets through the real import: the Wayke client against the simulator,
 * the snapshot on dynalite, 360 frames downloaded from a real HTTP host on 127.0.0.1 that the
 * feed names by a public-looking host name (resolved to it by the test).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWaykeClient } from '../../../functions/adapters/wayke-http-client.js';
import { hostsResolver, type MediaDownloadOptions } from '../../../functions/adapters/media-download.js';
import type { SnapshotEntry, WaykeApi } from '../../../functions/ports.js';
import type { Vehicle } from '../../../functions/core/vehicle.js';
import { startDynamo, type Dynamo } from '../../support/engines.js';
import { startHarness, vehicle, type Harness } from '../../support/import-harness.js';
import { startMediaHost, type MediaHost } from '../../support/media-host.js';

const FRAMES_HOST = 'frames.example.com';

let dynamo: Dynamo;
let host: MediaHost;
let h: Harness;
let wayke: WaykeApi;
beforeAll(async () => {
  dynamo = await startDynamo();
  host = await startMediaHost();
});
afterAll(async () => {
  await host?.stop();
  await dynamo?.stop();
});
beforeEach(async () => {
  await h?.stop();
  h = await startHarness(dynamo);
  wayke = clientWith({ allowLoopback: true, resolve: hostsResolver(`${FRAMES_HOST}=127.0.0.1`, async () => []) });
  host.requests.length = 0;
  return async () => h.stop();
});

function clientWith(mediaDownload: MediaDownloadOptions): WaykeApi {
  return createWaykeClient({
    authUrl: h.sim.authUrl,
    dealerApiUrl: h.sim.dealerApiUrl,
    mediaApiUrl: h.sim.mediaApiUrl,
    clientId: 'sim-client',
    clientSecret: 'sim-secret',
    backoffBaseMs: 1,
    backoffMaxMs: 5,
    timeoutMs: 5000,
    mediaDownload,
  });
}

const frames = (plate: string, n: number, tag = 'a') =>
  Array.from({ length: n }, (_, i) => `http://${FRAMES_HOST}:${host.port}/frames/${plate}-${tag}${i}.jpg`);

/** A car with `images` photos, a 360 set of `spin` frames and the given video links. */
const car = (n: number, media: { images?: number; spin?: number; videos?: string[] } = {}): Vehicle => {
  const base = vehicle(n, {}, media.images ?? 3);
  return {
    ...base,
    ...(media.spin ? { panorama: frames(base.registrationNumber, media.spin) } : {}),
    ...(media.videos ? { videos: media.videos } : {}),
  };
};

/** The feed as a DMS writes it: `Video` and `360` columns beside the images. */
function feed(vehicles: readonly Vehicle[]): Uint8Array {
  const rows = vehicles.map((v) =>
    [
      v.registrationNumber,
      v.price,
      v.mileage,
      v.shortDescription,
      (v.images ?? []).join('|'),
      (v.videos ?? []).join('|'),
      (v.panorama ?? []).join('|'),
    ].join(','),
  );
  return Buffer.from(`registrationNumber,price,mileage,shortDescription,images,Video,360\n${rows.join('\n')}\n`);
}

const run = (vehicles: readonly Vehicle[], client: WaykeApi = wayke) => h.run(feed(vehicles), { wayke: client });

/** The ad's media list as Wayke shows it: each entry's type and how many files it has. */
function shownMedia(plate: string): Array<[string | undefined, number]> {
  const state = h.sim.state();
  const ad = state.ads[state.adsByPlate[plate]![0]!]!;
  const byUrl = new Map(Object.values(state.media).map((m) => [m.url, m]));
  return (ad.ad.media as Array<{ fileUrls: string[] }>).map((entry) => [
    byUrl.get(entry.fileUrls[0]!)?.type,
    entry.fileUrls.length,
  ]);
}

const YOUTUBE = 'https://www.youtube.com/watch?v=YLnlBbajCUg';
const VIMEO = 'https://vimeo.com/43233380';

describe('media through the import', () => {
  it('a car with 12 images gets 12 image entries, then its 360 set as one entry, then one per video', async () => {
    const cars = [car(1, { images: 12, spin: 3, videos: [YOUTUBE, VIMEO] })];
    const outcome = await run(cars);
    expect(outcome.status === 'applied' && outcome.summary).toMatchObject({ created: 1, failed: [] });
    expect(shownMedia('T00001')).toEqual([
      ...Array.from({ length: 12 }, () => ['image', 1]),
      ['threesixty', 3],
      ['embedded', 1],
      ['embedded', 1],
    ]);
    expect(h.writes()).toEqual({
      'POST /media/v2/image-url': 12,
      'POST /media/v2/embedded-video': 2,
      'POST /media/v2/panorama-image': 1,
      'POST /media/v2/panorama-image/{containerId}': 3,
      'POST /vehicle': 1,
    });
    expect(host.requests).toEqual(['/frames/T00001-a0.jpg', '/frames/T00001-a1.jpg', '/frames/T00001-a2.jpg']);

    h.resetCalls();
    const again = await run(cars);
    expect(again.status === 'applied' && again.summary).toMatchObject({ unchanged: 1 });
    expect(h.writes()).toEqual({});
    expect(host.requests).toHaveLength(3);
  });

  it('a changed video link is one registration and one media update: no image upload, no frame download', async () => {
    const before = [car(1, { spin: 2, videos: [YOUTUBE] }), car(2)];
    await run(before);
    h.resetCalls();
    host.requests.length = 0;
    const after = [car(1, { spin: 2, videos: [VIMEO] }), car(2)];
    const outcome = await run(after);
    expect(outcome.status === 'applied' && outcome.summary).toMatchObject({ updated: 1, unchanged: 1 });
    expect(h.writes()).toEqual({ 'POST /media/v2/embedded-video': 1, 'PUT /vehicle/{id}/media': 1 });
    expect(host.requests).toEqual([]);
    expect(shownMedia('T00001').map(([type]) => type)).toEqual(['image', 'image', 'image', 'threesixty', 'embedded']);
  });

  it('a changed frame list is a new container with every frame; the images stay as uploaded', async () => {
    await run([car(1, { spin: 3 })]);
    h.resetCalls();
    host.requests.length = 0;
    const changed = car(1, { spin: 3 });
    const spun = { ...changed, panorama: [...changed.panorama!.slice(0, 2), frames('T00001', 1, 'b')[0]!] };
    await run([spun]);
    expect(h.writes()).toEqual({
      'POST /media/v2/panorama-image': 1,
      'POST /media/v2/panorama-image/{containerId}': 3,
      'PUT /vehicle/{id}/media': 1,
    });
    expect(host.requests).toHaveLength(3);
    const state = h.sim.state();
    const containers = Object.values(state.media).filter((m) => m.container);
    expect(containers).toHaveLength(2);
    expect(shownMedia('T00001')).toEqual([
      ['image', 1],
      ['image', 1],
      ['image', 1],
      ['threesixty', 3],
    ]);
  });

  it('a frame host that is down fails that vehicle only; the next run, with the host back, lists it', async () => {
    const cars = [car(1), car(2, { spin: 2 }), car(3, { videos: [VIMEO] })];
    await host.down();
    let outcome;
    try {
      outcome = await run(cars);
    } finally {
      await host.up();
    }
    expect(outcome.status === 'applied' && outcome.summary).toMatchObject({ created: 2 });
    const failed = outcome.status === 'applied' ? outcome.summary.failed : [];
    expect(failed).toEqual([
      { registrationNumber: 'T00002', action: 'create', error: expect.stringContaining('connection failed') },
    ]);
    expect(h.sim.state().adsByPlate.T00002).toBeUndefined();

    const next = await run(cars);
    expect(next.status === 'applied' && next.summary).toMatchObject({ created: 1, unchanged: 2, failed: [] });
    expect(shownMedia('T00002').at(-1)).toEqual(['threesixty', 2]);
  });

  it('in production mode a frame URL whose host resolves to 127.0.0.1 is refused, and nothing is fetched', async () => {
    // A local client first, so a connection it might leave open cannot carry the production one past the check.
    await run([car(3, { spin: 1 })]);
    host.requests.length = 0;
    const production = clientWith({ resolve: hostsResolver(`${FRAMES_HOST}=127.0.0.1`, async () => []) });
    const outcome = await run([car(1, { spin: 2 }), car(2)], production);
    const failed = outcome.status === 'applied' ? outcome.summary.failed : [];
    expect(failed).toEqual([
      { registrationNumber: 'T00001', action: 'create', error: expect.stringContaining('private or local address') },
    ]);
    expect(host.requests).toEqual([]);
    expect(h.sim.state().adsByPlate.T00002).toHaveLength(1);
  });

  it('an entry from before videos (images only, one-entry media) resends its list once, per image, uploading nothing', async () => {
    const cars = [car(1, { images: 4 }), car(2, { images: 0 })];
    await run(cars);
    // The entry as the import wrote it before media went out one item per entry.
    const entries = await h.store.load('bilhallen');
    const current = entries.get('T00001')!;
    const { 'layout:': layout, ...oldMedia } = current.media;
    expect(layout).toBeDefined();
    expect(Object.keys(oldMedia)).toEqual(cars[0]!.images);
    const old: SnapshotEntry = { ...current, media: oldMedia };
    await h.store.put('bilhallen', [old]);

    h.resetCalls();
    const resent = await run(cars);
    expect(resent.status === 'applied' && resent.summary).toMatchObject({ updated: 1, unchanged: 1 });
    expect(h.writes()).toEqual({ 'PUT /vehicle/{id}/media': 1 });
    expect(shownMedia('T00001')).toEqual([
      ['image', 1],
      ['image', 1],
      ['image', 1],
      ['image', 1],
    ]);

    h.resetCalls();
    await run(cars);
    expect(h.writes()).toEqual({});

    // An old entry gaining a video: one registration, no image upload.
    await h.store.put('bilhallen', [old]);
    h.resetCalls();
    await run([{ ...cars[0]!, videos: [YOUTUBE] }, cars[1]!]);
    expect(h.writes()).toEqual({ 'POST /media/v2/embedded-video': 1, 'PUT /vehicle/{id}/media': 1 });
  });
});
