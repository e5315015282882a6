/**
 * The Wayke client's error family. Every error carries, in `context`, the operation (`createAd`,
 * `getAd` …), the plate when the caller gave one, and the HTTP status when Wayke answered — and
 * the underlying failure as `cause`. Messages never hold the client id, the secret or a token.
 *
 * - {@link WaykeValidationError}: Wayke refused the request (400, 409, 422, other 4xx): fix the data.
 * - {@link WaykeNotFoundError}: the ad (or branch) does not exist (404).
 * - {@link WaykeAuthError}: the credentials are wrong or lack the right (token 400/401, 401 after
 *   one refresh, 403). Permanent until someone fixes the dealer's secret.
 * - {@link WaykeRetryableError}: 429, 5xx, timeouts, connection failures after the client's own
 *   retries are spent, or a `Retry-After` beyond the cap. Worth retrying later (next run, SQS redrive).
 */
import { AuthError, type ErrorContext, NotFoundError, RejectedError, UnavailableError } from '../core/errors.js';

/** The context every Wayke error carries. */
export interface WaykeErrorContext extends ErrorContext {
  /** The client method (or `token`) that failed. */
  readonly operation: string;
  /** The HTTP status Wayke answered with, when it answered. */
  readonly status?: number;
  readonly registrationNumber?: string;
  readonly adId?: string;
  readonly branchId?: string;
  /** `METHOD /path` of the failing request (identifiers only, never a query string with secrets). */
  readonly request?: string;
  /** Attempts made, retries included. */
  readonly attempts?: number;
}

/** Wayke rejected the request's content: a permanent failure for this data. */
export class WaykeValidationError extends RejectedError {
  declare readonly context: WaykeErrorContext;
  /** Wayke's own message, as far as it gave one (trimmed, never holding credentials). */
  readonly waykeMessage: string | undefined;
  /** The field Wayke named, when it named one (e.g. `vehicle.mileage`). */
  readonly field: string | undefined;

  constructor(
    message: string,
    context: WaykeErrorContext,
    details: { waykeMessage?: string; field?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, { ...context, ...(details.field ? { field: details.field } : {}) }, options);
    this.waykeMessage = details.waykeMessage;
    this.field = details.field;
  }
}

/** The ad, branch or media does not exist in Wayke (404). */
export class WaykeNotFoundError extends NotFoundError {
  declare readonly context: WaykeErrorContext;
  constructor(message: string, context: WaykeErrorContext, options?: { cause?: unknown }) {
    super(message, context, options);
  }
}

/** The credentials were refused (token endpoint 400/401, a 401 that survived one refresh, 403). */
export class WaykeAuthError extends AuthError {
  declare readonly context: WaykeErrorContext;
  constructor(message: string, context: WaykeErrorContext, options?: { cause?: unknown }) {
    super(message, context, options);
  }
}

/** A transient failure that outlived the client's retries; retrying later may succeed. */
export class WaykeRetryableError extends UnavailableError {
  declare readonly context: WaykeErrorContext;
  /** When Wayke asked to wait longer than the cap: the wait it asked for, in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, context: WaykeErrorContext, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(
      message,
      { ...context, ...(options?.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}) },
      options,
    );
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** Any error of the Wayke family. */
export type WaykeError = WaykeValidationError | WaykeNotFoundError | WaykeAuthError | WaykeRetryableError;

export const isWaykeError = (error: unknown): error is WaykeError =>
  error instanceof WaykeValidationError ||
  error instanceof WaykeNotFoundError ||
  error instanceof WaykeAuthError ||
  error instanceof WaykeRetryableError;
