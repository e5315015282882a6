import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  SecretsManagerInboundAuthStore,
  SecretsManagerSecretStore,
} from '../../functions/adapters/secrets-manager-secret-store.js';
import { webhookHeaders } from '../../functions/core/events/signature.js';
import { startLocalHttpApi, type LocalHttpApi } from '../../functions/local/dev/api-gateway.js';
import { startDemoDms, type DemoDms } from '../../functions/local/dev/demo-dms.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type RunningServer } from '../../functions/local/dev/engines.js';
import { objectCreatedEvent, inboundDealerOf, scheduledEvent } from '../../functions/local/dev/events.js';
import { lambdaContext } from '../../functions/local/dev/lambda.js';
import {
  loadOrCreateSecrets,
  startLocalSecretsManager,
  type LocalSecretsFile,
} from '../../functions/local/dev/secrets.js';
import { resolveForLocalRun } from '../../functions/local/dev/stack.js';
import { loadDealerConfig, parseResolvedDealerConfig } from '../../functions/adapters/dealer-config-file.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dev-runtime-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('secrets.json', () => {
  it('is created with random values per dealer, private, and used as it is on the next start', () => {
    const path = join(dir, 'a', 'secrets.json');
    const first = loadOrCreateSecrets(path, ['bilhallen', 'autohuset']);
    expect(first.created).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const entry = first.secrets.bilhallen!;
    expect(entry.dmsSigningSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(entry.dmsSigningSecret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    expect(entry.webhookSecret).not.toBe(first.secrets.autohuset!.webhookSecret);
    expect(entry.sftpPassword!.length).toBeGreaterThanOrEqual(12);
    const again = loadOrCreateSecrets(path, ['bilhallen', 'autohuset']);
    expect(again.created).toBe(false);
    expect(again.secrets).toEqual(first.secrets);
  });

  it('keeps hand-written entries exactly and adds only the missing dealers', () => {
    const path = join(dir, 'b-secrets.json');
    const mine = {
      waykeClientId: 'real-id',
      waykeClientSecret: 'real-secret',
      webhookSecret: 'hook',
      dmsSigningSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      sftpPassword: 'my-password-1',
    };
    writeFileSync(path, JSON.stringify({ bilhallen: mine }));
    const loaded = loadOrCreateSecrets(path, ['bilhallen', 'motorcentrum']);
    expect(loaded.secrets.bilhallen).toEqual(mine);
    expect(loaded.added).toEqual(['motorcentrum']);
    expect(JSON.parse(readFileSync(path, 'utf8')).bilhallen).toEqual(mine);
  });

  it('refuses a malformed file with a message naming the field', () => {
    const path = join(dir, 'c-secrets.json');
    writeFileSync(
      path,
      JSON.stringify({
        bilhallen: { waykeClientId: 'x', waykeClientSecret: 'y', webhookSecret: 'z', dmsSigningSecret: 'not-whsec' },
      }),
    );
    expect(() => loadOrCreateSecrets(path, ['bilhallen'])).toThrow(/bilhallen\.dmsSigningSecret/);
  });
});

