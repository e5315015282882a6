/**
 * The token call, and what its failures mean. It is the first call of every run, so a wrong
 * `WAYKE_AUTH_URL` shows here first: an endpoint that is not there (404, 405 or any other 4xx but
 * the credential refusals) or an answer that is not a token (an HTML page, JSON without
 * `access_token`) is a {@link WaykeSettingError}, raised at once and never retried. A host that
 * refuses the connection may be restarting, so it is retried like any connection failure; when
 * every attempt was refused, the retryable error it ends in carries the setting error as its
 * cause (and says so), which is what makes an import stop there instead of failing car by car.
 * Refused credentials (400/401) stay a `WaykeAuthError`; throttling, 5xx, 408 and timeouts stay
 * plainly retryable.
 */
import * as z from 'zod';
import { ConfigError } from '../core/errors.js';
import { AttemptFailure, classifyAnswer, type Answer, type AnsweredCall, type Scrub } from './wayke-answer.js';
import { WaykeRetryableError, type WaykeErrorContext } from './wayke-errors.js';
import type { FetchedToken } from './wayke-token-cache.js';

/** The setting that names the token host, as every wiring reads it. */
export const AUTH_URL_SETTING = 'WAYKE_AUTH_URL';
/** The token endpoint under the auth host's base URL. */
export const TOKEN_PATH = '/connect/token';

const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive().optional(),
  token_type: z.string().optional(),
});
/** Lifetime assumed when the token answer names none. */
const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;

/** Statuses of the token endpoint that mean what they mean on any call (refused credentials, or try later). */
const ANSWERS_AS_USUAL = new Set([400, 401, 408, 429]);
/** Connection failures that mean "nothing listens there" or "no such host": the URL, not the moment. */
const SETTING_CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND']);

/** The context of a setting error: which setting, and what the endpoint answered (when it answered). */
export interface WaykeSettingContext extends WaykeErrorContext {
  readonly setting: string;
  /**
   * The token endpoint's HTTP status. Not `status`: callers read a 404 `status` as "the ad is
   * gone", and this error is about no ad.
   */
  readonly answeredStatus?: number;
}

/** A Wayke setting is wrong (the token endpoint's URL): no call can succeed until someone fixes it. */
export class WaykeSettingError extends ConfigError {
  declare readonly context: WaykeSettingContext;
  constructor(message: string, context: WaykeSettingContext, options?: { cause?: unknown }) {
    super(message, context, options);
  }
}

/** The client-credentials form the token endpoint takes. */
export function tokenForm(credentials: { readonly clientId: string; readonly clientSecret: string }): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
    scope: 'api-resource',
  });
}

/** The token endpoint as a message shows it: origin and path, never user info or a query. */
function endpointOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

function settingError(url: string, what: string, details: { answeredStatus?: number; cause?: unknown } = {}) {
  const { answeredStatus, cause } = details;
  return new WaykeSettingError(
    `Wayke's token endpoint (POST ${endpointOf(url)}) ${what}: check ${AUTH_URL_SETTING}, the base URL of Wayke's auth host (${TOKEN_PATH} is added to it)`,
    {
      operation: 'token',
      setting: AUTH_URL_SETTING,
      request: `POST ${TOKEN_PATH}`,
      ...(answeredStatus !== undefined ? { answeredStatus } : {}),
    },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The error a token call ends in when its attempts are spent: a refused connection (or a host that
 * does not resolve) on every attempt is retryable, caused by the setting; any other failure is
 * undefined here (the transport's ordinary retryable error).
 */
export function unreachableTokenEndpoint(
  gaveUp: { readonly message: string; readonly context: WaykeErrorContext },
  failure: AttemptFailure,
  url: string,
): WaykeRetryableError | undefined {
  if (failure.kind !== 'network' || !failure.code || !SETTING_CONNECTION_CODES.has(failure.code)) return undefined;
  const setting = settingError(url, `could not be reached (${failure.code})`, { cause: failure });
  return new WaykeRetryableError(`${gaveUp.message}. ${setting.message}`, gaveUp.context, { cause: setting });
}

/** A non-2xx token answer: refused credentials or a transient failure as on any call, else the setting. */
export function classifyTokenAnswer(
  call: AnsweredCall,
  answer: Answer,
  context: { readonly attempts: number; readonly scrub: Scrub; readonly url: string },
): Error {
  const { status } = answer;
  if (ANSWERS_AS_USUAL.has(status) || status >= 500)
    return classifyAnswer(call, answer, context.attempts, context.scrub);
  return settingError(context.url, `answered HTTP ${status}`, { answeredStatus: status });
}

/** The token of a 2xx answer; an answer that holds none means the URL points at something else. */
export function tokenOfAnswer(answer: { readonly status: number; readonly body: unknown }, url: string): FetchedToken {
  const parsed = TokenResponseSchema.safeParse(answer.body);
  if (!parsed.success) {
    // The body itself is never quoted: it could be anything (a login page, someone else's JSON).
    const shape = typeof answer.body === 'object' && answer.body !== null ? 'JSON without an access_token' : 'not JSON';
    throw settingError(url, `answered HTTP ${answer.status} with no token (the answer is ${shape})`, {
      answeredStatus: answer.status,
    });
  }
  return {
    accessToken: parsed.data.access_token,
    expiresInSeconds: parsed.data.expires_in ?? DEFAULT_TOKEN_LIFETIME_SECONDS,
  };
}
