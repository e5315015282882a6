/**
 * The Wayke client: the `WaykeApi` port over Node's built-in fetch, built to survive a flaky partner.
 *
 * - Auth: OAuth2 client credentials; the token is cached per client and refreshed 60 s before it
 *   expires, concurrent callers share one refresh, a 401 triggers one refresh and one retry.
 * - Retries: 429, 5xx, 408, timeouts and connection failures, with exponential backoff and full
 *   jitter, at most `maxAttempts` (5) attempts. A 429's `Retry-After` (seconds or HTTP date) holds
 *   back every call to that host until the instant it names; beyond `retryAfterCapMs` (30 s) the call
 *   fails as retryable at once. 400/404/409/422 (any other 4xx) are never retried.
 * - Duplicates: a create whose answer was lost (5xx, timeout, reset — it may have been applied) looks
 *   the plate up before trying again, and returns the ad it finds instead of creating a second one.
 * - Limits: a per-attempt timeout (10 s) via `AbortSignal`; at most `maxConcurrency` (4) calls in
 *   flight per branch.
 * - Hygiene: one debug line per HTTP call (operation, method, path, status, duration, attempt);
 *   the client id, secret and tokens never reach a log line or an error message.
 *
 * Every Wayke field name lives in `wayke-mapping.ts`; this file only knows paths and status codes.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { AdStatus, Clock, Log, SecretStore, UploadedImage, WaykeAd, WaykeApi, WaykeApiFactory } from '../ports.js';
import { KeyedConcurrencyLimiter } from './wayke-concurrency.js';
import {
  WaykeAuthError,
  WaykeNotFoundError,
  WaykeRetryableError,
  WaykeValidationError,
  type WaykeErrorContext,
} from './wayke-errors.js';
import {
  fromWaykeAd,
  toWaykeBody,
  toWaykeMedia,
  toWaykeStatusBody,
  WaykeCreateResponseSchema,
  WaykeImageResponseSchema,
  WaykeResponseShapeError,
} from './wayke-mapping.js';
import { fullJitterDelayMs, parseRetryAfterMs } from './wayke-retry.js';
import { WaykeTokenCache } from './wayke-token-cache.js';

/** The Wayke base URLs from the environment (`WAYKE_AUTH_URL`, …), validated at start. */
export const WaykeUrlsEnvSchema = z.object({
  WAYKE_AUTH_URL: z.url({ protocol: /^https?$/ }),
  WAYKE_DEALER_API_URL: z.url({ protocol: /^https?$/ }),
  WAYKE_MEDIA_API_URL: z.url({ protocol: /^https?$/ }),
});

/** The base URLs of a client from validated `WAYKE_*_URL` variables. */
export function waykeUrlsFromEnv(
  env: z.output<typeof WaykeUrlsEnvSchema>,
): Pick<WaykeClientSettings, 'authUrl' | 'dealerApiUrl' | 'mediaApiUrl'> {
  return { authUrl: env.WAYKE_AUTH_URL, dealerApiUrl: env.WAYKE_DEALER_API_URL, mediaApiUrl: env.WAYKE_MEDIA_API_URL };
}

/** Settings shared by every client of a factory (everything but the credentials). */
export interface WaykeClientSettings {
  /** Base URLs, like the real hosts: `https://auth.wayke.se`, `https://dealer-api.wayke.se`, `https://api.wayke.se`. */
  readonly authUrl: string;
  readonly dealerApiUrl: string;
  readonly mediaApiUrl: string;
  /** Debug line per call; warnings on retries. Default: silent. */
  readonly log?: Log;
  /** Per-attempt timeout (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** Calls in flight per branch (default 4). */
  readonly maxConcurrency?: number;
  /** Attempts per call, the first included (default 5). */
  readonly maxAttempts?: number;
  /** Longest `Retry-After` the client waits; beyond it the call fails as retryable (default 30 000 ms). */
  readonly retryAfterCapMs?: number;
  /** Full-jitter backoff: first retry up to `backoffBaseMs` (default 250), doubling, capped at `backoffMaxMs` (default 10 000). */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** Refresh tokens this long before expiry (default 60 000 ms). */
  readonly tokenRefreshMarginMs?: number;
  /** Time for token expiry (tests move it); default the system clock. */
  readonly clock?: Clock;
  /** Jitter source (default `Math.random`). */
  readonly random?: () => number;
  /** Token cache to share; the factory shares one across its clients. */
  readonly tokenCache?: WaykeTokenCache;
  /** Per-branch limiter to share; the factory shares one across its clients. */
  readonly limiter?: KeyedConcurrencyLimiter;
  /** Per-host "not before" instants from `Retry-After`, to share. */
  readonly hostGates?: Map<string, number>;
}

