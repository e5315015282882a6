/**
 * A dealer's image host for tests: a real HTTP server on 127.0.0.1 that serves 360 frames (and a
 * few hostile answers), records every request, and can go down and come back on the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MediaHost {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Paths requested, in order. */
  readonly requests: string[];
  /** Serves `path` with a redirect to `location`. */
  redirect(path: string, location: string): void;
  /** Stops listening (connections are refused) until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

const BIG = 64 * 1024;

/**
 * Routes: `/frames/<name>.jpg` → an image/jpeg frame; `/page.html` → text/html; `/big.jpg` → an
 * image of {@link BIG} bytes without a length header; `/missing.jpg` → 404; `/broken.jpg` → 503.
 */
function answer(redirects: Map<string, string>, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const location = redirects.get(path);
  if (location) {
    res.writeHead(302, { location }).end();
    return;
  }
  const frame = /^\/frames\/([\w-]+)\.jpg$/.exec(path);
  if (frame) {
    // A JPEG's first two bytes and the frame's name: the bytes only have to travel, not to decode.
    res.writeHead(200, { 'content-type': 'image/jpeg' }).end(Buffer.from(`\xff\xd8${frame[1]}`, 'latin1'));
    return;
  }
  if (path === '/page.html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
  else if (path === '/big.jpg') {
    res.writeHead(200, { 'content-type': 'image/jpeg', 'transfer-encoding': 'chunked' });
    res.end(Buffer.alloc(BIG, 1));
  } else if (path === '/broken.jpg') res.writeHead(503).end();
  else res.writeHead(404).end();
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startMediaHost(): Promise<MediaHost> {
  const requests: string[] = [];
  const redirects = new Map<string, string>();
  const make = () =>
    createServer((req, res) => {
      requests.push(req.url ?? '/');
      answer(redirects, req, res);
    });
  let server = make();
  const port = await listen(server, 0);
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  let running = true;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    redirect: (path, location) => void redirects.set(path, location),
    async down() {
      if (running) await close();
      running = false;
    },
    async up() {
      if (running) return;
      server = make();
      await listen(server, port);
      running = true;
    },
    async stop() {
      if (running) await close();
      running = false;
    },
  };
}

export { BIG as MEDIA_HOST_BIG_BYTES };
