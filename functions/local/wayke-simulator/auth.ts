/**
 * The token host and the bearer check: client credentials in, an opaque token out, valid for the
 * configured lifetime until it expires or is revoked; branch-scoped clients act for their branches only.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { HttpAnswer } from './http.js';
import type { SimulatorState } from './state.js';
import type { Token } from './types.js';

const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The form's problem as an OAuth error code, or undefined when the grant and scope are acceptable. */
function grantProblem(form: URLSearchParams): string | undefined {
  if (form.get('grant_type') !== 'client_credentials') return 'unsupported_grant_type';
  const scope = form.get('scope');
  if (scope !== null && !scope.split(' ').includes('api-resource')) return 'invalid_scope';
  return undefined;
}

/** `POST /connect/token` with a form body; `now` is epoch ms. */
export function issueToken(state: SimulatorState, body: string, lifetimeSeconds: number, now = Date.now()): HttpAnswer {
  const form = new URLSearchParams(body);
  const problem = grantProblem(form);
  if (problem) return new HttpAnswer(400, { error: problem });
  const client = state.clients.find((c) => c.clientId === form.get('client_id'));
  if (!client || !sameSecret(client.clientSecret, form.get('client_secret') ?? ''))
    return new HttpAnswer(400, { error: 'invalid_client' });
  const token = randomBytes(32).toString('base64url');
  state.tokens.set(token, {
    clientId: client.clientId,
    ...(client.branchIds ? { branchIds: client.branchIds } : {}),
    expiresAt: now + lifetimeSeconds * 1000,
  });
  state.tokensIssued += 1;
  return new HttpAnswer(
    200,
    { access_token: token, expires_in: lifetimeSeconds, token_type: 'Bearer', scope: 'api-resource' },
    { 'cache-control': 'no-store' },
  );
}

/** The token an `Authorization` header carries, or the 401 to answer. */
export function authenticate(state: SimulatorState, header: string | undefined, now = Date.now()): Token | HttpAnswer {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  const found = bearer ? state.tokens.get(bearer) : undefined;
  if (found && found.expiresAt > now) return found;
  return new HttpAnswer(
    401,
    { title: 'Unauthorized', status: 401, message: bearer ? 'token invalid or expired' : 'bearer token required' },
    { 'www-authenticate': 'Bearer error="invalid_token"' },
  );
}

/** Makes every issued token invalid; returns how many there were. */
export function revokeTokens(state: SimulatorState): number {
  const n = state.tokens.size;
  state.tokens.clear();
  return n;
}

export const mayActFor = (token: Token, branch: string): boolean =>
  !token.branchIds || token.branchIds.includes(branch);
