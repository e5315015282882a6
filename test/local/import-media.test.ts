/**
 * `wayke-dms import` end to end with media: the real command line (its own process, from the
 * sources) against the Wayke simulator, a feed with image, `Video` and `360` columns, and the 360
 * frames served by a real HTTP host on 127.0.0.1 that the feed names by a public-looking name
 * (the local run resolves it through WAYKE_DMS_MEDIA_RESOLVE).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_RESOLVE_ENV } from '../../functions/adapters/wayke-http-client.js';
import { startWaykeSimulator, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import { startMediaHost, type MediaHost } from '../support/media-host.js';
import { simulatorCliEnv, spawnCli } from '../support/cli-run.js';

let sim: WaykeSimulator;
let host: MediaHost;
let dir: string;
beforeAll(async () => {
  sim = await startWaykeSimulator();
  host = await startMediaHost();
  dir = mkdtempSync(join(tmpdir(), 'import-media-'));
});
afterAll(async () => {
  await host?.stop();
  await sim?.stop();
});

const env = () =>
  simulatorCliEnv(sim, { WAYKE_DMS_FROM_SOURCE: '1', [MEDIA_RESOLVE_ENV]: 'bilder.dealer.example=127.0.0.1' });

/** The command line in its own process, from the sources. */
const cli = (args: string[]) => spawnCli(args, env());

const frame = (name: string) => `http://bilder.dealer.example:${host.port}/frames/${name}.jpg`;
const images = (plate: string, n: number) =>
  Array.from({ length: n }, (_, i) => `https://cdn.dealer.example/${plate}/${i}.jpg`);

function feed(name: string, video: string): string {
  const rows = [
    [
      'MED001',
      '189900',
      '4500',
      'Volvo V60',
      images('MED001', 12).join('|'),
      video,
      [frame('f0'), frame('f1'), frame('f2')].join('|'),
    ],
    ['MED002', '99900', '12000', 'VW Golf', images('MED002', 2).join('|'), '', ''],
  ];
  const path = join(dir, name);
  writeFileSync(path, `Regnr,Pris,Miltal,Rubrik,Bilder,Video,360\n${rows.map((r) => r.join(',')).join('\n')}\n`);
  return path;
}

/** Each media entry of the plate's ad as `type×files`, in order. */
function shown(plate: string): string[] {
  const state = sim.state();
  const ad = state.ads[state.adsByPlate[plate]![0]!]!;
  const byUrl = new Map(Object.values(state.media).map((m) => [m.url, m]));
  return (ad.ad.media as Array<{ fileUrls: string[] }>).map(
    (e) => `${byUrl.get(e.fileUrls[0]!)?.type}×${e.fileUrls.length}`,
  );
}

const delta = (before: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(sim.state().calls)
      .map(([route, n]) => [route, n - (before[route] ?? 0)] as const)
      .filter(([route, n]) => n > 0 && !route.startsWith('GET ') && route !== 'POST /connect/token'),
  );

describe('wayke-dms import with videos and a 360 set', () => {
  it('sends each image, the 360 set and the video as their own items, then only what changed', async () => {
    const state = join(dir, 'state');
    const args = (file: string) => ['--dealer', 'bilhallen', '--state', state, '--json', file];
    const first = await cli(['import', ...args(feed('a.csv', 'https://youtu.be/abc123'))]);
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ created: 2, failed: [], rejected: [] });
    expect(shown('MED001')).toEqual([...Array.from({ length: 12 }, () => 'image×1'), 'threesixty×3', 'embedded×1']);
    expect(shown('MED002')).toEqual(['image×1', 'image×1']);
    expect(host.requests).toEqual(['/frames/f0.jpg', '/frames/f1.jpg', '/frames/f2.jpg']);

    const calls = { ...sim.state().calls };
    const same = await cli(['import', ...args(feed('b.csv', 'https://youtu.be/abc123'))]);
    expect(JSON.parse(same.stdout)).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    expect(delta(calls)).toEqual({});

    const plan = await cli(['plan', ...args(feed('c.csv', 'https://vimeo.com/43233380'))]);
    expect(JSON.parse(plan.stdout)).toMatchObject({
      update: [{ registrationNumber: 'MED001', fields: ['media'] }],
      unchanged: 1,
    });

    const changed = await cli(['import', ...args(feed('d.csv', 'https://vimeo.com/43233380'))]);
    expect(JSON.parse(changed.stdout)).toMatchObject({ updated: 1, unchanged: 1, failed: [] });
    expect(delta(calls)).toEqual({ 'POST /media/v2/embedded-video': 1, 'PUT /vehicle/{id}/media': 1 });
    expect(host.requests).toHaveLength(3);
  });
});
