/**
 * The local stack (`wayke-dms dev`) for a Norwegian dealer whose feed carries photos, a video link
 * and a 360° set: the ad is created in market NO with the odometer in km (not mil), each photo is
 * its own media item, the 360 frames (downloaded from the dealer's image host) one item, and the
 * video one item — then a feed with another video link changes only that item.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../support/dev-stack.js';
import { startMediaHost, type MediaHost } from '../support/media-host.js';

const DEALER = 'fjordbil';
const BRANCH = '7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const FRAME_HOST = 'bilder.fjordbil.example';

interface SimAd {
  marketCode: string;
  vehicle: { registrationNumber: string; mileage: number; odometerReading?: { value: number; unit: string } };
  ad: { media?: Array<{ fileUrls: string[] }> };
}

let stack: DevStack;
let host: MediaHost;
beforeAll(async () => {
  host = await startMediaHost();
  const dir = mkdtempSync(join(tmpdir(), 'dev-market-media-'));
  const config = join(dir, 'dealers.json');
  writeFileSync(
    config,
    JSON.stringify({ dealers: [{ id: DEALER, name: 'Fjordbil AS', branchId: BRANCH, market: 'NO' }] }),
  );
  // The dealer's image host has a public name; the local run resolves it to this machine.
  stack = await startDevStack({
    args: ['--config', config, '--no-demo'],
    env: { WAYKE_DMS_MEDIA_RESOLVE: `${FRAME_HOST}=127.0.0.1` },
  });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await host?.stop();
});

interface SimState {
  ads: Record<string, SimAd>;
  media: Record<string, { url: string; type?: string }>;
}
const simState = async () => (await (await fetch(`${stack.services.wayke}/_admin/state`)).json()) as SimState;
const adOf = async (plate: string): Promise<SimAd | undefined> =>
  Object.values((await simState()).ads).find((ad) => ad.vehicle.registrationNumber === plate);
/** Each media entry of the ad as the simulated Wayke types it: its item type and number of files. */
async function itemsOf(ad: SimAd): Promise<Array<[string | undefined, number]>> {
  const media = Object.values((await simState()).media);
  return (ad.ad.media ?? []).map((entry) => [
    media.find((item) => item.url === entry.fileUrls[0])?.type ?? 'not uploaded',
    entry.fileUrls.length,
  ]);
}

const feed = (video: string) =>
  Buffer.from(
    [
      'Regnr;Pris;Km;Bilder;Film;360',
      `EL12345;249900;12 300;https://img.example.com/1.jpg|https://img.example.com/2.jpg;${video};` +
        [1, 2, 3].map((n) => `http://${FRAME_HOST}:${host.port}/frames/f${n}.jpg`).join('|'),
    ].join('\n'),
  );

describe('wayke-dms dev: a NO dealer with photos, a video and a 360° set', { timeout: 120_000 }, () => {
  it('creates the ad in market NO, the odometer in km, one media item per photo, the set and the video', async () => {
    // Act
    await stack.upload(DEALER, 'lager.csv', feed('https://vimeo.com/449787858'));
    const ad = await stack.waitFor('the ad in the simulated Wayke', () => adOf('EL12345'));
    // Assess
    expect(ad.marketCode).toBe('NO');
    expect(ad.vehicle.mileage).toBe(12300);
    expect(ad.vehicle.odometerReading).toEqual({ value: 12300, unit: 'Kilometer' });
    expect(await itemsOf(ad)).toEqual([
      ['image', 1],
      ['image', 1],
      ['threesixty', 3],
      ['embedded', 1],
    ]);
    expect(ad.ad.media?.[3]?.fileUrls).toEqual(['https://vimeo.com/449787858']);
    expect(host.requests.filter((path) => path.startsWith('/frames/'))).toEqual([
      '/frames/f1.jpg',
      '/frames/f2.jpg',
      '/frames/f3.jpg',
    ]);
  });

  it('a changed video link changes only that item: the photos and frames are not sent again', async () => {
    // Prepare
    const framesBefore = host.requests.length;
    const before = await adOf('EL12345');
    // Act
    await stack.upload(DEALER, 'lager-2.csv', feed('https://youtu.be/dQw4w9WgXcQ'));
    const after = await stack.waitFor('the new video in the ad', async () => {
      const ad = await adOf('EL12345');
      return ad?.ad.media?.[3]?.fileUrls[0] === 'https://youtu.be/dQw4w9WgXcQ' ? ad : null;
    });
    // Assess
    expect(after.ad.media?.slice(0, 3)).toEqual(before?.ad.media?.slice(0, 3));
    expect(host.requests.length).toBe(framesBefore);
  });
});