export interface WaykeClientOptions extends WaykeClientSettings {
  readonly clientId: string;
  readonly clientSecret: string;
}

const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive().optional(),
  token_type: z.string().optional(),
});

type Host = 'auth' | 'dealer' | 'media';

interface CallSpec {
  readonly operation: string;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  readonly host: Host;
  readonly path: string;
  readonly json?: unknown;
  readonly form?: FormData | URLSearchParams;
  /** Limiter key; absent for the token call. */
  readonly branchKey?: string;
  readonly context: Omit<WaykeErrorContext, 'operation'>;
  /**
   * For non-idempotent calls: after an ambiguous failure (the change may have been applied),
   * looks for the result before the next attempt; a value ends the call with it.
   */
  readonly recover?: () => Promise<unknown | undefined>;
}

interface CallResult {
  readonly status: number;
  readonly body: unknown;
  /** Set when `recover` answered instead of Wayke. */
  readonly recovered?: unknown;
}

/** A failure of one attempt, with what the retry loop needs to know. */
class AttemptFailure extends Error {
  constructor(
    message: string,
    readonly kind: 'throttled' | 'server' | 'timeout' | 'network',
    readonly status?: number,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AttemptFailure';
  }
  /** The request may have reached Wayke and been applied. */
  get ambiguous(): boolean {
    return this.kind !== 'throttled';
  }
}

const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
const joinUrl = (base: string, path: string): string => `${base.replace(/\/+$/, '')}${path}`;
const seg = (value: string): string => encodeURIComponent(value);
const MAX_KNOWN_ADS = 10_000;

