/**
 * The Wayke transport: every Wayke call goes through {@link WaykeTransport.call}, which adds what
 * a flaky partner needs and no endpoint should know about:
 *
 * - Auth: OAuth2 client credentials from the shared {@link WaykeTokenCache}; a 401 triggers one
 *   refresh and one retry, never a loop. A token endpoint that is not there is a wrong setting,
 *   raised at once; one that refuses every connection names the setting too (`wayke-auth.ts`).
 * - Retries: 429, 5xx, 408, timeouts and connection failures, with full-jitter backoff, at most
 *   `maxAttempts` attempts. A `Retry-After` holds back every call to that host until the instant it
 *   names; one beyond `retryAfterCapMs` fails the call as retryable at once. Other 4xx never retry.
 * - Duplicates: a call with `recover` (a create) looks for its result after an ambiguous failure
 *   (it may have been applied) before trying again, and after the last attempt.
 * - Limits: a per-attempt timeout; at most `maxConcurrency` calls in flight per branch.
 *
 * The defaults of all of these are {@link WAYKE_TRANSPORT_DEFAULTS}.
 */
import type { Clock, Log } from '../ports.js';
import {
  AttemptFailure,
  classifyAnswer,
  describeCall,
  makeScrub,
  retryableError,
  type Answer,
  type Scrub,
} from './wayke-answer.js';
import { exchange, type WaykeRequest } from './wayke-attempt.js';
import { classifyTokenAnswer, TOKEN_PATH, tokenForm, tokenOfAnswer, unreachableTokenEndpoint } from './wayke-auth.js';
import { KeyedConcurrencyLimiter } from './wayke-concurrency.js';
import { WaykeAuthError, WaykeRetryableError, type WaykeErrorContext } from './wayke-errors.js';
import { fullJitterDelayMs, type BackoffOptions } from './wayke-retry.js';
import { type FetchedToken, WaykeTokenCache } from './wayke-token-cache.js';

/** The transport's defaults, each written here only. */
export const WAYKE_TRANSPORT_DEFAULTS = {
  timeoutMs: 10_000,
  maxConcurrency: 4,
  maxAttempts: 5,
  retryAfterCapMs: 30_000,
  backoffBaseMs: 250,
  backoffMaxMs: 10_000,
} as const;

