import { RetryableError } from '../core/errors.js';
import type { Clock } from '../ports.js';

/** Used until read again, so a rotation takes effect within it. */
export const DEFAULT_MAX_AGE_MS = 60_000;
/** How long a last good value may stand in for a read that failed for a passing reason. */
export const DEFAULT_STALE_IF_ERROR_MS = 15 * 60_000;

export interface DealerCacheOptions {
  /** How long a read value is used before it is read again; {@link DEFAULT_MAX_AGE_MS} if not given. */
  readonly maxAgeMs?: number;
  /**
   * When a re-read fails for a passing reason (throttling, a network error), the last good value
   * is used for up to this long after it was read ({@link DEFAULT_STALE_IF_ERROR_MS} if not given),
   * so a store hiccup does not turn every caller away. Permanent failures (deleted, access denied) never do.
   */
  readonly staleIfErrorMs?: number;
  readonly clock: Clock;
}

/**
 * A per-dealer value (credentials, inbound-key verifiers) read through `read` and cached for
 * `maxAgeMs`; concurrent callers share one read, and a failed read is not remembered.
 */
export class DealerCache<T> {
  private readonly cache = new Map<string, { readonly at: number; readonly value: Promise<T> }>();
  private readonly lastGood = new Map<string, { readonly at: number; readonly value: T }>();
  private readonly maxAgeMs: number;
  private readonly staleIfErrorMs: number;

  constructor(
    private readonly read: (dealerId: string) => Promise<T>,
    private readonly options: DealerCacheOptions,
  ) {
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.staleIfErrorMs = options.staleIfErrorMs ?? DEFAULT_STALE_IF_ERROR_MS;
  }

  get(dealerId: string): Promise<T> {
    const now = this.options.clock.now().getTime();
    const cached = this.cache.get(dealerId);
    if (cached && now - cached.at < this.maxAgeMs) return cached.value;
    const value = this.read(dealerId).then(
      (fresh) => {
        this.lastGood.set(dealerId, { at: now, value: fresh });
        return fresh;
      },
      (error: unknown) => {
        const good = this.lastGood.get(dealerId);
        if (error instanceof RetryableError && good && now - good.at < this.staleIfErrorMs) return good.value;
        if (!(error instanceof RetryableError)) this.lastGood.delete(dealerId);
        throw error;
      },
    );
    this.cache.set(dealerId, { at: now, value });
    // A failed read is not remembered: the next call tries again.
    value.catch(() => {
      if (this.cache.get(dealerId)?.value === value) this.cache.delete(dealerId);
    });
    return value;
  }
}