/** Builds a client for one set of Wayke credentials. */
export function createWaykeClient(options: WaykeClientOptions): WaykeApi {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const retryAfterCapMs = options.retryAfterCapMs ?? 30_000;
  const backoff = { baseMs: options.backoffBaseMs ?? 250, maxMs: options.backoffMaxMs ?? 10_000 };
  const random = options.random ?? Math.random;
  const log = options.log;
  const tokens =
    options.tokenCache ??
    new WaykeTokenCache({
      refreshMarginMs: options.tokenRefreshMarginMs ?? 60_000,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  const limiter = options.limiter ?? new KeyedConcurrencyLimiter(options.maxConcurrency ?? 4);
  const gates = options.hostGates ?? new Map<string, number>();
  const tokenKey = WaykeTokenCache.keyOf(options.authUrl, options.clientId, options.clientSecret);
  const bases: Record<Host, string> = {
    auth: options.authUrl,
    dealer: options.dealerApiUrl,
    media: options.mediaApiUrl,
  };
  /** Branch of ads this client has seen, so calls by ad id share their branch's limit. */
  const adBranches = new Map<string, string>();

  const rememberBranch = (adId: string, branchId: string | undefined): void => {
    if (!branchId) return;
    adBranches.delete(adId);
    adBranches.set(adId, branchId);
    if (adBranches.size > MAX_KNOWN_ADS) adBranches.delete(adBranches.keys().next().value as string);
  };
  const branchOfAd = (adId: string): string => adBranches.get(adId) ?? '(unknown branch)';

  /** Removes credentials from text that came from outside (Wayke's messages, error causes). */
  const scrub = (text: string, extra: readonly string[] = []): string => {
    let out = text;
    for (const secret of [options.clientSecret, encodeURIComponent(options.clientSecret), options.clientId, ...extra]) {
      if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
    }
    return out.length > 300 ? `${out.slice(0, 300)}…` : out;
  };

  const describe = (operation: string, context: Omit<WaykeErrorContext, 'operation'>): string =>
    `Wayke ${operation}${context.registrationNumber ? ` for ${context.registrationNumber}` : context.adId ? ` for ad ${context.adId}` : ''}`;

  const fetchToken = async () => {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: options.clientId,
      client_secret: options.clientSecret,
      scope: 'api-resource',
    });
    const result = await call({
      operation: 'token',
      method: 'POST',
      host: 'auth',
      path: '/connect/token',
      form,
      context: {},
    });
    const parsed = TokenResponseSchema.safeParse(result.body);
    if (!parsed.success)
      throw new WaykeAuthError('Wayke token answer has no access_token', { operation: 'token', status: result.status });
    return { accessToken: parsed.data.access_token, expiresInSeconds: parsed.data.expires_in ?? 3600 };
  };

  const waitForGate = async (origin: string): Promise<void> => {
    // Loop: another call may push the gate further while we sleep.
    for (;;) {
      const wait = (gates.get(origin) ?? 0) - Date.now();
      if (wait <= 0) return;
      await sleep(wait);
    }
  };

  /** One HTTP exchange: returns status and parsed body, or throws an AttemptFailure / family error. */
  const attempt = async (
    spec: CallSpec,
    url: string,
    token: string | undefined,
    attemptNo: number,
  ): Promise<{ status: number; body: unknown; headers: Headers }> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | FormData | URLSearchParams | undefined;
    if (spec.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.json);
    } else if (spec.form) {
      body = spec.form;
    }
    const started = performance.now();
    let status: number | undefined;
    try {
      const response = await fetch(url, {
        method: spec.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      const text = await response.text();
      let parsed: unknown = undefined;
      if (text.length > 0) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status, body: parsed, headers: response.headers };
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new AttemptFailure(`timed out after ${timeoutMs} ms`, 'timeout', status, undefined, { cause: error });
      }
      const code =
        ((error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code) || 'network error';
      throw new AttemptFailure(`connection failed (${code})`, 'network', status, undefined, {
        cause: new Error(scrub(String((error as Error).message ?? error))),
      });
    } finally {
      log?.debug('Wayke call', {
        operation: spec.operation,
        method: spec.method,
        path: spec.path,
        status: status ?? 0,
        durationMs: Math.round(performance.now() - started),
        attempt: attemptNo,
        ...(spec.context.registrationNumber ? { registrationNumber: spec.context.registrationNumber } : {}),
      });
    }
  };

  /** Turns a non-2xx answer into a family error, or an AttemptFailure for the retry loop. */
  const classify = (spec: CallSpec, status: number, body: unknown, headers: Headers, attempts: number): Error => {
    const context: WaykeErrorContext = {
      operation: spec.operation,
      status,
      attempts,
      request: `${spec.method} ${spec.path}`,
      ...spec.context,
    };
    const what = describe(spec.operation, spec.context);
    if (status === 429) {
      return new AttemptFailure(
        'throttled (429)',
        'throttled',
        status,
        parseRetryAfterMs(headers.get('retry-after'), Date.now()),
      );
    }
    if (status >= 500 || status === 408) {
      // A 503 may carry Retry-After too; honour it like a 429's.
      return new AttemptFailure(
        `HTTP ${status}`,
        'server',
        status,
        parseRetryAfterMs(headers.get('retry-after'), Date.now()),
      );
    }
    const { message, field } = waykeMessage(body);
    const said = message ? `: ${scrub(message)}` : '';
    // The answer itself, as the cause: status, request and Wayke's words (scrubbed, trimmed).
    const cause = new Error(`HTTP ${status} for ${spec.method} ${spec.path}${said}`);
    const withCause = { cause };
    if (spec.host === 'auth' && (status === 400 || status === 401)) {
      return new WaykeAuthError(
        `Wayke refused the client credentials (HTTP ${status}${message ? `, ${scrub(message)}` : ''})`,
        context,
        withCause,
      );
    }
    if (status === 401 || status === 403)
      return new WaykeAuthError(`${what} was refused: HTTP ${status}${said}`, context, withCause);
    if (status === 404) return new WaykeNotFoundError(`${what}: not found (HTTP 404)${said}`, context, withCause);
    return new WaykeValidationError(
      `${what} was rejected: HTTP ${status}${said}`,
      context,
      {
        ...(message ? { waykeMessage: scrub(message) } : {}),
        ...(field ? { field } : {}),
      },
      withCause,
    );
  };

  /** A token failure seen by a call: the same kind of error, with the call's operation and plate. */
  const inCallContext = (error: unknown, spec: CallSpec): unknown => {
    if (!(error instanceof WaykeAuthError || error instanceof WaykeRetryableError)) return error;
    const context: WaykeErrorContext = { ...error.context, ...spec.context, operation: spec.operation, phase: 'token' };
    const message = `${describe(spec.operation, spec.context)}: no token: ${error.message}`;
    return error instanceof WaykeAuthError
      ? new WaykeAuthError(message, context, { cause: error })
      : new WaykeRetryableError(message, context, {
          cause: error,
          ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
        });
  };

  /** Runs a call with auth, the per-host gate, the branch limit and the retry policy. */
  async function call(spec: CallSpec): Promise<CallResult> {
    const url = joinUrl(bases[spec.host], spec.path);
    const origin = new URL(url).origin;
    let refreshedAfter401 = false;
    let lastFailure: AttemptFailure | undefined;
    let attempts = 0;
    while (attempts < maxAttempts) {
      if (lastFailure?.ambiguous && spec.recover) {
        const recovered = await spec.recover();
        if (recovered !== undefined) return { status: 200, body: undefined, recovered };
      }
      attempts += 1;
      const token =
        spec.host === 'auth'
          ? undefined
          : await tokens.get(tokenKey, fetchToken).catch((error: unknown) => {
              throw inCallContext(error, spec);
            });
      let outcome: { status: number; body: unknown; headers: Headers };
      try {
        outcome = await (spec.branchKey === undefined
          ? waitForGate(origin).then(() => attempt(spec, url, token, attempts))
          : limiter.run(spec.branchKey, async () => {
              await waitForGate(origin);
              return attempt(spec, url, token, attempts);
            }));
      } catch (error) {
        if (!(error instanceof AttemptFailure)) throw error;
        lastFailure = error;
        await pauseBeforeRetry(spec, error, attempts);
        continue;
      }
      const { status, body, headers } = outcome;
      if (status >= 200 && status < 300) return { status, body };
      if (status === 401 && token !== undefined && !refreshedAfter401) {
        // One refresh and one retry, never a loop; the retry does not count as an attempt.
        refreshedAfter401 = true;
        tokens.invalidate(tokenKey, token);
        attempts -= 1;
        log?.debug('Wayke token refused; refreshing once', { operation: spec.operation });
        continue;
      }
      const failure = classify(spec, status, body, headers, attempts);
      if (!(failure instanceof AttemptFailure)) throw failure;
      lastFailure = failure;
      if (failure.retryAfterMs !== undefined) {
        if (failure.retryAfterMs > retryAfterCapMs) {
          throw new WaykeRetryableError(
            `${describe(spec.operation, spec.context)}: Wayke asked to wait ${Math.ceil(failure.retryAfterMs / 1000)} s (more than ${Math.round(retryAfterCapMs / 1000)} s)`,
            { operation: spec.operation, status, attempts, request: `${spec.method} ${spec.path}`, ...spec.context },
            { cause: failure, retryAfterMs: failure.retryAfterMs },
          );
        }
        const notBefore = Date.now() + failure.retryAfterMs;
        if ((gates.get(origin) ?? 0) < notBefore) gates.set(origin, notBefore);
      }
      await pauseBeforeRetry(spec, failure, attempts);
    }
    const failure = lastFailure!;
    if (failure.ambiguous && spec.recover) {
      // The last attempt may have been applied too: one more look, so the caller is not told
      // "failed" about an ad that exists. A failing look changes nothing: the call failed.
      const recovered = await spec.recover().catch(() => undefined);
      if (recovered !== undefined) return { status: 200, body: undefined, recovered };
    }
    throw new WaykeRetryableError(
      `${describe(spec.operation, spec.context)} failed after ${attempts} attempts: ${failure.message}`,
      {
        operation: spec.operation,
        attempts,
        request: `${spec.method} ${spec.path}`,
        ...spec.context,
        ...(failure.status !== undefined ? { status: failure.status } : {}),
      },
      { cause: failure, ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}) },
    );
  }

  async function pauseBeforeRetry(spec: CallSpec, failure: AttemptFailure, attempts: number): Promise<void> {
    if (attempts >= maxAttempts) return;
    // A Retry-After is waited out at the host gate; otherwise back off with full jitter.
    const delayMs = failure.retryAfterMs !== undefined ? 0 : fullJitterDelayMs(attempts, backoff, random);
    log?.warn('Wayke call failed; retrying', {
      operation: spec.operation,
      path: spec.path,
      reason: failure.message,
      ...(failure.status !== undefined ? { status: failure.status } : {}),
      attempt: attempts,
      delayMs: delayMs || failure.retryAfterMs || 0,
      ...(spec.context.registrationNumber ? { registrationNumber: spec.context.registrationNumber } : {}),
    });
    await sleep(delayMs);
  }

  const readAd = (operation: string, body: unknown, context: Omit<WaykeErrorContext, 'operation'>): WaykeAd => {
    try {
      const ad = fromWaykeAd(body);
      rememberBranch(ad.id, ad.branchId);
      return ad;
    } catch (error) {
      if (error instanceof WaykeResponseShapeError) {
        throw new WaykeValidationError(
          `${describe(operation, context)}: unexpected answer from Wayke`,
          { operation, status: 200, ...context },
          { waykeMessage: error.message },
          { cause: error },
        );
      }
      throw error;
    }
  };

  const readImage = (
    operation: string,
    body: unknown,
    context: Omit<WaykeErrorContext, 'operation'>,
  ): UploadedImage => {
    const parsed = WaykeImageResponseSchema.safeParse(body);
    if (!parsed.success)
      throw new WaykeValidationError(`${describe(operation, context)}: unexpected answer from Wayke`, {
        operation,
        status: 200,
        ...context,
      });
    return { mediaId: parsed.data.mediaId, url: parsed.data.url };
  };

  const findAdByRegistrationNumber = async (branchId: string, registrationNumber: string): Promise<WaykeAd | null> => {
    const context = { branchId, registrationNumber };
    try {
      const result = await call({
        operation: 'findAdByRegistrationNumber',
        method: 'GET',
        host: 'dealer',
        path: `/vehicle/${seg(branchId)}/vehicle/by-registration-number/${seg(registrationNumber)}`,
        branchKey: branchId,
        context,
      });
      return readAd('findAdByRegistrationNumber', result.body, context);
    } catch (error) {
      if (error instanceof WaykeNotFoundError) return null;
      throw error;
    }
  };

  const client: WaykeApi = {
    findAdByRegistrationNumber,

    async getAd(adId) {
      const context = { adId };
      const result = await call({
        operation: 'getAd',
        method: 'GET',
        host: 'dealer',
        path: `/vehicle/${seg(adId)}/ad`,
        branchKey: branchOfAd(adId),
        context,
      });
      return readAd('getAd', result.body, context);
    },

    async createAd({ branchId, vehicle, status, mediaUrls }) {
      const registrationNumber = vehicle.registrationNumber;
      const context = { branchId, registrationNumber };
      const body = toWaykeBody({
        branchId,
        fields: vehicle,
        status,
        ...(mediaUrls !== undefined ? { mediaUrls } : {}),
        create: true,
      });
      const result = await call({
        operation: 'createAd',
        method: 'POST',
        host: 'dealer',
        path: '/vehicle',
        json: body,
        branchKey: branchId,
        context,
        // The lost answer may hide a created ad: look before creating it again.
        recover: async () => {
          const existing = await findAdByRegistrationNumber(branchId, registrationNumber);
          if (existing)
            log?.warn('Wayke createAd answer was lost but the ad exists; using it', {
              registrationNumber,
              adId: existing.id,
            });
          return existing ? { id: existing.id } : undefined;
        },
      });
      if (result.recovered) return result.recovered as { id: string };
      const parsed = WaykeCreateResponseSchema.safeParse(result.body);
      if (!parsed.success)
        throw new WaykeValidationError(`${describe('createAd', context)}: unexpected answer from Wayke`, {
          operation: 'createAd',
          status: result.status,
          ...context,
        });
      rememberBranch(parsed.data.id, branchId);
      return { id: parsed.data.id };
    },

    async patchAd({ adId, branchId, registrationNumber, fields, mediaUrls }) {
      rememberBranch(adId, branchId);
      const body = toWaykeBody({ branchId, fields, ...(mediaUrls !== undefined ? { mediaUrls } : {}) });
      if (body.vehicle === undefined && body.ad === undefined && body.status === undefined) return;
      await call({
        operation: 'patchAd',
        method: 'PATCH',
        host: 'dealer',
        path: `/vehicle/${seg(adId)}`,
        json: body,
        branchKey: branchId,
        context: { adId, branchId, registrationNumber },
      });
    },

    async setStatus(adId: string, status: AdStatus, registrationNumber?: string) {
      await call({
        operation: 'setStatus',
        method: 'PUT',
        host: 'dealer',
        path: `/vehicle/${seg(adId)}/ad/status`,
        json: toWaykeStatusBody(status),
        branchKey: branchOfAd(adId),
        context: { adId, ...(registrationNumber ? { registrationNumber } : {}) },
      });
    },

    async setMedia(adId, mediaUrls, registrationNumber) {
      await call({
        operation: 'setMedia',
        method: 'PUT',
        host: 'dealer',
        path: `/vehicle/${seg(adId)}/media`,
        json: { media: toWaykeMedia(mediaUrls) },
        branchKey: branchOfAd(adId),
        context: { adId, ...(registrationNumber ? { registrationNumber } : {}) },
      });
    },

    async uploadImageByUrl({ branchId, url, sortOrder, registrationNumber }) {
      const context = { branchId, ...(registrationNumber ? { registrationNumber } : {}) };
      const result = await call({
        operation: 'uploadImageByUrl',
        method: 'POST',
        host: 'media',
        path: '/media/v2/image-url',
        json: { url, branchId, purpose: 'Vehicle', sortOrder },
        branchKey: branchId,
        context,
      });
      return readImage('uploadImageByUrl', result.body, context);
    },

    async uploadImageBytes({ branchId, bytes, fileName, contentType, sortOrder, registrationNumber }) {
      const context = { branchId, ...(registrationNumber ? { registrationNumber } : {}) };
      const form = new FormData();
      form.set('File', new Blob([bytes], { type: contentType }), fileName);
      form.set('Metadata.Purpose', 'Vehicle');
      form.set('Metadata.BranchId', branchId);
      form.set('Metadata.SortOrder', String(sortOrder));
      const result = await call({
        operation: 'uploadImageBytes',
        method: 'POST',
        host: 'media',
        path: '/media/v2/image',
        form,
        branchKey: branchId,
        context,
      });
      return readImage('uploadImageBytes', result.body, context);
    },
  };
  return client;
}

