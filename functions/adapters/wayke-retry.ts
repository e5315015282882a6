/**
 * Retry arithmetic for HTTP clients (the Wayke client, the DMS API pull): exponential backoff with full jitter, and `Retry-After`
 * (seconds or an HTTP date) parsing. Pure functions; the client owns the sleeping.
 */

export interface BackoffOptions {
  /** The first retry waits up to this. */
  readonly baseMs: number;
  /** No single wait above this. */
  readonly maxMs: number;
}

/**
 * Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform wait in
 * [0, min(max, base·2^(retry-1))), so a crowd of clients spreads out instead of retrying in step.
 * `retry` counts from 1.
 */
export function fullJitterDelayMs(retry: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Milliseconds a `Retry-After` header asks to wait from `nowMs`, or undefined when absent or
 * unreadable. Accepts delta-seconds (`120`) and an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`);
 * a date in the past means 0.
 */
export function parseRetryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  if (/^\d+\.\d+$/.test(value)) return Math.ceil(Number(value) * 1000);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
