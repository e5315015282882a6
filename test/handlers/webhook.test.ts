import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readEnv } from '../../functions/adapters/env.js';
import { MemoryLog } from '../../functions/adapters/logger.js';
import { SecretsManagerInboundAuthStore } from '../../functions/adapters/secrets-manager-secret-store.js';
import { build, WebhookEnvSchema } from '../../functions/handlers/wiring/webhook.js';
import { eventId } from '../../functions/core/events/identity.js';
import { EventMessageSchema } from '../../functions/core/events/message.js';
import { startLocalHttpApi } from '../../functions/local/dev/api-gateway.js';
import {
  FIXTURES,
  createFifoPair,
  drainQueue,
  findPersonalData,
  personalDataInFixtures,
  sqsClient,
  startLocalSqs,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
} from '../support/webhooks.js';

const DEALER = 'bilhallen';
const SECRET = 'current-webhook-secret';
const OLD_SECRET = 'previous-webhook-secret';
const AD = '5f1c2b7e-0a4d-4c1e-9a57-3e2f1d9b8c01';
const CALL_AD = '9b3e4f10-2c7a-4d8e-b1f6-7a0c5e2d9f44';

const secretsMock = mockClient(SecretsManagerClient);
const setSecrets = (extra: Record<string, string> = {}) =>
  secretsMock.on(GetSecretValueCommand, { SecretId: `wayke-dms/inbound/${DEALER}` }).resolves({
    SecretString: JSON.stringify({
      waykeClientId: 'c',
      waykeClientSecret: 's',
      webhookSecret: SECRET,
      dmsSigningSecret: 'whsec_AAAAAAAAAAAAAAAAAAAAAA==',
      ...extra,
    }),
  });

let sqsServer: { url: string; stop(): Promise<void> };
let sqs: SQSClient;
let queueUrl: string;
let handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
const log = new MemoryLog();
/** Everything the handler logged from line `from` on, as text. */
const printedSince = (from = 0): string => JSON.stringify(log.lines.slice(from));

beforeAll(async () => {
  sqsServer = await startLocalSqs();
  sqs = sqsClient(sqsServer.url);
  ({ queueUrl } = await createFifoPair(sqs, 'webhook-test-events'));
  const dir = mkdtempSync(join(tmpdir(), 'webhook-handler-'));
  const dealers = join(dir, 'dealers.json');
  const branchId = '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';
  writeFileSync(
    dealers,
    JSON.stringify({
      dealers: [
        { id: DEALER, name: 'Bilhallen', branchId, dms: { type: 'webhook', url: 'https://dms.example.test/events' } },
        { id: 'quiet', name: 'No DMS', branchId },
      ],
    }),
  );
  const env = readEnv(WebhookEnvSchema, {
    EVENTS_QUEUE_URL: queueUrl,
    DEALERS_FILE: dealers,
    SECRET_PREFIX: 'wayke-dms/',
    INBOUND_SECRET_PREFIX: 'wayke-dms/inbound/',
    SECRET_MAX_AGE_SECONDS: '0',
  });
  // The real Secrets Manager store over a mocked client: the test checks which secrets it reads.
  const secrets = new SecretsManagerInboundAuthStore({
    client: new SecretsManagerClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    prefix: env.INBOUND_SECRET_PREFIX,
    maxAgeMs: env.SECRET_MAX_AGE_SECONDS * 1000,
    clock: { now: () => new Date() },
  });
  handler = build(env, { log, metrics: new Metrics({ namespace: 'WaykeDmsTest' }), sqs, secrets });
});

afterAll(async () => {
  secretsMock.restore();
  sqs.destroy();
  await sqsServer.stop();
});

beforeEach(async () => {
  secretsMock.reset();
  setSecrets({ previousWebhookSecret: OLD_SECRET });
  await drainQueue(sqs, queueUrl);
});

