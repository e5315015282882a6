/**
 * Downloads an image named by a dealer's feed, for uploads Wayke only takes as bytes (the frames of
 * a 360 set: there is no upload by URL for them). The feed is untrusted and the download runs
 * inside our network, so this is an SSRF surface, guarded at every step:
 *
 * - the URL must be a public http(s) URL (`core/public-url.ts`), and so must every redirect target;
 * - the address a name resolves to is checked too, at connect time (the `lookup` the socket uses),
 *   so a public-looking name that resolves to 127.0.0.1, 10.x or 169.254.x is refused, and a
 *   name cannot pass the check with one address and connect to another;
 * - only `image/*` answers are read, at most `maxBytes`, within `timeoutMs` for the whole download.
 *
 * Loopback hosts are accepted only with `allowLoopback` (the local run and tests serve frames from
 * 127.0.0.1), and never in Lambda: asking for it there is a `ConfigError` at construction.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { ConfigError, RejectedError, UnavailableError } from '../core/errors.js';
import { publicUrlProblem } from '../core/public-url.js';

/** The download's limits, each written here only. */
export const MEDIA_DOWNLOAD_DEFAULTS = {
  maxBytes: 15 * 1024 * 1024,
  timeoutMs: 20_000,
  maxRedirects: 3,
} as const;

/** Name resolution as `dns.lookup` with `all: true` gives it. */
export type ResolveAll = (hostname: string) => Promise<readonly LookupAddress[]>;

export interface MediaDownloadOptions {
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
  readonly maxRedirects?: number;
  /** Accept hosts on 127.0.0.0/8 and ::1 (the simulator's and tests' frame servers). Refused in Lambda. */
  readonly allowLoopback?: boolean;
  /** Name resolution; default the system resolver. Tests make a name resolve to a private address. */
  readonly resolve?: ResolveAll;
}

export interface DownloadedImage {
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly fileName: string;
}

/** A download refused as the feed names it (a private host, not an image, too large, 4xx): retrying will not help. */
export class MediaDownloadRefusedError extends RejectedError {}

/** The host did not answer (refused, timed out, 5xx): the same download may succeed later. */
export class MediaHostUnavailableError extends UnavailableError {}

/** Lambda sets this in every function's environment. */
const inLambda = (env: NodeJS.ProcessEnv): boolean => Boolean(env.AWS_LAMBDA_FUNCTION_NAME);

const systemResolve: ResolveAll = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );

/**
 * A resolver that answers the names of `spec` (`name=address[,name=address…]`, like curl's
 * `--resolve`) itself and asks `fallback` for the rest: how the local run and tests point a
 * public-looking frame host at their own server. The addresses face the same checks as any.
 */
export function hostsResolver(spec: string, fallback: ResolveAll = systemResolve): ResolveAll {
  const hosts = new Map<string, string>();
  for (const pair of spec.split(',')) {
    const [name, address] = pair.split('=').map((part) => part.trim());
    if (!name || !address || isIP(address) === 0)
      throw new ConfigError(`Media host mapping "${pair.trim()}" is not name=address`);
    hosts.set(name.toLowerCase(), address);
  }
  return async (hostname) => {
    const address = hosts.get(hostname.toLowerCase());
    return address ? [{ address, family: isIP(address) }] : fallback(hostname);
  };
}

const isLoopbackAddress = (address: string): boolean => /^127\./.test(address) || address === '::1';
const isLoopbackHost = (host: string): boolean => host === 'localhost' || isLoopbackAddress(host) || host === '[::1]';

/** Why an address may not be connected to, or null. */
function addressProblem(address: string, family: number, allowLoopback: boolean): string | null {
  if (allowLoopback && isLoopbackAddress(address)) return null;
  return publicUrlProblem(family === 6 ? `http://[${address}]/` : `http://${address}/`) === null
    ? null
    : 'resolves to a private or local address';
}

/** Where a message may say the download went: the host alone (a path or query may carry a token). */
const hostOf = (url: URL): string => url.host;

type Policy = Required<Omit<MediaDownloadOptions, 'resolve'>> & { readonly resolve: ResolveAll };

/** Builds a downloader; `env` is where it looks for Lambda (default `process.env`). */
export function createMediaDownloader(
  options: MediaDownloadOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): (url: string) => Promise<DownloadedImage> {
  if (options.allowLoopback && inLambda(env))
    throw new ConfigError('Loopback media hosts are for the local run and tests only, never in Lambda');
  const policy: Policy = {
    maxBytes: options.maxBytes ?? MEDIA_DOWNLOAD_DEFAULTS.maxBytes,
    timeoutMs: options.timeoutMs ?? MEDIA_DOWNLOAD_DEFAULTS.timeoutMs,
    maxRedirects: options.maxRedirects ?? MEDIA_DOWNLOAD_DEFAULTS.maxRedirects,
    allowLoopback: options.allowLoopback ?? false,
    resolve: options.resolve ?? systemResolve,
  };
  return (url) => download(url, policy);
}

