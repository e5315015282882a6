/**
 * The Vehicle API through the local stack: the real HTTP API on 127.0.0.1, the Lambda handlers,
 * the FIFO queue and its poller, the vehicle worker, DynamoDB (dynalite) and the Wayke simulator.
 */
import { readFileSync } from 'node:fs';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localS3Client } from '../../functions/local/dev/engines.js';
import { eventually, startVehicleApiStack, sumWrites, type VehicleApiStack } from '../support/vehicle-api.js';

let api: VehicleApiStack;
beforeAll(async () => {
  api = await startVehicleApiStack();
}, 60_000);
afterAll(() => api?.stop());

const vehicle = (plate: string, price = 189_900, extra: Record<string, unknown> = {}) => ({
  registrationNumber: plate,
  price,
  mileage: 42_000,
  modelYear: 2020,
  shortDescription: 'Volvo V60 D4',
  images: [`https://images.example.test/${plate.toLowerCase()}/1.jpg`],
  equipment: ['Dragkrok'],
  ...extra,
});

async function call(
  method: string,
  path: string,
  options: {
    dealer?: string;
    key?: string | null;
    body?: unknown;
    raw?: string | Buffer;
    contentType?: string;
    headers?: Record<string, string>;
  } = {},
) {
  const dealer = options.dealer ?? 'api-one';
  const key = options.key === undefined ? api.keyOf(dealer) : options.key;
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}),
      ...options.headers,
    },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: text ? (JSON.parse(text) as Record<string, any>) : null,
  };
}

/** The vehicle's status once it reached `state` (after the change accepted last). */
const settled = (plate: string, state: string, dealer = 'api-one') =>
  eventually(async () => {
    const got = await call('GET', `/dealers/${dealer}/vehicles/${plate}`, { dealer });
    return got.json?.state === state ? got.json : undefined;
  });

describe('PUT, GET and DELETE of one vehicle', () => {
  it('creates the ad in Wayke within 10 s and GET shows it applied with the Wayke id', async () => {
    // Prepare
    const started = Date.now();
    // Act
    const put = await call('PUT', '/dealers/api-one/vehicles/ABC123', { body: vehicle('ABC123') });
    // Assess
    expect(put.status).toBe(202);
    expect(put.json).toMatchObject({ registrationNumber: 'ABC123', state: 'pending', source: 'api' });
    const status = await settled('ABC123', 'applied');
    expect(Date.now() - started).toBeLessThan(10_000);
    const ad = api.stack.simulator!.state().ads[status.waykeId];
    expect(ad).toBeDefined();
    expect(JSON.stringify(ad)).toContain('189900');
    expect(status).toMatchObject({ source: 'api', lastError: null });
    expect(status.fingerprint).toBe(put.json!.fingerprint);
  });

  it('makes no Wayke write call for the same PUT again', async () => {
    const before = api.writes();
    const put = await call('PUT', '/dealers/api-one/vehicles/abc-123', { body: vehicle('ABC123') });
    expect(put.status).toBe(202);
    await settled('ABC123', 'applied');
    await api.stack.drained(5000);
    expect(sumWrites(before, api.writes())).toEqual({});
  });

  it('sends exactly one PATCH for a price change', async () => {
    const before = api.writes();
    await call('PUT', '/dealers/api-one/vehicles/ABC123', { body: vehicle('ABC123', 179_900) });
    await eventually(async () =>
      (await call('GET', '/dealers/api-one/vehicles/ABC123')).json?.state === 'applied' &&
      api.writes()['PATCH /vehicle/{id}'] !== before['PATCH /vehicle/{id}']
        ? true
        : undefined,
    );
    await api.stack.drained(5000);
    expect(sumWrites(before, api.writes())).toEqual({ 'PATCH /vehicle/{id}': 1 });
  });

  it('sends one status call for DELETE, and GET shows removed', async () => {
    const before = api.writes();
    const removed = await call('DELETE', '/dealers/api-one/vehicles/ABC123');
    expect(removed.status).toBe(202);
    const status = await settled('ABC123', 'removed');
    await api.stack.drained(5000);
    expect(sumWrites(before, api.writes())).toEqual({ 'PUT /vehicle/{id}/ad/status': 1 });
    expect(api.stack.simulator!.state().ads[status.waykeId]).toMatchObject({ status: 'Unpublished' });
  });

  it('answers 404 for an unknown vehicle (GET and DELETE)', async () => {
    expect((await call('GET', '/dealers/api-one/vehicles/ZZZ999')).status).toBe(404);
    const gone = await call('DELETE', '/dealers/api-one/vehicles/ZZZ999');
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toBe('application/problem+json');
  });

  it('answers 404 for a path that is no registration number, without echoing it', async () => {
    const text = encodeURIComponent('Anna Svensson 19800101-1234');
    for (const method of ['GET', 'DELETE']) {
      const answer = await call(method, `/dealers/api-one/vehicles/${text}`);
      expect(answer.status).toBe(404);
      expect(answer.text).not.toMatch(/Anna|Svensson|1234/i);
    }
  });
});

