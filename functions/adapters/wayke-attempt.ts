/**
 * One HTTP exchange with Wayke: the request as fetch wants it, the answer's body parsed, and a
 * failed exchange (timeout, refused connection) as an {@link AttemptFailure}. One debug line per
 * exchange. No retries, no auth decisions: those are the transport's.
 */
import type { Log } from '../ports.js';
import { AttemptFailure, type Answer, type CallContext, type Scrub } from './wayke-answer.js';

/** A request to Wayke as an endpoint names it: the operation, the path on its host, the body. */
export interface WaykeRequest {
  readonly operation: string;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  readonly path: string;
  readonly json?: unknown;
  readonly form?: FormData | URLSearchParams;
  readonly context: CallContext;
}

/** One exchange: the request with what one attempt adds (the full URL, the token, the attempt number). */
export interface Exchange extends WaykeRequest {
  readonly url: string;
  readonly token: string | undefined;
  readonly attempt: number;
}

export interface ExchangeOptions {
  readonly timeoutMs: number;
  readonly scrub: Scrub;
  readonly log: Log | undefined;
}

/** Sends one request; returns status, parsed body and headers, or throws an AttemptFailure. */
export async function exchange(request: Exchange, options: ExchangeOptions): Promise<Answer> {
  const started = performance.now();
  let status: number | undefined;
  try {
    const response = await fetch(request.url, {
      ...requestInit(request),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    status = response.status;
    return { status, body: parseBody(await response.text()), headers: response.headers };
  } catch (error) {
    throw attemptFailureOf(error, status, options);
  } finally {
    logExchange(options.log, request, status, performance.now() - started);
  }
}

function requestInit(request: Exchange): RequestInit {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  if (request.json !== undefined) {
    headers['content-type'] = 'application/json';
    return { method: request.method, headers, body: JSON.stringify(request.json) };
  }
  return { method: request.method, headers, ...(request.form ? { body: request.form } : {}) };
}

/** JSON when it is JSON, the text otherwise (an HTML error page), undefined when empty. */
function parseBody(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function attemptFailureOf(error: unknown, status: number | undefined, options: ExchangeOptions): AttemptFailure {
  const { name, code, message } = errorFacts(error);
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new AttemptFailure(`timed out after ${options.timeoutMs} ms`, 'timeout', status, undefined, {
      cause: error,
    });
  }
  // The original error may quote the URL or a header: only its scrubbed message goes on as the cause.
  return new AttemptFailure(`connection failed (${code || 'network error'})`, 'network', status, undefined, {
    cause: new Error(options.scrub(message)),
    ...(code ? { code } : {}),
  });
}

/** fetch's failures put the system error code (ECONNREFUSED …) on `cause`. */
function errorFacts(error: unknown): { name: string | undefined; code: string | undefined; message: string } {
  const shaped = (error ?? {}) as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  return { name: shaped.name, code: shaped.cause?.code ?? shaped.code, message: String(shaped.message ?? error) };
}

function logExchange(log: Log | undefined, request: Exchange, status: number | undefined, durationMs: number): void {
  log?.debug('Wayke call', {
    operation: request.operation,
    method: request.method,
    path: request.path,
    status: status ?? 0,
    durationMs: Math.round(durationMs),
    attempt: request.attempt,
    ...(request.context.registrationNumber ? { registrationNumber: request.context.registrationNumber } : {}),
  });
}
