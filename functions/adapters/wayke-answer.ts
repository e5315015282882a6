/**
 * What a Wayke answer means: a non-2xx status becomes an error of the Wayke family (permanent) or
 * an {@link AttemptFailure} the transport's retry loop may retry. Also the helpers that keep
 * credentials out of every message built from outside text.
 */
import {
  WaykeAuthError,
  WaykeNotFoundError,
  WaykeRetryableError,
  WaykeValidationError,
  type WaykeErrorContext,
} from './wayke-errors.js';
import { parseRetryAfterMs } from './wayke-retry.js';

/** What a call names about itself in errors and logs: identifiers only. */
export type CallContext = Omit<WaykeErrorContext, 'operation'>;

/** A failure of one attempt, with what the retry loop needs to know. */
export class AttemptFailure extends Error {
  /** The system error code of a failed connection (`ECONNREFUSED` …), when there was one. */
  readonly code: string | undefined;

  constructor(
    message: string,
    readonly kind: 'throttled' | 'server' | 'timeout' | 'network',
    readonly status?: number,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown; code?: string },
  ) {
    super(message, options);
    this.name = 'AttemptFailure';
    this.code = options?.code;
  }
  /** The request may have reached Wayke and been applied. */
  get ambiguous(): boolean {
    return this.kind !== 'throttled';
  }
}

/** Removes credentials from text that came from outside (Wayke's messages, error causes), and trims it. */
export type Scrub = (text: string) => string;

const MAX_OUTSIDE_TEXT = 300;
/** Shorter values are too likely to occur by chance in ordinary text to be worth redacting. */
const MIN_REDACTED_LENGTH = 4;

export function makeScrub(clientId: string, clientSecret: string): Scrub {
  const secrets = [clientSecret, encodeURIComponent(clientSecret), clientId].filter(
    (secret) => secret.length >= MIN_REDACTED_LENGTH,
  );
  return (text) => {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join('[redacted]');
    return out.length > MAX_OUTSIDE_TEXT ? `${out.slice(0, MAX_OUTSIDE_TEXT)}…` : out;
  };
}

/** `Wayke createAd for ABC123`, `Wayke getAd for ad 42`: the start of every error message. */
export function describeCall(operation: string, context: CallContext): string {
  if (context.registrationNumber) return `Wayke ${operation} for ${context.registrationNumber}`;
  if (context.adId) return `Wayke ${operation} for ad ${context.adId}`;
  return `Wayke ${operation}`;
}

/** The request a non-2xx answer belongs to. */
export interface AnsweredCall {
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  /** The token endpoint answers bad credentials with 400/401. */
  readonly isTokenCall: boolean;
  readonly context: CallContext;
}

export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Headers;
}

/** Turns a non-2xx answer into a family error, or an AttemptFailure for the retry loop. */
export function classifyAnswer(call: AnsweredCall, answer: Answer, attempts: number, scrub: Scrub): Error {
  const { status } = answer;
  if (status === 429) return retryableFailure('throttled (429)', 'throttled', answer);
  // A 503 may carry Retry-After too; honour it like a 429's.
  if (status >= 500 || status === 408) return retryableFailure(`HTTP ${status}`, 'server', answer);
  return refusal(call, answer, attempts, scrub);
}

function retryableFailure(message: string, kind: 'throttled' | 'server', answer: Answer): AttemptFailure {
  return new AttemptFailure(
    message,
    kind,
    answer.status,
    parseRetryAfterMs(answer.headers.get('retry-after'), Date.now()),
  );
}

/** A permanent refusal: auth, not found, or rejected content. */
function refusal(call: AnsweredCall, answer: Answer, attempts: number, scrub: Scrub): Error {
  const { status } = answer;
  const context: WaykeErrorContext = {
    operation: call.operation,
    status,
    attempts,
    request: `${call.method} ${call.path}`,
    ...call.context,
  };
  const what = describeCall(call.operation, call.context);
  const { message: raw, field } = waykeMessage(answer.body);
  const message = raw === undefined ? undefined : scrub(raw);
  const said = message ? `: ${message}` : '';
  // The answer itself, as the cause: status, request and Wayke's words (scrubbed, trimmed).
  const withCause = { cause: new Error(`HTTP ${status} for ${call.method} ${call.path}${said}`) };
  if (call.isTokenCall && (status === 400 || status === 401)) {
    const why = `HTTP ${status}${message ? `, ${message}` : ''}`;
    return new WaykeAuthError(`Wayke refused the client credentials (${why})`, context, withCause);
  }
  if (status === 401 || status === 403)
    return new WaykeAuthError(`${what} was refused: HTTP ${status}${said}`, context, withCause);
  if (status === 404) return new WaykeNotFoundError(`${what}: not found (HTTP 404)${said}`, context, withCause);
  const details = { ...(message ? { waykeMessage: message } : {}), ...(field ? { field } : {}) };
  return new WaykeValidationError(`${what} was rejected: HTTP ${status}${said}`, context, details, withCause);
}

/** A failure the retry loop gave up on, or a Retry-After beyond the cap, as the family's retryable error. */
export function retryableError(
  message: string,
  context: WaykeErrorContext,
  failure: AttemptFailure,
): WaykeRetryableError {
  return new WaykeRetryableError(
    message,
    { ...context, ...(failure.status !== undefined ? { status: failure.status } : {}) },
    { cause: failure, ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}) },
  );
}

/** Wayke's message and field from an error body (ProblemDetails, `{ message, field }`, OAuth `error`). */
export function waykeMessage(body: unknown): { message?: string; field?: string } {
  if (typeof body === 'string') return body.trim() ? { message: body.trim() } : {};
  if (!body || typeof body !== 'object') return {};
  const record = body as Record<string, unknown>;
  const first = firstValidationError(record.errors);
  const field = stringAt(record, 'field') ?? first?.field;
  const message =
    stringAt(record, 'message') ??
    first?.message ??
    stringAt(record, 'detail') ??
    stringAt(record, 'error_description') ??
    stringAt(record, 'title') ??
    stringAt(record, 'error');
  return { ...(message ? { message } : {}), ...(field ? { field } : {}) };
}

/** A non-empty string under `key`. */
function stringAt(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value ? value : undefined;
}

/** The first entry of ProblemDetails' `errors` map (`{ "vehicle.mileage": ["too high"] }`). */
function firstValidationError(errors: unknown): { field: string; message: string } | undefined {
  if (!errors || typeof errors !== 'object' || Array.isArray(errors)) return undefined;
  const [first] = Object.entries(errors as Record<string, unknown>);
  if (!first) return undefined;
  const [field, value] = first;
  const messages: unknown[] = Array.isArray(value) ? value : [value];
  return { field, message: `${field}: ${messages.filter((m) => typeof m === 'string').join(', ')}` };
}
