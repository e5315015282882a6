/** Downloads of feed-named images (360 frames) against a real HTTP server on 127.0.0.1: the SSRF guard and the limits. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMediaDownloader,
  hostsResolver,
  MediaDownloadRefusedError,
  MediaHostUnavailableError,
} from '../../functions/adapters/media-download.js';
import { ConfigError, RejectedError, UnavailableError } from '../../functions/core/errors.js';
import { MEDIA_HOST_BIG_BYTES, startMediaHost, type MediaHost } from '../support/media-host.js';

let host: MediaHost;
beforeAll(async () => {
  host = await startMediaHost();
});
afterAll(async () => {
  await host?.stop();
});

/** A public-looking name the test resolves itself to the local host. */
const NAME = 'frames.example.com';
const named = (path: string) => `http://${NAME}:${host.port}${path}`;
const toLocal = () => hostsResolver(`${NAME}=127.0.0.1`, async () => []);
const local = () => createMediaDownloader({ allowLoopback: true, resolve: toLocal() }, {});
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error,
  );

describe('media download', () => {
  it('downloads an image with its content type and a file name from the path', async () => {
    const image = await local()(`${host.url}/frames/front.jpg`);
    expect(image.contentType).toBe('image/jpeg');
    expect(image.fileName).toBe('front.jpg');
    expect(Buffer.from(image.bytes).toString('latin1')).toBe('\xff\xd8front');
  });

  it('in production mode refuses a public-looking name that resolves to 127.0.0.1, without connecting', async () => {
    const production = createMediaDownloader({ resolve: toLocal() }, {});
    const before = host.requests.length;
    const error = await refusal(production(named('/frames/a.jpg')));
    expect(error).toBeInstanceOf(MediaDownloadRefusedError);
    expect(error).toBeInstanceOf(RejectedError);
    expect((error as Error).message).toContain('private or local address');
    expect(host.requests.length).toBe(before);
  });

  it('refuses private and metadata addresses written into the URL, in any spelling', async () => {
    const production = createMediaDownloader({}, {});
    for (const url of [
      `${host.url}/frames/a.jpg`,
      'http://169.254.169.254/latest/meta-data/',
      'http://0xA9FEA9FE/x.jpg',
      'http://10.0.0.1/x.jpg',
      'http://[::1]/x.jpg',
      'http://localhost/x.jpg',
      'ftp://frames.example.com/x.jpg',
      'not a url',
    ])
      expect(await refusal(production(url)), url).toBeInstanceOf(MediaDownloadRefusedError);
  });

  it('refuses a name when any of its addresses is private (no picking the public one)', async () => {
    const mixed = createMediaDownloader(
      {
        resolve: async () => [
          { address: '93.184.216.34', family: 4 },
          { address: '10.1.2.3', family: 4 },
        ],
      },
      {},
    );
    expect(await refusal(mixed('http://cdn.example.com/x.jpg'))).toBeInstanceOf(MediaDownloadRefusedError);
  });

  it('re-checks every redirect: a hop to a private address is refused, a hop to an image is followed', async () => {
    host.redirect('/to-metadata.jpg', 'http://169.254.169.254/latest/meta-data/');
    host.redirect('/to-frame.jpg', '/frames/back.jpg');
    const download = local();
    expect(await refusal(download(`${host.url}/to-metadata.jpg`))).toBeInstanceOf(MediaDownloadRefusedError);
    expect((await download(`${host.url}/to-frame.jpg`)).fileName).toBe('back.jpg');
    host.redirect('/loop.jpg', '/loop.jpg');
    const loop = await refusal(download(`${host.url}/loop.jpg`));
    expect(loop).toBeInstanceOf(MediaDownloadRefusedError);
    expect((loop as Error).message).toContain('redirects');
  });

  it('reads only images, and no more than the size limit', async () => {
    const download = createMediaDownloader({ allowLoopback: true, maxBytes: MEDIA_HOST_BIG_BYTES - 1 }, {});
    const page = await refusal(download(`${host.url}/page.html`));
    expect(page).toBeInstanceOf(MediaDownloadRefusedError);
    expect((page as Error).message).toContain('not an image (text/html)');
    const big = await refusal(download(`${host.url}/big.jpg`));
    expect(big).toBeInstanceOf(MediaDownloadRefusedError);
    expect((big as Error).message).toContain('larger than');
    expect(await refusal(download(`${host.url}/missing.jpg`))).toBeInstanceOf(MediaDownloadRefusedError);
  });

  it('a host that is down or failing is unavailable (retry later), and says only the host', async () => {
    const download = local();
    const failing = await refusal(download(`${host.url}/broken.jpg?token=secret`));
    expect(failing).toBeInstanceOf(MediaHostUnavailableError);
    expect(failing).toBeInstanceOf(UnavailableError);
    await host.down();
    try {
      const down = await refusal(download(named('/frames/a.jpg?token=secret')));
      expect(down).toBeInstanceOf(UnavailableError);
      expect((down as Error).message).toContain('ECONNREFUSED');
      expect((down as Error).message).not.toContain('secret');
    } finally {
      await host.up();
    }
    expect((await download(named('/frames/a.jpg'))).fileName).toBe('a.jpg');
  });

  it('loopback hosts are never allowed in Lambda', () => {
    expect(() => createMediaDownloader({ allowLoopback: true }, { AWS_LAMBDA_FUNCTION_NAME: 'import-worker' })).toThrow(
      ConfigError,
    );
    expect(() => hostsResolver('frames.example.com')).toThrow(ConfigError);
  });
});