function request(
  body: string | Buffer,
  headers: Record<string, string> = {},
  dealerId = DEALER,
  base64 = false,
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/wayke/{dealerId}',
    rawPath: `/webhooks/wayke/${dealerId}`,
    rawQueryString: '',
    headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${SECRET}`, ...headers },
    pathParameters: { dealerId },
    isBase64Encoded: base64,
    body: base64 ? Buffer.from(body).toString('base64') : body.toString(),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'x',
      domainPrefix: 'x',
      requestId: 'r',
      routeKey: 'POST /webhooks/wayke/{dealerId}',
      stage: '$default',
      time: '',
      timeEpoch: 0,
      http: {
        method: 'POST',
        path: `/webhooks/wayke/${dealerId}`,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.1',
        userAgent: 'wayke',
      },
    },
  };
}
const call = (event: APIGatewayProxyEventV2) => handler(event);

describe('every documented payload is queued with its group and dedupe ids', () => {
  const groups: Record<string, string> = {
    'vehicle-updated': `${DEALER}:${AD}`,
    'purchase-contract-completed': `${DEALER}:${AD}`,
    'process-step': `${DEALER}:${CALL_AD}`,
    'new-message': `${DEALER}:${AD}`,
    'new-order': `${DEALER}:${AD}`,
    'lead-cta': `${DEALER}:${AD}`,
    'lead-call': `${DEALER}:${CALL_AD}`,
    'lead-valuation': `${DEALER}:lead:b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e`,
  };
  for (const [name, group] of Object.entries(groups)) {
    it(name, async () => {
      const raw = FIXTURES[name]!;
      const response = await call(request(raw));
      expect(response.statusCode).toBe(200);
      const { id } = JSON.parse(response.body!) as { id: string };
      expect(JSON.parse(response.body!)).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{64}$/), queued: true });
      const messages = await drainQueue(sqs, queueUrl);
      expect(messages).toHaveLength(1);
      const message = messages[0]!;
      expect(message.Attributes?.MessageGroupId).toBe(group);
      expect(message.Attributes?.MessageDeduplicationId).toBe(id);
      const body = EventMessageSchema.parse(JSON.parse(message.Body!));
      expect(body).toMatchObject({ v: 2, id, bodyHash: eventId(DEALER, raw), dealerId: DEALER });
      expect(body.payload).toEqual(JSON.parse(raw));
    });
  }

  it('the same body five times is five messages naming one body (the DMS writer tells re-sends from repeats)', async () => {
    for (let i = 0; i < 5; i++) expect((await call(request(FIXTURES['new-order']!))).statusCode).toBe(200);
    const messages = await drainQueue(sqs, queueUrl);
    expect(messages).toHaveLength(5);
    const bodies = messages.map((message) => EventMessageSchema.parse(JSON.parse(message.Body!)));
    expect(new Set(bodies.map((body) => body.bodyHash))).toEqual(new Set([eventId(DEALER, FIXTURES['new-order']!)]));
    expect(new Set(bodies.map((body) => body.id)).size).toBe(5);
  });

  it('reads only the inbound-auth secret (INBOUND_SECRET_PREFIX), never the Wayke/DMS credentials', async () => {
    expect((await call(request(FIXTURES['new-order']!))).statusCode).toBe(200);
    const asked = secretsMock.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId);
    expect(asked.length).toBeGreaterThan(0);
    for (const id of asked) expect(id).toMatch(/^wayke-dms\/inbound\//);
    await drainQueue(sqs, queueUrl);
  });

  it('accepts a base64-encoded body and an unknown eventType (as a generic event)', async () => {
    const raw = JSON.stringify({ eventType: 'SomethingNew', itemId: 'abc' });
    const response = await call(request(raw, {}, DEALER, true));
    expect(response.statusCode).toBe(200);
    const [message] = await drainQueue(sqs, queueUrl);
    expect(message?.Attributes?.MessageGroupId).toBe(`${DEALER}:abc`);
  });

  it('a dealer without a DMS target gets 200 and nothing queued', async () => {
    secretsMock.on(GetSecretValueCommand, { SecretId: 'wayke-dms/inbound/quiet' }).resolves({
      SecretString: JSON.stringify({
        waykeClientId: 'c',
        waykeClientSecret: 's',
        webhookSecret: SECRET,
        dmsSigningSecret: 'whsec_x',
      }),
    });
    const response = await call(request(FIXTURES['vehicle-updated']!, {}, 'quiet'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body!)).toMatchObject({ queued: false });
    expect(await drainQueue(sqs, queueUrl)).toHaveLength(0);
  });
});

describe('authentication', () => {
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  it.each([
    ['Bearer', { authorization: `Bearer ${SECRET}` }],
    ['x-api-key', { authorization: '', 'x-api-key': SECRET }],
    ['Basic password', { authorization: basic('wayke', SECRET) }],
    ['the previous secret during a rotation', { authorization: `Bearer ${OLD_SECRET}` }],
  ])('accepts %s', async (_name, headers) => {
    expect((await call(request(FIXTURES['vehicle-updated']!, headers))).statusCode).toBe(200);
    expect(await drainQueue(sqs, queueUrl)).toHaveLength(1);
  });

  it.each([
    ['missing', { authorization: '' }],
    ['wrong Bearer', { authorization: 'Bearer not-the-secret' }],
    ['wrong x-api-key', { authorization: '', 'x-api-key': 'not-the-secret' }],
    ['Basic with the secret as user and a wrong password', { authorization: basic(SECRET, 'wrong') }],
    ['Basic with a wrong password', { authorization: basic('wayke', 'wrong') }],
    ['the secret without a scheme', { authorization: SECRET }],
  ])('%s → 401, nothing queued', async (_name, headers) => {
    const response = await call(request(FIXTURES['vehicle-updated']!, headers));
    expect(response.statusCode).toBe(401);
    expect(await drainQueue(sqs, queueUrl)).toHaveLength(0);
  });

  it('the previous secret after the rotation window → 401, nothing queued', async () => {
    secretsMock.reset();
    setSecrets();
    expect(
      (await call(request(FIXTURES['vehicle-updated']!, { authorization: `Bearer ${OLD_SECRET}` }))).statusCode,
    ).toBe(401);
    expect(await drainQueue(sqs, queueUrl)).toHaveLength(0);
  });

  it('unknown dealer → 404, nothing queued', async () => {
    expect((await call(request(FIXTURES['vehicle-updated']!, {}, 'nobody'))).statusCode).toBe(404);
    expect(await drainQueue(sqs, queueUrl)).toHaveLength(0);
  });

  it('an unreadable secret → 5xx (Wayke retries), nothing queued', async () => {
    secretsMock.reset();
    secretsMock
      .on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }))
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    expect((await call(request(FIXTURES['vehicle-updated']!))).statusCode).toBe(500);
    // No last good value survives a deleted secret, so throttling now has nothing stale to serve.
    expect((await call(request(FIXTURES['vehicle-updated']!))).statusCode).toBe(503);
    expect(await drainQueue(sqs, queueUrl)).toHaveLength(0);
  });
});

describe('body checks', () => {
  it('not JSON (content type) → 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', '']) {
      expect((await call(request(FIXTURES['vehicle-updated']!, { 'content-type': type }))).statusCode).toBe(415);
    }
    expect(await drainQueue(sqs, queueUrl)).toHaveLength(0);
  });
  it('exactly 256 KB is accepted and fits one SQS message; one byte more → 413', async () => {
    const pad = (bytes: number) => {
      const head = JSON.stringify({ eventType: 'Big', itemId: 'x', pad: '' });
      return JSON.stringify({ eventType: 'Big', itemId: 'x', pad: 'x'.repeat(bytes - Buffer.byteLength(head)) });
    };
    expect(Buffer.byteLength(pad(256_000))).toBe(256_000);
    expect((await call(request(pad(256_000)))).statusCode).toBe(200);
    const [message] = await drainQueue(sqs, queueUrl);
    expect(Buffer.byteLength(message!.Body!)).toBeLessThanOrEqual(262_144);
    expect((await call(request(pad(256_001)))).statusCode).toBe(413);
    expect(await drainQueue(sqs, queueUrl)).toHaveLength(0);
  });
  it('over 256 KB → 413', async () => {
    const big = JSON.stringify({ eventType: 'Big', itemId: 'x', pad: 'x'.repeat(256 * 1024) });
    expect((await call(request(big))).statusCode).toBe(413);
    expect(await drainQueue(sqs, queueUrl)).toHaveLength(0);
  });
  it.each([
    ['malformed JSON', '{"id": '],
    ['a JSON array', '[1,2]'],
    ['an object of no kind', '{"hello":"world"}'],
    ['a process event missing fields', '{"eventType":"Process","processName":"Inköpsavtal"}'],
    ['an order without id', '{"orderNumber":"1","customer":{"email":"erik@example.test"}}'],
  ])('%s → 400 with a short reason, nothing queued', async (_name, body) => {
    const response = await call(request(body));
    expect(response.statusCode).toBe(400);
    const { message } = JSON.parse(response.body!) as { message: string };
    expect(message.length).toBeGreaterThan(0);
    expect(message.length).toBeLessThan(300);
    expect(message).not.toContain('erik@example.test');
    expect(await drainQueue(sqs, queueUrl)).toHaveLength(0);
  });
});

describe('edge cases Wayke (or anyone) can send', () => {
  it.each([5_000, 100_000])(
    'JSON nested %i levels deep → 400 (not a 500 Wayke retries forever), nothing queued',
    async (depth) => {
      // Prepare
      const deep = `{"eventType":"Deep","itemId":"x","nested":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      // Act
      const response = await call(request(deep));
      // Assess
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body!)).toEqual({ message: 'body nests JSON deeper than 64 levels' });
      expect(await drainQueue(sqs, queueUrl)).toHaveLength(0);
    },
  );

  it('brackets inside strings do not count as nesting', async () => {
    const body = JSON.stringify({ eventType: 'Brackets', itemId: 'x', text: '['.repeat(500) + '{'.repeat(500) });
    expect((await call(request(body))).statusCode).toBe(200);
    expect(await drainQueue(sqs, queueUrl)).toHaveLength(1);
  });

  it('invalid UTF-8 with a JSON content type → 400, nothing queued', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"eventType":"Bad","itemId":"x","text":"'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}'),
    ]);
    const response = await call(request(bytes, {}, DEALER, true));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body!)).toEqual({ message: 'body is not valid UTF-8' });
    expect(await drainQueue(sqs, queueUrl)).toHaveLength(0);
  });

  it('through the local API: a bad % escape in the dealer id → 404, invalid UTF-8 → 400 (not read as U+FFFD)', async () => {
    // Prepare
    const api = await startLocalHttpApi({
      routes: [
        {
          method: 'POST',
          path: '/webhooks/wayke/{dealerId}',
          handler: (event) => handler(event),
        },
      ],
    });
    api.setHealthy({});
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` };
    try {
      // Act
      const badEscape = await fetch(`${api.url}/webhooks/wayke/bil%E0%A4hallen%zz`, {
        method: 'POST',
        headers,
        body: FIXTURES['vehicle-updated']!,
      });
      const badBytes = await fetch(`${api.url}/webhooks/wayke/${DEALER}`, {
        method: 'POST',
        headers,
        body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      });
      const good = await fetch(`${api.url}/webhooks/wayke/${DEALER}`, {
        method: 'POST',
        headers,
        body: FIXTURES['vehicle-updated']!,
      });
      // Assess
      expect(badEscape.status).toBe(404);
      expect(badBytes.status).toBe(400);
      expect(good.status).toBe(200);
      expect(await drainQueue(sqs, queueUrl)).toHaveLength(1);
    } finally {
      await api.stop();
    }
  });

  it('a "plate" that is no plate (a name and a personal identity number) is never logged', async () => {
    // Prepare
    const before = log.lines.length;
    const body = JSON.stringify({ id: AD, registrationNumber: 'Erik Svensson 198112189876', status: 'Published' });
    // Act
    const response = await call(request(body));
    // Assess
    expect(response.statusCode).toBe(200);
    const text = printedSince(before);
    expect(text).toContain('webhook queued');
    expect(text).not.toMatch(/svensson/i);
    expect(text).not.toContain('198112189876');
    await drainQueue(sqs, queueUrl);
  });

  it('a real plate is logged, normalised', async () => {
    const before = log.lines.length;
    expect(
      (await call(request(JSON.stringify({ id: AD, registrationNumber: 'abc 123', status: 'Sold' })))).statusCode,
    ).toBe(200);
    expect(printedSince(before)).toContain('"plate":"ABC123"');
    await drainQueue(sqs, queueUrl);
  });
});

describe('logs', () => {
  it('no personal data from the fixtures in anything the handler printed', () => {
    const text = printedSince();
    expect(text).toContain('webhook queued');
    expect(text).toContain('webhook rejected');
    expect(findPersonalData(text, personalDataInFixtures())).toEqual([]);
  });
});