describe('local Secrets Manager endpoint', () => {
  let server: RunningServer;
  const secrets: LocalSecretsFile = {
    bilhallen: {
      waykeClientId: 'id-1',
      waykeClientSecret: 'secret-1',
      webhookSecret: 'hook-1',
      dmsSigningSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      sftpPassword: 'sftp-password',
    },
  };
  beforeAll(async () => {
    server = await startLocalSecretsManager({
      prefix: 'wayke-dms/dealer/',
      region: LOCAL_REGION,
      getSecrets: () => secrets,
    });
  });
  afterAll(() => server.stop());

  const client = () =>
    new SecretsManagerClient({ endpoint: server.url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });

  it('answers GetSecretValue to the real SDK client with the Lambda secret (no SFTP password)', async () => {
    const out = await client().send(new GetSecretValueCommand({ SecretId: 'wayke-dms/dealer/bilhallen' }));
    expect(out.Name).toBe('wayke-dms/dealer/bilhallen');
    expect(out.ARN).toMatch(/^arn:aws:secretsmanager:/);
    const value = JSON.parse(out.SecretString!);
    expect(value).toEqual({
      waykeClientId: 'id-1',
      waykeClientSecret: 'secret-1',
      webhookSecret: 'hook-1',
      dmsSigningSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    });
  });

  it('answers ResourceNotFoundException for an unknown dealer or prefix', async () => {
    await expect(
      client().send(new GetSecretValueCommand({ SecretId: 'wayke-dms/dealer/nobody' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(client().send(new GetSecretValueCommand({ SecretId: 'other/bilhallen' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('lists the secrets under their AWS names, filtered by name prefix and paged as ListSecrets is', async () => {
    // Prepare
    const many: LocalSecretsFile = Object.fromEntries(
      ['carl', 'anna', 'bilhallen'].map((id) => [id, secrets.bilhallen!]),
    );
    const listing = await startLocalSecretsManager({
      prefix: 'wayke-dms/dealer/',
      region: LOCAL_REGION,
      getSecrets: () => many,
    });
    const sm = new SecretsManagerClient({
      endpoint: listing.url,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    try {
      // Act
      const first = await sm.send(new ListSecretsCommand({ MaxResults: 2 }));
      const second = await sm.send(new ListSecretsCommand({ MaxResults: 2, NextToken: first.NextToken }));
      const filtered = await sm.send(
        new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['wayke-dms/dealer/b'] }] }),
      );
      // Assess
      expect(first.SecretList?.map((entry) => entry.Name)).toEqual([
        'wayke-dms/dealer/anna',
        'wayke-dms/dealer/bilhallen',
      ]);
      expect(second.SecretList?.map((entry) => entry.Name)).toEqual(['wayke-dms/dealer/carl']);
      expect(second.NextToken).toBeUndefined();
      expect(filtered.SecretList?.map((entry) => entry.Name)).toEqual(['wayke-dms/dealer/bilhallen']);
      await expect(sm.send(new ListSecretsCommand({ MaxResults: 101 }))).rejects.toMatchObject({
        name: 'InvalidParameterException',
      });
    } finally {
      sm.destroy();
      await listing.stop();
    }
  });

  it("serves the handlers' own Secrets Manager adapter unchanged", async () => {
    const store = new SecretsManagerInboundAuthStore({
      client: client(),
      prefix: 'wayke-dms/dealer/',
      clock: { now: () => new Date() },
    });
    expect((await store.getInboundAuth('bilhallen')).webhookSecret).toBe('hook-1');
    const credentials = new SecretsManagerSecretStore({
      client: client(),
      prefix: 'wayke-dms/dealer/',
      clock: { now: () => new Date() },
    });
    expect(await credentials.getDealerSecrets('bilhallen')).toHaveProperty('dmsSigningSecret');
  });
});

describe('API Gateway v2 bridge', () => {
  let api: LocalHttpApi;
  const seen: APIGatewayProxyEventV2[] = [];
  beforeAll(async () => {
    api = await startLocalHttpApi({
      routes: [
        {
          method: 'POST',
          path: '/webhooks/wayke/{dealerId}',
          handler: async (event) => {
            seen.push(event);
            if (event.pathParameters?.dealerId === 'boom') throw new Error('handler crashed');
            if (event.pathParameters?.dealerId === 'plain') return { ok: true };
            return { statusCode: 202, headers: { 'X-Event': 'queued' }, body: JSON.stringify({ got: event.body }) };
          },
        },
      ],
    });
  });
  afterAll(() => api.stop());

  it('answers /health 503 while starting and 200 with the details once healthy; routes wait for it', async () => {
    expect((await fetch(`${api.url}/health`)).status).toBe(503);
    expect((await fetch(`${api.url}/webhooks/wayke/bilhallen`, { method: 'POST', body: '{}' })).status).toBe(503);
    api.setHealthy({ services: { sftp: 'sftp://127.0.0.1:2222' } });
    const health = await fetch(`${api.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', services: { sftp: 'sftp://127.0.0.1:2222' } });
  });

  it('builds a payload 2.0 event with path parameters, lower-case headers, query and a text body', async () => {
    const response = await fetch(`${api.url}/webhooks/wayke/bilhallen?x=1&x=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', Authorization: 'Bearer abc', cookie: 'a=1; b=2' },
      body: '{"eventType":"Process"}',
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('x-event')).toBe('queued');
    expect(await response.json()).toEqual({ got: '{"eventType":"Process"}' });
    const event = seen.at(-1)!;
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('POST /webhooks/wayke/{dealerId}');
    expect(event.requestContext.routeKey).toBe('POST /webhooks/wayke/{dealerId}');
    expect(event.rawPath).toBe('/webhooks/wayke/bilhallen');
    expect(event.rawQueryString).toBe('x=1&x=2');
    expect(event.queryStringParameters).toEqual({ x: '1,2' });
    expect(event.pathParameters).toEqual({ dealerId: 'bilhallen' });
    expect(event.headers.authorization).toBe('Bearer abc');
    expect(event.cookies).toEqual(['a=1', 'b=2']);
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext.http.method).toBe('POST');
    expect(event.requestContext.http.sourceIp).toBe('127.0.0.1');
  });

  it('base64-encodes binary bodies, maps a bare result to 200 JSON, a crash to 500, other routes to 404', async () => {
    await fetch(`${api.url}/webhooks/wayke/bilhallen`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array([0, 255, 1]),
    });
    expect(seen.at(-1)!.isBase64Encoded).toBe(true);
    expect(Buffer.from(seen.at(-1)!.body!, 'base64')).toEqual(Buffer.from([0, 255, 1]));
    const plain = await fetch(`${api.url}/webhooks/wayke/plain`, { method: 'POST', body: '' });
    expect(plain.status).toBe(200);
    expect(await plain.json()).toEqual({ ok: true });
    expect((await fetch(`${api.url}/webhooks/wayke/boom`, { method: 'POST', body: '{}' })).status).toBe(500);
    expect((await fetch(`${api.url}/webhooks/wayke/bilhallen`)).status).toBe(404);
    expect((await fetch(`${api.url}/elsewhere`, { method: 'POST' })).status).toBe(404);
  });
});

describe('demo DMS', () => {
  let dms: DemoDms;
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  beforeAll(async () => {
    dms = await startDemoDms({
      signingSecret: (dealerId) => (dealerId === 'bilhallen' ? secret : undefined),
      directory: join(dir, 'dms'),
    });
  });
  afterAll(() => dms.stop());

  const post = (body: string, headers: Record<string, string>, dealerId = 'bilhallen') =>
    fetch(dms.urlFor(dealerId), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('accepts a delivery signed as the DMS writer signs it, keeps it, and flags a redelivery', async () => {
    const body = JSON.stringify({
      id: 'evt_1',
      type: 'vehicle.purchased',
      dealer: 'bilhallen',
      vehicle: { registrationNumber: 'ABC123' },
    });
    const headers = webhookHeaders({ id: 'evt_1', timestamp: Math.floor(Date.now() / 1000), body, secret });
    expect((await post(body, headers)).status).toBe(204);
    expect((await post(body, headers)).status).toBe(204);
    const kept = dms.deliveries('bilhallen');
    expect(
      kept.map((delivery) => [delivery.verified, delivery.duplicate, delivery.type, delivery.registrationNumber]),
    ).toEqual([
      [true, false, 'vehicle.purchased', 'ABC123'],
      [true, true, 'vehicle.purchased', 'ABC123'],
    ]);
    const listed = (await (await fetch(dms.urlFor('bilhallen'))).json()) as unknown[];
    expect(listed).toHaveLength(2);
    expect(
      readFileSync(join(dir, 'dms', 'bilhallen.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(2);
  });

  it('refuses a wrong signature, a tampered body, an old timestamp and an unknown dealer with 401', async () => {
    const body = '{"id":"evt_2"}';
    const now = Math.floor(Date.now() / 1000);
    const otherKey = Buffer.from('another key of 24 bytes!').toString('base64');
    const forged = `v1,${createHmac('sha256', Buffer.from(otherKey, 'base64')).update(`evt_2.${now}.${body}`).digest('base64')}`;
    expect(
      (await post(body, { 'webhook-id': 'evt_2', 'webhook-timestamp': String(now), 'webhook-signature': forged }))
        .status,
    ).toBe(401);
    const good = webhookHeaders({ id: 'evt_2', timestamp: now, body, secret });
    expect((await post('{"id":"evt_3"}', good)).status).toBe(401);
    expect((await post(body, webhookHeaders({ id: 'evt_2', timestamp: now - 3600, body, secret }))).status).toBe(401);
    expect((await post(body, good, 'stranger')).status).toBe(401);
    expect((await post(body, {})).status).toBe(401);
    // Several signatures (a key rotation): one valid is enough.
    expect((await post(body, { ...good, 'webhook-signature': `${forged} ${good['webhook-signature']}` })).status).toBe(
      204,
    );
    expect(dms.deliveries('bilhallen').filter((delivery) => !delivery.verified)).toHaveLength(4);
  });
});

describe('Lambda event and context shapes', () => {
  it('scheduled and Object Created events look like EventBridge events, filtered to inbound/', () => {
    const scheduled = scheduledEvent(new Date('2026-01-01T10:00:00.123Z'));
    expect(scheduled).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: '2026-01-01T10:00:00Z',
      detail: {},
    });
    const created = objectCreatedEvent({
      bucket: 'b',
      key: 'feeds/bilhallen/inbound/f.csv',
      size: 10,
      eventName: 'ObjectCreated:Copy',
    });
    expect(created).toMatchObject({
      'detail-type': 'Object Created',
      source: 'aws.s3',
      resources: ['arn:aws:s3:::b'],
      detail: {
        bucket: { name: 'b' },
        object: { key: 'feeds/bilhallen/inbound/f.csv', size: 10 },
        reason: 'CopyObject',
      },
    });
    expect(inboundDealerOf('feeds/bilhallen/inbound/f.csv')).toBe('bilhallen');
    expect(inboundDealerOf('feeds/bilhallen/inbound/sub/')).toBeNull();
    expect(inboundDealerOf('feeds/bilhallen/reports/latest.json')).toBeNull();
  });

  it('the context counts down from the function timeout', () => {
    const context = lambdaContext('fn', 5_000);
    expect(context.functionName).toBe('fn');
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(5_000);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(4_000);
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('the dealer config the local handlers get', () => {
  it('sends a dealer without a dms target to the demo DMS and keeps every other target', () => {
    const config = loadDealerConfig('config/dealers.example.json');
    const resolved = resolveForLocalRun(config, (dealerId) => `http://127.0.0.1:4020/dealers/${dealerId}/events`);
    const byId = new Map(resolved.dealers.map((dealer) => [dealer.id, dealer]));
    expect(byId.get('bilhallen')!.dms).toEqual({
      type: 'webhook',
      url: 'http://127.0.0.1:4020/dealers/bilhallen/events',
    });
    expect(byId.get('motorcentrum')!.dms).toEqual(config.dealers.find((dealer) => dealer.id === 'motorcentrum')!.dms);
    expect(byId.get('autohuset')!.mappingProfile).toBeDefined();
    // what the handlers validate at cold start
    expect(() => parseResolvedDealerConfig(JSON.parse(JSON.stringify(resolved)), 'dealers.json')).not.toThrow();
  });
});
