import { createHash, timingSafeEqual } from 'node:crypto';
import type { AcceptedKey, KeyVerifier } from '../../ports.js';

/** Request headers with lower-case names (API Gateway v2 lower-cases them). */
export type Headers = Readonly<Record<string, string | undefined>>;

/**
 * The credentials a caller presented, in the three forms Wayke's integration settings allow:
 * `Authorization: Bearer <secret>`, `x-api-key: <secret>`, or the password of HTTP Basic auth.
 */
export function presentedCredentials(headers: Headers): string[] {
  const found: string[] = [];
  const apiKey = headers['x-api-key'];
  if (apiKey) found.push(apiKey.trim());
  const authorization = headers.authorization?.trim();
  if (authorization) {
    const space = authorization.indexOf(' ');
    const scheme = space > 0 ? authorization.slice(0, space).toLowerCase() : '';
    const value = space > 0 ? authorization.slice(space + 1).trim() : '';
    if (scheme === 'bearer' && value) found.push(value);
    if (scheme === 'basic' && value) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) found.push(decoded.slice(colon + 1));
    }
  }
  return found.filter((value) => value.length > 0);
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** The verifier stored in place of an inbound key (its SHA-256, hex). */
export const keyVerifier = (key: string): KeyVerifier => ({ sha256: digest(key).toString('hex') });

/** The digest to compare with; a verifier that is no SHA-256 (64 hex digits) matches nothing. */
const acceptedDigest = (key: AcceptedKey): Buffer | undefined =>
  typeof key === 'string'
    ? key.length > 0
      ? digest(key)
      : undefined
    : /^[0-9a-f]{64}$/i.test(key.sha256)
      ? Buffer.from(key.sha256, 'hex')
      : undefined;

/**
 * True when any presented credential equals any accepted secret (the current one and, during a
 * rotation, the previous one), given as the key or as its verifier. Compares fixed-length digests in constant time and checks every
 * pair, so neither the length nor the position of a match leaks through timing.
 */
export function credentialsMatch(headers: Headers, acceptedSecrets: readonly (AcceptedKey | undefined)[]): boolean {
  const accepted = acceptedSecrets
    .map((secret) => (secret === undefined ? undefined : acceptedDigest(secret)))
    .filter((secret): secret is Buffer => secret !== undefined);
  let match = false;
  for (const presented of presentedCredentials(headers).map(digest)) {
    for (const secret of accepted) {
      // Bitwise OR, not ||: no short-circuit.
      match = timingSafeEqual(presented, secret) || match;
    }
  }
  return match;
}
