import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): headers `webhook-id`,
 * `webhook-timestamp` (Unix seconds) and `webhook-signature` = `v1,<base64 HMAC-SHA256 of
 * "{id}.{timestamp}.{body}">`, keyed with the base64 part of a `whsec_` secret — so any DMS can
 * verify a delivery with a standard library.
 */

const SECRET_PREFIX = 'whsec_';

/** The raw key of a `whsec_<base64>` secret; throws without echoing the secret. */
export function signingKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('signing secret must start with "whsec_"');
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new Error('signing secret is not "whsec_" followed by base64');
  const key = Buffer.from(encoded, 'base64');
  if (key.length < 16) throw new Error('signing secret key is shorter than 16 bytes');
  return key;
}

/** `v1,<base64 signature>` of one message. */
export function signWebhook(input: { id: string; timestamp: number; body: string; secret: string }): string {
  const mac = createHmac('sha256', signingKey(input.secret))
    .update(`${input.id}.${input.timestamp}.${input.body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/** The three headers of a signed delivery. */
export function webhookHeaders(input: {
  id: string;
  timestamp: number;
  body: string;
  secret: string;
}): Record<string, string> {
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': signWebhook(input),
  };
}

/**
 * Verifies a delivery the way a receiving DMS does: any `v1,` signature in the space-separated
 * header matches, and the timestamp is within `toleranceSeconds` of `nowSeconds`.
 */
export function verifyWebhook(input: {
  id: string;
  timestamp: string;
  signatureHeader: string;
  body: string;
  secret: string;
  nowSeconds: number;
  toleranceSeconds?: number;
}): boolean {
  const timestamp = Number(input.timestamp);
  if (!Number.isInteger(timestamp)) return false;
  if (Math.abs(input.nowSeconds - timestamp) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(
    signWebhook({ id: input.id, timestamp, body: input.body, secret: input.secret }).slice(3),
    'base64',
  );
  return input.signatureHeader.split(' ').some((part) => {
    const [version, signature] = part.split(',', 2);
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
