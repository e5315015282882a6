/**
 * A small demo DMS: what a dealer's DMS team would build to receive the project's events. It
 * verifies each delivery's Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, key = the base64
 * part of the dealer's `whsec_` secret), answers 204 when it holds and 401 when it does not, and
 * keeps every delivery (in memory and as JSON lines under its directory) for the console and for
 * scripts: `GET /dealers/<id>/events` lists them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { RunningServer } from './engines.js';

/** Deliveries older or newer than this are refused (replay protection, as the spec suggests). */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;
const MAX_BODY_BYTES = 1024 * 1024;

export interface DemoDmsDelivery {
  readonly dealerId: string;
  readonly webhookId: string;
  readonly receivedAt: string;
  readonly verified: boolean;
  /** Why verification failed, when it did. */
  readonly problem?: string;
  /** True when this `webhook-id` was already accepted before (a redelivery). */
  readonly duplicate: boolean;
  readonly type?: string;
  readonly registrationNumber?: string;
  readonly body: unknown;
}

export interface DemoDms extends RunningServer {
  readonly port: number;
  /** The URL a dealer's `dms.webhook` target points at. */
  urlFor(dealerId: string): string;
  deliveries(dealerId?: string): readonly DemoDmsDelivery[];
  /** Called for every delivery, verified or not. */
  onDelivery(listener: (delivery: DemoDmsDelivery) => void): void;
}

/** Verifies a Standard Webhooks signature; returns null when valid, else the reason. */
export function verifyStandardWebhook(input: {
  secret: string;
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
  now?: Date;
}): string | null {
  if (!input.id || !input.timestamp || !input.signature)
    return 'missing webhook-id, webhook-timestamp or webhook-signature';
  const seconds = Number(input.timestamp);
  if (!Number.isInteger(seconds)) return 'webhook-timestamp is not a number of seconds';
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - seconds) > TIMESTAMP_TOLERANCE_SECONDS) return 'webhook-timestamp outside the tolerance';
  const key = Buffer.from(input.secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${input.id}.${input.timestamp}.${input.body}`).digest();
  for (const candidate of input.signature.split(' ')) {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return null;
  }
  return 'signature does not match';
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The body as JSON, or as the text it is when it is not JSON. */
function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/** What one POST delivered: its signature checked, its event type and plate picked out. */
function deliveryOf(input: {
  dealerId: string;
  req: IncomingMessage;
  body: string;
  secret: string | undefined;
  accepted: ReadonlySet<string>;
}): DemoDmsDelivery {
  const { dealerId, req, body, secret } = input;
  const webhookId = headerOf(req, 'webhook-id') ?? '';
  const problem = secret
    ? verifyStandardWebhook({
        secret,
        id: headerOf(req, 'webhook-id'),
        timestamp: headerOf(req, 'webhook-timestamp'),
        signature: headerOf(req, 'webhook-signature'),
        body,
      })
    : 'unknown dealer';
  const parsed = parseBody(body);
  const event = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
    type?: unknown;
    vehicle?: { registrationNumber?: unknown };
  };
  return {
    dealerId,
    webhookId,
    receivedAt: new Date().toISOString(),
    verified: problem === null,
    ...(problem ? { problem } : {}),
    duplicate: problem === null && input.accepted.has(webhookId),
    ...(typeof event.type === 'string' ? { type: event.type } : {}),
    ...(typeof event.vehicle?.registrationNumber === 'string'
      ? { registrationNumber: event.vehicle.registrationNumber }
      : {}),
    body: parsed,
  };
}

/** Starts the demo DMS on 127.0.0.1 (port 4020 in `npm start`). */
export async function startDemoDms(options: {
  /** The dealer's `dmsSigningSecret` (looked up per request). */
  signingSecret: (dealerId: string) => string | undefined;
  /** Where deliveries are appended as JSON lines (`<dealerId>.jsonl`); absent: memory only. */
  directory?: string;
  port?: number;
}): Promise<DemoDms> {
  const received: DemoDmsDelivery[] = [];
  const accepted = new Set<string>();
  const listeners: Array<(delivery: DemoDmsDelivery) => void> = [];
  if (options.directory) mkdirSync(options.directory, { recursive: true });

  /** Keeps a delivery in memory, in the dealer's JSON lines file, and tells the listeners. */
  const record = (delivery: DemoDmsDelivery) => {
    if (delivery.verified) accepted.add(delivery.webhookId);
    received.push(delivery);
    if (options.directory)
      appendFileSync(join(options.directory, `${delivery.dealerId}.jsonl`), `${JSON.stringify(delivery)}\n`);
    for (const listener of listeners) listener(delivery);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/dealers\/([a-z0-9-]{2,40})\/events$/.exec(url.pathname);
    if (!match) return send(res, 404, { error: 'POST /dealers/<dealerId>/events' });
    const dealerId = match[1]!;
    if (req.method === 'GET')
      return send(
        res,
        200,
        received.filter((delivery) => delivery.dealerId === dealerId),
      );
    if (req.method !== 'POST') return send(res, 405, { error: 'method not allowed' });
    const body = await readBody(req);
    if (body === null) return send(res, 413, { error: 'too large' });
    const delivery = deliveryOf({ dealerId, req, body, secret: options.signingSecret(dealerId), accepted });
    record(delivery);
    send(res, delivery.verified ? 204 : 401, delivery.verified ? undefined : { error: delivery.problem });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: 'demo DMS failed' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    urlFor: (dealerId) => `${url}/dealers/${dealerId}/events`,
    deliveries: (dealerId) =>
      dealerId ? received.filter((delivery) => delivery.dealerId === dealerId) : [...received],
    onDelivery: (listener) => listeners.push(listener),
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
