/** The token host and the bearer check alone, on a `SimulatorState` and a given clock. */
import { describe, expect, it } from 'vitest';
import { authenticate, issueToken, mayActFor, revokeTokens } from '../../../functions/local/wayke-simulator/auth.js';
import { HttpAnswer } from '../../../functions/local/wayke-simulator/http.js';
import { SimulatorState } from '../../../functions/local/wayke-simulator/state.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
const credentials = { grant_type: 'client_credentials', client_id: 'dealer', client_secret: 's3cret' };

const newState = (): SimulatorState =>
  new SimulatorState({ clients: [{ clientId: 'dealer', clientSecret: 's3cret', branchIds: ['b1'] }] });

function tokenFrom(answer: HttpAnswer): string {
  expect(answer.status).toBe(200);
  return (answer.body as { access_token: string }).access_token;
}

describe('Wayke simulator auth', () => {
  it('a token is valid until its lifetime has passed, then answers 401 "token invalid or expired"', () => {
    const state = newState();
    const token = tokenFrom(issueToken(state, form(credentials), 60, T0));
    expect(authenticate(state, `Bearer ${token}`, T0 + 59_999)).toMatchObject({ clientId: 'dealer' });
    const expired = authenticate(state, `Bearer ${token}`, T0 + 60_000);
    expect(expired).toBeInstanceOf(HttpAnswer);
    expect(expired).toMatchObject({ status: 401, body: { message: 'token invalid or expired' } });
    expect((expired as HttpAnswer).headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('a refresh after expiry is a new token that works while the old one stays refused', () => {
    const state = newState();
    const old = tokenFrom(issueToken(state, form(credentials), 60, T0));
    const fresh = tokenFrom(issueToken(state, form(credentials), 60, T0 + 61_000));
    expect(fresh).not.toBe(old);
    expect(authenticate(state, `Bearer ${fresh}`, T0 + 61_000)).toMatchObject({ clientId: 'dealer' });
    expect(authenticate(state, `Bearer ${old}`, T0 + 61_000)).toBeInstanceOf(HttpAnswer);
    expect(state.tokensIssued).toBe(2);
  });

  it('issues with expires_in as configured, no-store, and the client branch scope', () => {
    const state = newState();
    const answer = issueToken(state, form(credentials), 120, T0);
    expect(answer.body).toMatchObject({ expires_in: 120, token_type: 'Bearer', scope: 'api-resource' });
    expect(answer.headers['cache-control']).toBe('no-store');
    const token = authenticate(state, `Bearer ${tokenFrom(answer)}`, T0);
    expect(mayActFor(token as never, 'b1')).toBe(true);
    expect(mayActFor(token as never, 'b2')).toBe(false);
  });

  it.each([
    ['a wrong secret', { ...credentials, client_secret: 'nope' }, 'invalid_client'],
    ['a secret of another length', { ...credentials, client_secret: 's3cret-longer' }, 'invalid_client'],
    ['an unknown client', { ...credentials, client_id: 'other' }, 'invalid_client'],
    ['another grant', { ...credentials, grant_type: 'password' }, 'unsupported_grant_type'],
    ['another scope', { ...credentials, scope: 'openid' }, 'invalid_scope'],
  ])('refuses %s with 400 %s and issues nothing', (_case, fields, error) => {
    const state = newState();
    const answer = issueToken(state, form(fields), 60, T0);
    expect(answer).toMatchObject({ status: 400, body: { error } });
    expect(state.tokens.size).toBe(0);
    expect(state.tokensIssued).toBe(0);
  });

  it.each([
    ['no header', undefined, 'bearer token required'],
    ['another scheme', 'Basic abc', 'bearer token required'],
    ['an unknown token', 'Bearer not-issued', 'token invalid or expired'],
  ])('answers 401 to %s', (_case, header, message) => {
    expect(authenticate(newState(), header, T0)).toMatchObject({ status: 401, body: { message } });
  });

  it('revoking makes every issued token invalid and says how many there were', () => {
    const state = newState();
    const a = tokenFrom(issueToken(state, form(credentials), 60, T0));
    tokenFrom(issueToken(state, form(credentials), 60, T0));
    expect(revokeTokens(state)).toBe(2);
    expect(authenticate(state, `Bearer ${a}`, T0)).toBeInstanceOf(HttpAnswer);
    expect(revokeTokens(state)).toBe(0);
  });
});
