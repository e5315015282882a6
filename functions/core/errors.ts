/**
 * The project's error family. Retryable and permanent failures are different types so that only
 * the edge (a handler, the CLI) decides what becomes an HTTP code, a batch-item failure or an exit
 * status. Context carries identifiers (dealer, file, row, plate, operation, HTTP status) — never
 * personal data or secrets.
 */
export interface ErrorContext {
  readonly dealerId?: string;
  readonly file?: string;
  readonly row?: number;
  readonly registrationNumber?: string;
  readonly operation?: string;
  readonly status?: number;
  readonly [key: string]: string | number | boolean | undefined;
}

export abstract class WaykeDmsError extends Error {
  /** True when the same call may succeed later without anyone changing anything. */
  abstract readonly retryable: boolean;
  readonly context: ErrorContext;

  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.context = context;
  }
}

/** A failure that will not go away by retrying: bad input, a rejected request, missing config. */
export class PermanentError extends WaykeDmsError {
  readonly retryable = false;
}

/** A failure worth retrying later: throttling, timeouts, 5xx, a busy lease. */
export class RetryableError extends WaykeDmsError {
  readonly retryable = true;
}

/** Configuration that cannot be used; raised at start-up so it fails loudly, not on first use. */
export class ConfigError extends PermanentError {}

/*
 * Port errors: what a port's caller may react to, whatever the adapter behind it. Adapters throw
 * subclasses (`WaykeNotFoundError extends NotFoundError`), the core tests with `instanceof`, so a
 * fake port in a core test exercises the same recovery paths as the real adapter.
 */

/** The thing asked for does not exist (an ad, a branch, an object): 404. */
export class NotFoundError extends PermanentError {}

/** The request was refused as it stands (bad content, a conflicting state): 400, 409, 422. */
export class RejectedError extends PermanentError {}

/** The caller's credentials were refused or lack the right: permanent until someone fixes them. */
export class AuthError extends PermanentError {}

/** The other side is throttling, failing or unreachable; the same call may succeed later. */
export class UnavailableError extends RetryableError {}

export const isRetryable = (error: unknown): boolean => error instanceof WaykeDmsError && error.retryable;

/** An error's message as a report or log line shows it (its name when it has no message). */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
