/**
 * The simulator's media items over plain HTTP: each upload is one item with a type (image,
 * embedded video, 360 container of frames), an ad's media entry must be exactly one item, and a
 * read ad shows each entry's type.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWaykeSimulator, type WaykeSimulator } from '../../../functions/local/wayke-simulator/index.js';

const BRANCH = '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';
const OTHER_BRANCH = '7c1e9b2a-3d4f-4e5a-8b6c-0d1e2f3a4b5c';

let sim: WaykeSimulator;
let token: string;
let scoped: string;
let plateNo = 10;

async function tokenFor(clientId: string, clientSecret: string): Promise<string> {
  const response = await fetch(`${sim.authUrl}/connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

beforeAll(async () => {
  sim = await startWaykeSimulator({
    clients: [
      { clientId: 'sim-client', clientSecret: 'sim-secret' },
      { clientId: 'other', clientSecret: 'other-secret', branchIds: [OTHER_BRANCH] },
    ],
  });
  token = await tokenFor('sim-client', 'sim-secret');
  scoped = await tokenFor('other', 'other-secret');
});
afterAll(async () => {
  await sim?.stop();
});

interface Answer {
  status: number;
  body: any;
}

async function send(
  method: string,
  url: string,
  init: { json?: unknown; body?: URLSearchParams | FormData; bearer?: string } = {},
) {
  const response = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${init.bearer ?? token}`,
      ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : init.body ? { body: init.body } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const image = async (): Promise<string> =>
  (
    await send('POST', `${sim.mediaApiUrl}/media/v2/image-url`, {
      json: { url: `https://dealer.example/${plateNo++}.jpg`, branchId: BRANCH },
    })
  ).body.url as string;

const video = (url: string, bearer?: string) =>
  send('POST', `${sim.mediaApiUrl}/media/v2/embedded-video`, {
    json: { purpose: 'Vehicle', branchId: BRANCH, sortOrder: 1, url },
    ...(bearer ? { bearer } : {}),
  });

const container = async (branchId = BRANCH, bearer?: string): Promise<Answer> =>
  send('POST', `${sim.mediaApiUrl}/media/v2/panorama-image`, {
    body: new URLSearchParams({
      'Metadata.Purpose': 'Vehicle',
      'Metadata.BranchId': branchId,
      'Metadata.SortOrder': '0',
    }),
    ...(bearer ? { bearer } : {}),
  });

function frameForm(n: number, type = 'image/webp'): FormData {
  const form = new FormData();
  form.set('File', new Blob([new Uint8Array([n, n, n])], { type }), `frame${n}.webp`);
  form.set('SortOrder', String(n));
  return form;
}

const frame = (containerId: string, n: number, bearer?: string) =>
  send('POST', `${sim.mediaApiUrl}/media/v2/panorama-image/${containerId}`, {
    body: frameForm(n),
    ...(bearer ? { bearer } : {}),
  });

async function panorama(frames: number): Promise<{ containerId: string; urls: string[] }> {
  const containerId = (await container()).body as string;
  const urls: string[] = [];
  for (let n = 0; n < frames; n++) urls.push((await frame(containerId, n)).body.url as string);
  return { containerId, urls };
}

const createAd = (media: unknown) =>
  send('POST', `${sim.dealerApiUrl}/vehicle`, {
    json: {
      branch: BRANCH,
      vehicle: { registrationNumber: `MED${plateNo++}`, mileage: 1000 },
      ad: { price: 100000, media },
    },
  });

describe('simulated media items', () => {
  it('registers YouTube, Vimeo and direct .mp4 links as embedded items, and refuses other links', async () => {
    for (const url of [
      'https://www.youtube.com/watch?v=YLnlBbajCUg',
      'https://youtu.be/x1',
      'https://vimeo.com/43233380',
      'https://cdn.dealer.example/walkaround.mp4',
    ]) {
      const answer = await video(url);
      expect(answer.status, url).toBe(201);
      expect(answer.body).toEqual({ mediaId: expect.any(String), fileId: '00000000-0000-0000-0000-000000000000', url });
      expect(sim.state().media[answer.body.mediaId]).toMatchObject({ type: 'embedded', sourceUrl: url, sortOrder: 1 });
    }
    for (const url of ['https://dealer.example/film.mov', 'https://notyoutube.com/watch?v=1', 'ftp://vimeo.com/1']) {
      const refused = await video(url);
      expect(refused.status, url).toBe(400);
      expect(refused.body.field).toBe('url');
    }
    expect((await video('https://vimeo.com/1', scoped)).status).toBe(403);
  });

  it('creates a 360 container and uploads its frames as typed files, served back as uploaded', async () => {
    const created = await container();
    expect(created.status).toBe(201);
    expect(created.body).toMatch(/^[0-9a-f-]{36}$/);
    const uploaded = await frame(created.body, 0);
    expect(uploaded.status).toBe(201);
    expect(uploaded.body).toEqual({ imageId: expect.any(String), url: expect.stringMatching(/\.webp$/) });
    expect(sim.state().media[uploaded.body.imageId]).toMatchObject({
      type: 'threesixty',
      containerId: created.body,
      sortOrder: 0,
      contentType: 'image/webp',
    });
    const served = await fetch(uploaded.body.url);
    expect(Buffer.from(await served.arrayBuffer())).toEqual(Buffer.from([0, 0, 0]));
  });

  it('checks the container form and the frame upload', async () => {
    const wrongType = await send('POST', `${sim.mediaApiUrl}/media/v2/panorama-image`, {
      json: { 'Metadata.BranchId': BRANCH },
    });
    expect(wrongType.status).toBe(400);
    const noBranch = await send('POST', `${sim.mediaApiUrl}/media/v2/panorama-image`, {
      body: new URLSearchParams({ 'Metadata.Purpose': 'Vehicle' }),
    });
    expect(noBranch.body.field).toBe('Metadata.BranchId');
    expect((await container(BRANCH, scoped)).status).toBe(403);

    const unknown = await frame('0316f21d-51cf-441d-bfef-cf90d73178a5', 0);
    expect(unknown.status).toBe(404);
    const { containerId } = await panorama(0);
    expect((await frame(containerId, 0, scoped)).status).toBe(404);
    const notImage = await send('POST', `${sim.mediaApiUrl}/media/v2/panorama-image/${containerId}`, {
      body: frameForm(1, 'text/plain'),
    });
    expect(notImage.body.field).toBe('File');
  });

  it('accepts one item per entry: an image, a video, or all frames of one container', async () => {
    const [a, b] = [await image(), await image()];
    const link = (await video('https://vimeo.com/449787858')).body.url as string;
    const set = await panorama(3);
    const created = await createAd([
      { fileUrls: [a] },
      { fileUrls: [b] },
      { fileUrls: set.urls },
      { fileUrls: [link] },
    ]);
    expect(created.status).toBe(201);

    const read = await send('GET', `${sim.dealerApiUrl}/vehicle/${created.body.id}/ad`);
    expect(read.body.ad.media).toEqual([
      { type: 'image', fileUrls: [a] },
      { type: 'image', fileUrls: [b] },
      { type: 'threesixty', fileUrls: set.urls },
      { type: 'embedded', fileUrls: [link] },
    ]);
  });

  it('refuses an entry that mixes items, naming the entry: two images, an image and a video, two containers', async () => {
    const [a, b] = [await image(), await image()];
    const link = (await video('https://youtu.be/abc')).body.url as string;
    const [one, two] = [await panorama(2), await panorama(2)];
    for (const [media, field] of [
      [[{ fileUrls: [a, b] }], 'ad.media[0]'],
      [[{ fileUrls: [a] }, { fileUrls: [a, link] }], 'ad.media[1]'],
      [[{ fileUrls: [a] }, { fileUrls: [one.urls[0], two.urls[1]] }], 'ad.media[1]'],
      [[{ fileUrls: [`${sim.mediaApiUrl}/panorama/${one.containerId}`] }], 'ad.media[0]'],
    ] as const) {
      const refused = await createAd(media);
      expect(refused.status, JSON.stringify(media)).toBe(400);
      expect(refused.body.field).toBe(field);
    }
    const refused = await createAd([{ fileUrls: [a, link] }]);
    expect(refused.body.message).toMatch(/mixes 2 media items \(image, embedded\)/);

    const { body } = await createAd([{ fileUrls: [a] }]);
    const put = await send('PUT', `${sim.dealerApiUrl}/vehicle/${body.id}/media`, {
      json: { media: [{ fileUrls: [a, b] }] },
    });
    expect(put.status).toBe(400);
    expect(put.body.field).toBe('media[0]');
    const patch = await send('PATCH', `${sim.dealerApiUrl}/vehicle/${body.id}`, {
      json: { ad: { media: [{ fileUrls: one.urls }, { fileUrls: [...one.urls, ...two.urls] }] } },
    });
    expect(patch.body.field).toBe('ad.media[1]');
    expect(sim.state().ads[body.id]!.ad.media).toEqual([{ fileUrls: [a] }]);
  });
});