/** Settings shared by every client of a factory (everything but the credentials). */
export interface WaykeClientSettings {
  /** Base URLs, like the real hosts: `https://auth.wayke.se`, `https://dealer-api.wayke.se`, `https://api.wayke.se`. */
  readonly authUrl: string;
  readonly dealerApiUrl: string;
  readonly mediaApiUrl: string;
  /** Debug line per call; warnings on retries. Absent: silent. */
  readonly log?: Log;
  /** Per-attempt timeout. */
  readonly timeoutMs?: number;
  /** Calls in flight per branch (ignored when `limiter` is given). */
  readonly maxConcurrency?: number;
  /** Attempts per call, the first included. */
  readonly maxAttempts?: number;
  /** Longest `Retry-After` the client waits; beyond it the call fails as retryable. */
  readonly retryAfterCapMs?: number;
  /** Full-jitter backoff: the first retry waits up to `backoffBaseMs`, doubling, capped at `backoffMaxMs`. */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** Refresh tokens this long before expiry (ignored when `tokenCache` is given; default: the cache's). */
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

export type Host = 'auth' | 'dealer' | 'media';

/** One Wayke operation as an endpoint describes it: the request, its host and how the call is run. */
export interface CallSpec extends WaykeRequest {
  readonly host: Host;
  /** Limiter key; absent for the token call. */
  readonly branchKey?: string;
  /**
   * For non-idempotent calls: after an ambiguous failure (the change may have been applied),
   * looks for the result before the next attempt; a value ends the call with it.
   */
  readonly recover?: () => Promise<unknown>;
}

export interface CallResult {
  readonly status: number;
  readonly body: unknown;
  /** Set when `recover` answered instead of Wayke. */
  readonly recovered?: unknown;
}

/** The shared parts of a factory's clients, built with the defaults where the settings are silent. */
export function sharedTransportParts(
  settings: WaykeClientSettings,
): Required<Pick<WaykeClientSettings, 'tokenCache' | 'limiter' | 'hostGates'>> {
  return {
    tokenCache:
      settings.tokenCache ??
      new WaykeTokenCache({
        ...(settings.tokenRefreshMarginMs !== undefined ? { refreshMarginMs: settings.tokenRefreshMarginMs } : {}),
        ...(settings.clock ? { clock: settings.clock } : {}),
      }),
    limiter:
      settings.limiter ??
      new KeyedConcurrencyLimiter(settings.maxConcurrency ?? WAYKE_TRANSPORT_DEFAULTS.maxConcurrency),
    hostGates: settings.hostGates ?? new Map<string, number>(),
  };
}

const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
const joinUrl = (base: string, path: string): string => `${base.replace(/\/+$/, '')}${path}`;
const isSuccess = (status: number): boolean => status >= 200 && status < 300;

/** The state of one call across its attempts. */
interface CallRun {
  readonly spec: CallSpec;
  readonly url: string;
  readonly origin: string;
  attempts: number;
  refreshedAfter401: boolean;
  lastFailure: AttemptFailure | undefined;
}

/** Auth, host gates, the branch limit and the retry policy for one set of credentials. */
export class WaykeTransport {
  readonly log: Log | undefined;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryAfterCapMs: number;
  private readonly backoff: BackoffOptions;
  private readonly random: () => number;
  private readonly tokens: WaykeTokenCache;
  private readonly tokenKey: string;
  private readonly limiter: KeyedConcurrencyLimiter;
  private readonly gates: Map<string, number>;
  private readonly bases: Record<Host, string>;
  private readonly scrub: Scrub;
  private readonly credentials: { readonly clientId: string; readonly clientSecret: string };

  constructor(options: WaykeClientOptions) {
    const defaults = WAYKE_TRANSPORT_DEFAULTS;
    const shared = sharedTransportParts(options);
    this.log = options.log;
    this.timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? defaults.maxAttempts);
    this.retryAfterCapMs = options.retryAfterCapMs ?? defaults.retryAfterCapMs;
    this.backoff = {
      baseMs: options.backoffBaseMs ?? defaults.backoffBaseMs,
      maxMs: options.backoffMaxMs ?? defaults.backoffMaxMs,
    };
    this.random = options.random ?? Math.random;
    this.tokens = shared.tokenCache;
    this.limiter = shared.limiter;
    this.gates = shared.hostGates;
    this.tokenKey = WaykeTokenCache.keyOf(options.authUrl, options.clientId, options.clientSecret);
    this.bases = { auth: options.authUrl, dealer: options.dealerApiUrl, media: options.mediaApiUrl };
    this.scrub = makeScrub(options.clientId, options.clientSecret);
    this.credentials = { clientId: options.clientId, clientSecret: options.clientSecret };
  }

  /** Runs a call with auth, the per-host gate, the branch limit and the retry policy. */
  async call(spec: CallSpec): Promise<CallResult> {
    const url = joinUrl(this.bases[spec.host], spec.path);
    const run: CallRun = {
      spec,
      url,
      origin: new URL(url).origin,
      attempts: 0,
      refreshedAfter401: false,
      lastFailure: undefined,
    };
    while (run.attempts < this.maxAttempts) {
      const recovered = run.lastFailure?.ambiguous ? await this.recover(spec) : undefined;
      if (recovered) return recovered;
      run.attempts += 1;
      const result = await this.attempt(run);
      if (result) return result;
    }
    return this.giveUp(run);
  }

  /** One attempt: the result when it ends the call, undefined when the loop goes on. */
  private async attempt(run: CallRun): Promise<CallResult | undefined> {
    const token = run.spec.host === 'auth' ? undefined : await this.token(run.spec);
    let answer: Answer;
    try {
      answer = await this.send(run, token);
    } catch (error) {
      if (!(error instanceof AttemptFailure)) throw error;
      await this.failed(run, error);
      return undefined;
    }
    if (isSuccess(answer.status)) return { status: answer.status, body: answer.body };
    if (answer.status === 401 && token !== undefined && !run.refreshedAfter401) {
      this.refreshAfter401(run, token);
      return undefined;
    }
    const failure = this.classify(run, answer);
    if (!(failure instanceof AttemptFailure)) throw failure;
    this.holdHost(run, failure);
    await this.failed(run, failure);
    return undefined;
  }

  /** A non-2xx answer as a family error or a retryable failure; the token call has its own reading. */
  private classify(run: CallRun, answer: Answer): Error {
    const call = this.answeredCall(run.spec);
    if (call.isTokenCall)
      return classifyTokenAnswer(call, answer, { attempts: run.attempts, scrub: this.scrub, url: run.url });
    return classifyAnswer(call, answer, run.attempts, this.scrub);
  }

  /** Waits for the host gate (inside the branch's slot, when the call has a branch) and sends. */
  private send(run: CallRun, token: string | undefined): Promise<Answer> {
    const { spec } = run;
    const go = async (): Promise<Answer> => {
      await this.waitForGate(run.origin);
      return exchange(
        { ...spec, url: run.url, token, attempt: run.attempts },
        { timeoutMs: this.timeoutMs, scrub: this.scrub, log: this.log },
      );
    };
    return spec.branchKey === undefined ? go() : this.limiter.run(spec.branchKey, go);
  }

  /** One refresh and one retry, never a loop; the retry does not count as an attempt. */
  private refreshAfter401(run: CallRun, token: string): void {
    run.refreshedAfter401 = true;
    this.tokens.invalidate(this.tokenKey, token);
    run.attempts -= 1;
    this.log?.debug('Wayke token refused; refreshing once', { operation: run.spec.operation });
  }

  /** A Retry-After pushes the host's gate; one beyond the cap ends the call now. */
  private holdHost(run: CallRun, failure: AttemptFailure): void {
    if (failure.retryAfterMs === undefined) return;
    if (failure.retryAfterMs > this.retryAfterCapMs) {
      const asked = Math.ceil(failure.retryAfterMs / 1000);
      const cap = Math.round(this.retryAfterCapMs / 1000);
      throw retryableError(
        `${describeCall(run.spec.operation, run.spec.context)}: Wayke asked to wait ${asked} s (more than ${cap} s)`,
        this.errorContext(run),
        failure,
      );
    }
    const notBefore = Date.now() + failure.retryAfterMs;
    if ((this.gates.get(run.origin) ?? 0) < notBefore) this.gates.set(run.origin, notBefore);
  }

  private async failed(run: CallRun, failure: AttemptFailure): Promise<void> {
    run.lastFailure = failure;
    if (run.attempts >= this.maxAttempts) return;
    // A Retry-After is waited out at the host gate; otherwise back off with full jitter.
    const delayMs = failure.retryAfterMs !== undefined ? 0 : fullJitterDelayMs(run.attempts, this.backoff, this.random);
    const { spec } = run;
    this.log?.warn('Wayke call failed; retrying', {
      operation: spec.operation,
      path: spec.path,
      reason: failure.message,
      ...(failure.status !== undefined ? { status: failure.status } : {}),
      attempt: run.attempts,
      delayMs: delayMs || failure.retryAfterMs || 0,
      ...(spec.context.registrationNumber ? { registrationNumber: spec.context.registrationNumber } : {}),
    });
    await sleep(delayMs);
  }

  /** The attempts are spent: one last look for a possibly applied change, else a retryable error. */
  private async giveUp(run: CallRun): Promise<CallResult> {
    // `failed` ran for the last attempt: a failure is always recorded when the loop ends.
    const failure = run.lastFailure as AttemptFailure;
    if (failure.ambiguous) {
      // A failing look changes nothing: the call failed.
      const recovered = await this.recover(run.spec).catch(() => undefined);
      if (recovered) return recovered;
    }
    const message = `${describeCall(run.spec.operation, run.spec.context)} failed after ${run.attempts} attempts: ${failure.message}`;
    const context = this.errorContext(run);
    const unreachable =
      run.spec.host === 'auth' ? unreachableTokenEndpoint({ message, context }, failure, run.url) : undefined;
    throw unreachable ?? retryableError(message, context, failure);
  }

  private async recover(spec: CallSpec): Promise<CallResult | undefined> {
    if (!spec.recover) return undefined;
    const recovered = await spec.recover();
    return recovered === undefined ? undefined : { status: 200, body: undefined, recovered };
  }

  private async waitForGate(origin: string): Promise<void> {
    // Loop: another call may push the gate further while we sleep.
    for (;;) {
      const wait = (this.gates.get(origin) ?? 0) - Date.now();
      if (wait <= 0) return;
      await sleep(wait);
    }
  }

  private token(spec: CallSpec): Promise<string> {
    return this.tokens
      .get(this.tokenKey, () => this.fetchToken())
      .catch((error: unknown) => {
        throw this.inCallContext(error, spec);
      });
  }

  private async fetchToken(): Promise<FetchedToken> {
    const result = await this.call({
      operation: 'token',
      method: 'POST',
      host: 'auth',
      path: TOKEN_PATH,
      form: tokenForm(this.credentials),
      context: {},
    });
    return tokenOfAnswer(result, joinUrl(this.bases.auth, TOKEN_PATH));
  }

  /** A token failure seen by a call: the same kind of error, with the call's operation and plate. */
  private inCallContext(error: unknown, spec: CallSpec): unknown {
    if (!(error instanceof WaykeAuthError || error instanceof WaykeRetryableError)) return error;
    const context: WaykeErrorContext = { ...error.context, ...spec.context, operation: spec.operation, phase: 'token' };
    const message = `${describeCall(spec.operation, spec.context)}: no token: ${error.message}`;
    return error instanceof WaykeAuthError
      ? new WaykeAuthError(message, context, { cause: error })
      : new WaykeRetryableError(message, context, {
          cause: error,
          ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
        });
  }

  private answeredCall(spec: CallSpec) {
    return { ...spec, isTokenCall: spec.host === 'auth' };
  }

  private errorContext(run: CallRun): WaykeErrorContext {
    const { spec } = run;
    return {
      operation: spec.operation,
      attempts: run.attempts,
      request: `${spec.method} ${spec.path}`,
      ...spec.context,
    };
  }
}
