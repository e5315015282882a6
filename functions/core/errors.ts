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

export const isRetryable = (error: unknown): boolean => error instanceof WaykeDmsError && error.retryable;