/**
 * A factory for clients of many dealers that share one token cache (tokens per client id), one
 * per-branch concurrency limiter and the hosts' `Retry-After` gates. Build it once per process.
 */
export function createWaykeClientFactory(settings: WaykeClientSettings): WaykeApiFactory {
  const shared: WaykeClientSettings = {
    ...settings,
    tokenCache:
      settings.tokenCache ??
      new WaykeTokenCache({
        refreshMarginMs: settings.tokenRefreshMarginMs ?? 60_000,
        ...(settings.clock ? { clock: settings.clock } : {}),
      }),
    limiter: settings.limiter ?? new KeyedConcurrencyLimiter(settings.maxConcurrency ?? 4),
    hostGates: settings.hostGates ?? new Map(),
  };
  return ({ clientId, clientSecret }) => createWaykeClient({ ...shared, clientId, clientSecret });
}

/**
 * Wayke clients per dealer, from each dealer's credentials in the {@link SecretStore}: one client
 * per credentials (a rotated secret gets a new one), all from one factory so they share its token
 * cache, limits and gates. Build it once per process.
 */
export function createDealerWaykeClients(
  factory: WaykeApiFactory,
  secrets: SecretStore,
): (dealer: { readonly id: string }) => Promise<WaykeApi> {
  const clients = new Map<string, WaykeApi>();
  return async (dealer) => {
    const { waykeClientId, waykeClientSecret } = await secrets.getDealerSecrets(dealer.id);
    const key = `${waykeClientId}\n${createHash('sha256').update(waykeClientSecret).digest('hex')}`;
    let client = clients.get(key);
    if (!client) {
      client = factory({ clientId: waykeClientId, clientSecret: waykeClientSecret });
      clients.set(key, client);
    }
    return client;
  };
}

/** Wayke's message and field from an error body (ProblemDetails, `{ message, field }`, OAuth `error`). */
function waykeMessage(body: unknown): { message?: string; field?: string } {
  if (typeof body === 'string') return body.trim() ? { message: body.trim() } : {};
  if (!body || typeof body !== 'object') return {};
  const record = body as Record<string, unknown>;
  const errors = record.errors;
  let field = typeof record.field === 'string' ? record.field : undefined;
  let fromErrors: string | undefined;
  if (errors && typeof errors === 'object' && !Array.isArray(errors)) {
    const [first] = Object.entries(errors as Record<string, unknown>);
    if (first) {
      field ??= first[0];
      const messages = Array.isArray(first[1]) ? first[1] : [first[1]];
      fromErrors = `${first[0]}: ${messages.filter((m) => typeof m === 'string').join(', ')}`;
    }
  }
  const pick = (key: string): string | undefined =>
    typeof record[key] === 'string' && record[key] ? record[key] : undefined;
  const message =
    pick('message') ?? fromErrors ?? pick('detail') ?? pick('error_description') ?? pick('title') ?? pick('error');
  return { ...(message ? { message } : {}), ...(field ? { field } : {}) };
}