describe('bad requests', () => {
  it("answers 422 with one entry per bad field, in the feed reader's words", async () => {
    const bad = await call('PUT', '/dealers/api-one/vehicles/BAD123', {
      body: { registrationNumber: 'BAD123', price: 'gratis', mileage: -5 },
    });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    expect(bad.json).toMatchObject({ status: 422, type: expect.stringContaining('invalid-vehicle') });
    expect(bad.json!.errors.map((e: { field: string }) => e.field).sort()).toEqual(['mileage', 'price']);
    expect(bad.json!.errors.find((e: { field: string }) => e.field === 'mileage').message).toMatch(/0 or more/);
    expect((await call('GET', '/dealers/api-one/vehicles/BAD123')).status).toBe(404);
  });

  it('answers 409 when the path names another plate than the body', async () => {
    const mismatch = await call('PUT', '/dealers/api-one/vehicles/AAA111', { body: vehicle('BBB222') });
    expect(mismatch.status).toBe(409);
  });

  it('answers 400 for malformed JSON without quoting it, 415 for another type, 413 for too much', async () => {
    const malformed = await call('PUT', '/dealers/api-one/vehicles/AAA111', {
      raw: '{"registrationNumber": "AAA111", "price": 1,, "secret-ish": "ÅÄÖ"',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.text).not.toContain('secret-ish');
    expect(
      (
        await call('PUT', '/dealers/api-one/vehicles/AAA111', {
          raw: 'registrationNumber=AAA111',
          contentType: 'text/plain',
        })
      ).status,
    ).toBe(415);
    const huge = await call('PUT', '/dealers/api-one/vehicles/AAA111', {
      body: vehicle('AAA111', 100_000, { description: 'x'.repeat(200_000) }),
    });
    expect(huge.status).toBe(413);
  });

  it('refuses pushes for a dealer on files only (source: feed) with 403', async () => {
    expect(
      (await call('PUT', '/dealers/feed-only/vehicles/FFF111', { dealer: 'feed-only', body: vehicle('FFF111') }))
        .status,
    ).toBe(403);
  });
});

describe('auth and limits', () => {
  it("answers 401 for a missing or wrong key and for another dealer's key", async () => {
    expect((await call('GET', '/dealers/api-one/vehicles', { key: null })).status).toBe(401);
    const wrong = await call('GET', '/dealers/api-one/vehicles', { key: 'not-the-key-at-all-000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await call('GET', '/dealers/api-one/vehicles', { key: api.keyOf('api-two') })).status).toBe(401);
  });

  it('accepts the previous key during a rotation', async () => {
    const secrets = api.stack.secrets.secrets['api-two']!;
    const old = secrets.dmsApiKey!;
    (secrets as { previousDmsApiKey?: string }).previousDmsApiKey = old;
    (secrets as { dmsApiKey?: string }).dmsApiKey = 'a-brand-new-key-0123456789';
    // The handler's secret cache (5 s locally) has not read api-two yet in this file.
    expect((await call('GET', '/dealers/api-two/vehicles', { dealer: 'api-two', key: old })).status).toBe(200);
    expect(
      (await call('GET', '/dealers/api-two/vehicles', { dealer: 'api-two', key: 'a-brand-new-key-0123456789' })).status,
    ).not.toBe(401);
  });

  it("answers 429 with Retry-After past the dealer's burst", async () => {
    // api-two: 1 request/s, burst 3 (two already spent above).
    const answers = [];
    for (let i = 0; i < 6; i++)
      answers.push(
        await call('GET', '/dealers/api-two/vehicles', { dealer: 'api-two', key: 'a-brand-new-key-0123456789' }),
      );
    const limited = answers.find((answer) => answer.status === 429);
    expect(limited).toBeDefined();
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited!.json).toMatchObject({ status: 429 });
  });

  it('answers 404 for an unknown dealer and for a dealer without a key (API off)', async () => {
    expect((await call('GET', '/dealers/nobody/vehicles', { key: 'whatever-key-000000000000' })).status).toBe(404);
    delete (api.stack.secrets.secrets['feed-only'] as { dmsApiKey?: string }).dmsApiKey;
    await new Promise((resolve) => setTimeout(resolve, 5_100)); // the handler's secret cache (5 s locally)
    expect((await call('GET', '/dealers/feed-only/vehicles', { key: 'whatever-key-000000000000' })).status).toBe(404);
  });
});

describe('Idempotency-Key', () => {
  it('returns the first answer for a repeat and 422 for the key reused with another body', async () => {
    const first = await call('PUT', '/dealers/api-one/vehicles/IDE111', {
      body: vehicle('IDE111'),
      headers: { 'idempotency-key': 'order-1' },
    });
    expect(first.status).toBe(202);
    await settled('IDE111', 'applied');
    const again = await call('PUT', '/dealers/api-one/vehicles/IDE111', {
      body: vehicle('IDE111'),
      headers: { 'idempotency-key': 'order-1' },
    });
    expect(again.status).toBe(202);
    expect(again.json).toEqual(first.json); // still `pending`: the stored answer, not a new one
    const other = await call('PUT', '/dealers/api-one/vehicles/IDE111', {
      body: vehicle('IDE111', 1000),
      headers: { 'idempotency-key': 'order-1' },
    });
    expect(other.status).toBe(422);
    expect((await call('GET', '/dealers/api-one/vehicles/IDE111')).json).toMatchObject({ state: 'applied' });
  });
});

describe('the safety valve counts DELETEs', () => {
  it("holds removals past the dealer's hourly limit and reports them like a blocked run", async () => {
    const plates = ['DEL001', 'DEL002', 'DEL003'];
    for (const plate of plates) await call('PUT', `/dealers/api-one/vehicles/${plate}`, { body: vehicle(plate) });
    for (const plate of plates) await settled(plate, 'applied');
    // ABC123 was removed above: with a limit of 2 per hour, DEL001 is the second and DEL002 the third.
    expect((await call('DELETE', '/dealers/api-one/vehicles/DEL001')).json).toMatchObject({ state: 'pending' });
    const held = await call('DELETE', '/dealers/api-one/vehicles/DEL002');
    expect(held.status).toBe(202);
    expect(held.json).toMatchObject({ state: 'held' });
    await settled('DEL001', 'removed');
    await api.stack.drained(5000);
    expect((await call('GET', '/dealers/api-one/vehicles/DEL002')).json).toMatchObject({ state: 'held' });
    const report = await call('GET', '/dealers/api-one/runs/latest');
    expect(report.status).toBe(200);
    expect(report.json).toMatchObject({ trigger: 'api', blocked: { limit: 2 } });
  });
});

describe('one truth with files (source: both)', () => {
  it('a file that lacks a vehicle set through the API does not remove it', async () => {
    await call('PUT', '/dealers/api-one/vehicles/KEEP01', { body: vehicle('KEEP01') });
    await settled('KEEP01', 'applied');
    const s3 = localS3Client(api.stack.urls.s3);
    const feed = { vehicles: [{ registrationNumber: 'FILE01', price: 99_000, mileage: 120_000 }] };
    const since = new Date();
    await s3.send(
      new PutObjectCommand({
        Bucket: api.stack.resources.bucket,
        Key: 'feeds/api-one/inbound/stock.json',
        Body: JSON.stringify(feed),
      }),
    );
    const reports = await api.stack.waitForReports(since, 20_000);
    s3.destroy();
    expect(reports.get('api-one')).toMatchObject({ created: 1 });
    expect((await call('GET', '/dealers/api-one/vehicles/KEEP01')).json).toMatchObject({
      state: 'applied',
      source: 'api',
    });
    expect((await call('GET', '/dealers/api-one/vehicles/FILE01')).json).toMatchObject({
      state: 'applied',
      source: 'feed',
    });
  });
});

describe('source: api', () => {
  it('leaves a file for a dealer on the API alone unread in inbound/, and Wayke untouched', async () => {
    const s3 = localS3Client(api.stack.urls.s3);
    const before = api.writes();
    await s3.send(
      new PutObjectCommand({
        Bucket: api.stack.resources.bucket,
        Key: 'feeds/api-two/inbound/stock.json',
        Body: JSON.stringify([{ registrationNumber: 'TWO001', price: 1000, mileage: 1 }]),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    await api.stack.drained(10_000);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: api.stack.resources.bucket, Prefix: 'feeds/api-two/' }),
    );
    s3.destroy();
    expect((listed.Contents ?? []).map((object) => object.Key)).toEqual(['feeds/api-two/inbound/stock.json']);
    expect(sumWrites(before, api.writes())).toEqual({});
  });
});

describe('list, validate, OpenAPI', () => {
  it('pages every vehicle with a cursor', async () => {
    const first = await call('GET', '/dealers/api-one/vehicles?limit=2');
    expect(first.status).toBe(200);
    expect(first.json!.items).toHaveLength(2);
    const seen = [...first.json!.items.map((item: { registrationNumber: string }) => item.registrationNumber)];
    let cursor = first.json!.nextCursor;
    while (cursor) {
      const page = await call('GET', `/dealers/api-one/vehicles?limit=2&cursor=${encodeURIComponent(cursor)}`);
      seen.push(...page.json!.items.map((item: { registrationNumber: string }) => item.registrationNumber));
      cursor = page.json!.nextCursor;
    }
    expect(seen).toEqual([...new Set(seen)].sort());
    expect(seen).toEqual(expect.arrayContaining(['ABC123', 'DEL001', 'DEL002', 'FILE01', 'IDE111', 'KEEP01']));
    expect((await call('GET', '/dealers/api-one/vehicles?limit=0')).status).toBe(400);
  });

  it('validates the Windows-1252 sample feed and calls no one', async () => {
    const before = JSON.stringify(api.stack.simulator!.state().calls);
    const bytes = readFileSync(new URL('../fixtures/feeds/bilhallen-semicolon-cp1252.csv', import.meta.url));
    // As bytes: API Gateway hands a text/* body over as UTF-8 text, which would mangle Windows-1252.
    const report = await call('POST', '/dealers/api-one/validate', {
      raw: bytes,
      contentType: 'application/octet-stream',
    });
    expect(report.status).toBe(200);
    expect(report.json).toMatchObject({ format: 'csv', encoding: 'windows-1252', error: null });
    expect(report.json!.vehicles).toBeGreaterThan(0);
    const one = await call('POST', '/dealers/api-one/validate', {
      body: { registrationNumber: 'ONE111', price: 'x', mileage: 1 },
    });
    expect(one.json).toMatchObject({
      format: 'json',
      vehicles: 0,
      rejected: [{ row: 1, errors: [{ field: 'price' }] }],
    });
    expect(JSON.stringify(api.stack.simulator!.state().calls)).toBe(before);
  });

  it('serves an OpenAPI 3.1 document that validates, and a client written from it alone can PUT a vehicle', async () => {
    const response = await fetch(`${api.url}/openapi.json`);
    const document = (await response.json()) as any;
    const validation = await new Validator().validate(document);
    expect(validation.errors ?? []).toEqual([]);
    expect(validation.valid).toBe(true);
    expect(document.openapi).toMatch(/^3\.1\./);

    // A client that knows only the document: the server, the operation, its parameters and security.
    const [path, operation] = Object.entries(document.paths as Record<string, any>).flatMap(([p, item]) =>
      Object.values<any>(item)
        .filter((op) => op?.operationId === 'putVehicle')
        .map((op): [string, any] => [p, op]),
    )[0]!;
    const scheme = document.components.securitySchemes[Object.keys(document.security[0])[0]!];
    expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer' });
    const schema =
      document.components.schemas[operation.requestBody.content['application/json'].schema.$ref.split('/').pop()];
    const body = Object.fromEntries(
      schema.required.map((field: string) => [
        field,
        field === 'registrationNumber' ? 'OAS123' : schema.properties[field].type === 'integer' ? 1000 : 'x',
      ]),
    );
    const url = `${document.servers[0].url}${path.replace('{dealerId}', 'api-one').replace('{registrationNumber}', 'OAS123')}`;
    const put = await fetch(url, {
      method: 'PUT',
      headers: { authorization: `Bearer ${api.keyOf('api-one')}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(Object.keys(operation.responses)).toContain(String(put.status));
    expect(put.status).toBe(202);
    const status = (await put.json()) as Record<string, unknown>;
    const statusSchema = document.components.schemas.VehicleStatus;
    expect(Object.keys(status).sort()).toEqual([...statusSchema.required].sort());
    await settled('OAS123', 'applied');
  });
});