async function download(source: string, policy: Policy): Promise<DownloadedImage> {
  const signal = AbortSignal.timeout(policy.timeoutMs);
  let url = checkedUrl(source, policy);
  for (let redirects = 0; ; redirects++) {
    const response = await request(url, policy, signal);
    const location = response.statusCode !== undefined && isRedirect(response.statusCode) && response.headers.location;
    if (!location) return readImage(url, response, policy, signal);
    response.resume();
    if (redirects >= policy.maxRedirects)
      throw new MediaDownloadRefusedError(`Media from ${hostOf(url)}: more than ${policy.maxRedirects} redirects`);
    url = checkedUrl(new URL(location, url).toString(), policy);
  }
}

const isRedirect = (status: number): boolean => [301, 302, 303, 307, 308].includes(status);

function checkedUrl(value: string, policy: Policy): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new MediaDownloadRefusedError('Media URL is not a URL');
  }
  if (policy.allowLoopback && isLoopbackHost(url.hostname) && url.username === '' && url.password === '') return url;
  const problem = publicUrlProblem(value);
  if (problem) throw new MediaDownloadRefusedError(`Media URL ${problem}`);
  return url;
}

/** The socket's name resolution: every address the name has must be allowed, or none is used. */
function guardedLookup(policy: Policy) {
  return (
    hostname: string,
    options: { all?: boolean },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    policy.resolve(hostname).then(
      (addresses) => {
        const refused = addresses.find((a) => addressProblem(a.address, a.family, policy.allowLoopback));
        if (addresses.length === 0 || refused) {
          callback(new MediaDownloadRefusedError(`Media host ${hostname} resolves to a private or local address`), '');
          return;
        }
        const first = addresses[0] as LookupAddress;
        if (options.all) callback(null, [...addresses]);
        else callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), ''),
    );
  };
}

function request(url: URL, policy: Policy, signal: AbortSignal): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    // No agent: a pooled connection would skip the lookup, and with it the address check.
    const options = { agent: false, lookup: guardedLookup(policy), signal, headers: { accept: 'image/*' } } as const;
    const req = client.get(url, options, resolve);
    req.on('error', (error) => reject(downloadError(url, error, signal)));
  });
}

function downloadError(url: URL, error: unknown, signal: AbortSignal): Error {
  if (error instanceof MediaDownloadRefusedError) return error;
  if (signal.aborted) return new MediaHostUnavailableError(`Media from ${hostOf(url)}: timed out`);
  const code = (error as { code?: string } | null)?.code ?? 'network error';
  return new MediaHostUnavailableError(`Media from ${hostOf(url)}: connection failed (${code})`);
}

async function readImage(
  url: URL,
  response: IncomingMessage,
  policy: Policy,
  signal: AbortSignal,
): Promise<DownloadedImage> {
  const status = response.statusCode ?? 0;
  const refuse = (why: string) => {
    response.destroy();
    return new MediaDownloadRefusedError(`Media from ${hostOf(url)}: ${why}`);
  };
  if (status >= 500) {
    response.destroy();
    throw new MediaHostUnavailableError(`Media from ${hostOf(url)}: HTTP ${status}`);
  }
  if (status !== 200) throw refuse(`HTTP ${status}`);
  const contentType = (response.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!contentType.startsWith('image/')) throw refuse(`not an image (${contentType || 'no content type'})`);
  if (Number(response.headers['content-length'] ?? 0) > policy.maxBytes)
    throw refuse(`larger than ${policy.maxBytes} bytes`);
  const tooLarge = new MediaDownloadRefusedError(`Media from ${hostOf(url)}: larger than ${policy.maxBytes} bytes`);
  const bytes = await readBounded(response, policy.maxBytes, tooLarge).catch((error: unknown) => {
    throw downloadError(url, error, signal);
  });
  return { bytes, contentType, fileName: fileNameOf(url, contentType) };
}

/** The body, up to `maxBytes`; beyond it the download is cut off and fails with `tooLarge`. */
function readBounded(response: IncomingMessage, maxBytes: number, tooLarge: Error): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      // Reject before destroying: the destroy's own events must not name another reason.
      reject(tooLarge);
      response.destroy();
    });
    response.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    response.on('error', reject);
    response.on('aborted', () => reject(new Error('aborted')));
  });
}

/** The last path segment when it looks like a file name, else one from the content type. */
function fileNameOf(url: URL, contentType: string): string {
  const last = url.pathname.split('/').pop() ?? '';
  if (/^[\w.-]{1,100}\.[a-z0-9]{2,5}$/i.test(last)) return last;
  return `frame.${contentType.slice('image/'.length).replace(/[^a-z0-9]/g, '') || 'jpg'}`;
}
