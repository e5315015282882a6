/**
 * OAuth2 access tokens per client, shared by every client built from one factory (or passed in):
 * a token is reused until shortly before it expires, and callers that find it stale at the same
 * moment share ONE refresh (single flight) — 50 concurrent calls at expiry make one token request.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../ports.js';

export interface FetchedToken {
  readonly accessToken: string;
  /** Lifetime in seconds, as `expires_in` says. */
  readonly expiresInSeconds: number;
}

interface Entry {
  token?: { readonly value: string; readonly refreshAt: number };
  pending?: Promise<string>;
}

/** How long before expiry a token is refreshed, unless the options say otherwise. */
export const DEFAULT_TOKEN_REFRESH_MARGIN_MS = 60_000;

export interface WaykeTokenCacheOptions {
  /** Refresh this long before expiry (default {@link DEFAULT_TOKEN_REFRESH_MARGIN_MS}; at most half the token's lifetime). */
  readonly refreshMarginMs?: number;
  readonly clock?: Clock;
}

export class WaykeTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly refreshMarginMs: number;
  private readonly clock: Clock;

  constructor(options: WaykeTokenCacheOptions = {}) {
    this.refreshMarginMs = options.refreshMarginMs ?? DEFAULT_TOKEN_REFRESH_MARGIN_MS;
    this.clock = options.clock ?? { now: () => new Date() };
  }

  /**
   * The cache key of a client: auth host, client id and a hash of the secret (so a rotated secret
   * gets a fresh token). Holds no secret in clear.
   */
  static keyOf(authUrl: string, clientId: string, clientSecret: string): string {
    const digest = createHash('sha256').update(clientSecret).digest('base64url').slice(0, 16);
    return `${authUrl}\u0000${clientId}\u0000${digest}`;
  }

  /** A valid token: the cached one, the refresh already under way, or a new refresh via `fetch`. */
  get(key: string, fetch: () => Promise<FetchedToken>): Promise<string> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = {};
      this.entries.set(key, entry);
    }
    if (entry.token && this.clock.now().getTime() < entry.token.refreshAt) return Promise.resolve(entry.token.value);
    if (entry.pending) return entry.pending;
    const target = entry;
    const pending = fetch().then(
      (fetched) => {
        const lifetimeMs = Math.max(0, fetched.expiresInSeconds * 1000);
        const margin = Math.min(this.refreshMarginMs, lifetimeMs / 2);
        target.token = { value: fetched.accessToken, refreshAt: this.clock.now().getTime() + lifetimeMs - margin };
        target.pending = undefined;
        return fetched.accessToken;
      },
      (error: unknown) => {
        target.pending = undefined;
        throw error;
      },
    );
    target.pending = pending;
    return pending;
  }

  /**
   * Drops `stale` after Wayke refused it (401). Only that exact token: when 50 calls get a 401
   * for the same token, the first invalidation wins and the rest join the refresh it started.
   */
  invalidate(key: string, stale: string): void {
    const entry = this.entries.get(key);
    if (entry?.token?.value === stale) entry.token = undefined;
  }
}
