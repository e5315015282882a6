import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DealerSchema } from '../../../functions/core/dealer-config.js';
import {
  classifyWaykeEvent,
  credentialsMatch,
  eventId,
  messageGroupId,
  occurredAt,
  routeEvent,
  routeForDealer,
  signWebhook,
  verifyWebhook,
  vehicleRef,
  buildDmsEnvelope,
  DmsEnvelopeSchema,
  type WaykeEvent,
} from '../../../functions/core/events/index.js';

const dir = 'test/fixtures/wayke-events';
const fixtures = Object.fromEntries(
  readdirSync(dir).map((file) => [file.replace('.json', ''), readFileSync(`${dir}/${file}`, 'utf8')]),
);
const parsed = (name: string): unknown => JSON.parse(fixtures[name]!);
const classify = (body: unknown): WaykeEvent => {
  const result = classifyWaykeEvent(body);
  if (!result.ok) throw new Error(result.reason);
  return result.event;
};

const AD = '5f1c2b7e-0a4d-4c1e-9a57-3e2f1d9b8c01';
const CALL_AD = '9b3e4f10-2c7a-4d8e-b1f6-7a0c5e2d9f44';

describe('classification, routing and group of every documented payload', () => {
  const expected: Record<string, { source: string; kind: string; group: string; plate?: string }> = {
    'vehicle-updated': { source: 'vehicleUpdated', kind: 'vehicle.updated', group: `d1:${AD}`, plate: 'KLM482' },
    'purchase-contract-completed': { source: 'process', kind: 'vehicle.purchased', group: `d1:${AD}`, plate: 'KLM482' },
    'process-step': { source: 'process', kind: 'process.step', group: `d1:${CALL_AD}`, plate: 'NRT55C' },
    'new-message': { source: 'message', kind: 'message.created', group: `d1:${AD}`, plate: 'KLM482' },
    'new-order': { source: 'order', kind: 'order.created', group: `d1:${AD}`, plate: 'KLM482' },
    'lead-cta': { source: 'lead', kind: 'lead.created', group: `d1:${AD}`, plate: 'KLM482' },
    'lead-call': { source: 'lead', kind: 'lead.created', group: `d1:${CALL_AD}`, plate: 'NRT55C' },
    'lead-valuation': { source: 'lead', kind: 'lead.created', group: 'd1:lead:b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e' },
  };
  it('covers every fixture file', () => {
    expect(Object.keys(fixtures).sort()).toEqual(Object.keys(expected).sort());
  });
  for (const [name, want] of Object.entries(expected)) {
    it(name, () => {
      const event = classify(parsed(name));
      expect(event.source).toBe(want.source);
      expect(routeEvent(event)).toBe(want.kind);
      expect(messageGroupId('d1', event)).toBe(want.group);
      expect(vehicleRef(event).registrationNumber).toBe(want.plate);
    });
  }
  it("never takes a valuation lead's plate (the customer's car) as the vehicle", () => {
    expect(vehicleRef(classify(parsed('lead-valuation')))).toEqual({});
  });
});

describe('tolerance and refusal', () => {
  it('accepts an unknown eventType as a generic event, forwarded as wayke.event', () => {
    const event = classify({ eventType: 'PriceDropAlert', itemId: 'x1', whatever: [1, 2] });
    expect(event.source).toBe('generic');
    expect(routeEvent(event)).toBe('wayke.event');
    expect(messageGroupId('d1', event)).toBe('d1:x1');
  });
  it('recognises documented kinds by shape even with an eventType Wayke might add; a broken shape with one is generic', () => {
    const order = { ...(parsed('new-order') as object), eventType: 'Order' };
    expect(classify(order).source).toBe('order');
    expect(routeEvent(classify({ ...(parsed('lead-cta') as object), eventType: 'Lead' }))).toBe('lead.created');
    expect(classify({ eventType: 'Order', orderNumber: 'x' }).source).toBe('generic');
  });
  it('recognises a "new incoming vehicle for purchase" by eventType or by a plate', () => {
    expect(classify({ eventType: 'NewIncomingVehicle', id: 'abc' }).source).toBe('incomingVehicle');
    const byPlate = classify({ vehicle: { registrationNumber: 'abc 123', mileage: 100 }, branch: { id: 'b' } });
    expect(byPlate.source).toBe('incomingVehicle');
    expect(messageGroupId('d1', byPlate)).toBe('d1:plate:ABC123');
    expect(routeEvent(byPlate)).toBe('wayke.event');
  });
  it.each([
    [[], 'body must be a JSON object'],
    [null, 'body must be a JSON object'],
    [{}, 'matches no known'],
    [{ foo: 1 }, 'matches no known'],
    [{ id: 'only-an-id' }, 'matches no known'],
    [{ eventType: 42 }, 'eventType must be'],
    [{ eventType: 'Process', processName: 'x' }, 'process event'],
    [{ orderNumber: '1' }, 'order event: id'],
    [{ lead: { type: 'x' } }, 'lead event: lead.id'],
    [{ status: 'Sold' }, 'vehicle updated event'],
  ])('refuses %j with a short reason', (body, reason) => {
    const result = classifyWaykeEvent(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
  it('reasons name fields, never values', () => {
    const result = classifyWaykeEvent({ orderNumber: '1', id: 'o', customer: 'erik@example.test' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).not.toContain('erik@example.test');
  });
});

describe('routing rules and dealer switches', () => {
  const dealer = (dms?: unknown) =>
    DealerSchema.parse({
      id: 'dl1',
      name: 'D',
      branchId: '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d',
      ...(dms ? { dms } : {}),
    });
  it('purchase by processName or by stepName, only when completed', () => {
    const base = { eventType: 'Process', processId: 'p', stepId: 's', itemId: 'i' };
    expect(
      routeEvent(classify({ ...base, processName: 'Inköpsavtal', stepName: 'Signering', state: 'completed' })),
    ).toBe('vehicle.purchased');
    expect(routeEvent(classify({ ...base, processName: 'Annat', stepName: 'inköpsavtal', state: 'Completed' }))).toBe(
      'vehicle.purchased',
    );
    expect(
      routeEvent(classify({ ...base, processName: 'Inköpsavtal', stepName: 'Inköpsavtal', state: 'pending' })),
    ).toBe('process.step');
  });
  it('a dealer without DMS target gets nothing; a dealer can switch kinds off', () => {
    const updated = classify(parsed('vehicle-updated'));
    expect(routeForDealer(updated, dealer())).toEqual({ kind: 'vehicle.updated', delivered: false });
    expect(routeForDealer(updated, dealer({ type: 'outbox' })).delivered).toBe(true);
    const onlyPurchases = dealer({ type: 'webhook', url: 'https://dms.example/x', events: ['vehicle.purchased'] });
    expect(routeForDealer(updated, onlyPurchases).delivered).toBe(false);
    expect(routeForDealer(classify(parsed('purchase-contract-completed')), onlyPurchases).delivered).toBe(true);
  });
});

describe('identity', () => {
  it('event id is SHA-256 of dealer + raw body: stable, and different per dealer and per byte', () => {
    const raw = fixtures['vehicle-updated']!;
    expect(eventId('d1', raw)).toMatch(/^[0-9a-f]{64}$/);
    expect(eventId('d1', raw)).toBe(eventId('d1', Buffer.from(raw)));
    expect(eventId('d2', raw)).not.toBe(eventId('d1', raw));
    expect(eventId('d1', `${raw} `)).not.toBe(eventId('d1', raw));
  });
  it('group ids stay within SQS limits', () => {
    const event = classify({ eventType: 'X', itemId: `ä ${'x'.repeat(300)}` });
    const group = messageGroupId('d1', event);
    expect(group.length).toBeLessThanOrEqual(128);
    expect(group).toMatch(/^[\x21-\x7e]+$/);
  });
  it('occurredAt comes from the payload, else the receive time', () => {
    expect(occurredAt(classify(parsed('purchase-contract-completed')), '2030-01-01T00:00:00.000Z')).toBe(
      '2026-10-03T14:02:39.142Z',
    );
    expect(occurredAt(classify(parsed('vehicle-updated')), '2030-01-01T00:00:00.000Z')).toBe(
      '2030-01-01T00:00:00.000Z',
    );
  });
});

describe('Standard Webhooks signature', () => {
  const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
  it('matches the Standard Webhooks reference vector', () => {
    // From the standard-webhooks specification's test suite.
    const signature = signWebhook({
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    });
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
  it('verifies its own signature and refuses a changed body, id, timestamp or key', () => {
    const input = { id: 'e1', timestamp: 1_700_000_000, body: '{"a":1}', secret };
    const header = signWebhook(input);
    const check = (
      overrides: Partial<{ id: string; timestamp: string; body: string; secret: string; nowSeconds: number }>,
    ) =>
      verifyWebhook({
        id: 'e1',
        timestamp: '1700000000',
        signatureHeader: header,
        body: '{"a":1}',
        secret,
        nowSeconds: 1_700_000_010,
        ...overrides,
      });
    expect(check({})).toBe(true);
    expect(check({ body: '{"a":2}' })).toBe(false);
    expect(check({ id: 'e2' })).toBe(false);
    expect(check({ timestamp: '1700000001' })).toBe(false);
    expect(check({ secret: `whsec_${Buffer.from('another key of 32 bytes.........').toString('base64')}` })).toBe(
      false,
    );
    expect(check({ nowSeconds: 1_700_001_000 })).toBe(false);
  });
  it('refuses a secret that is not whsec_ base64, without quoting it', () => {
    expect(() => signWebhook({ id: 'e', timestamp: 1, body: '', secret: 'plain-secret-value' })).toThrow(/whsec_/);
    try {
      signWebhook({ id: 'e', timestamp: 1, body: '', secret: 'plain-secret-value' });
    } catch (error) {
      expect((error as Error).message).not.toContain('plain-secret-value');
    }
  });
});

describe('credentials', () => {
  const secrets = ['current-secret', 'previous-secret'];
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  it.each([
    [{ authorization: 'Bearer current-secret' }, true],
    [{ authorization: 'bearer previous-secret' }, true],
    [{ 'x-api-key': 'current-secret' }, true],
    [{ authorization: basic('wayke', 'current-secret') }, true],
    [{ authorization: basic('', 'previous-secret') }, true],
    [{}, false],
    [{ authorization: 'Bearer wrong' }, false],
    [{ authorization: 'Bearer current-secret-and-more' }, false],
    [{ authorization: basic('current-secret', 'wrong') }, false],
    [{ authorization: 'current-secret' }, false],
    [{ 'x-api-key': '' }, false],
  ])('%j → %s', (headers, ok) => {
    expect(credentialsMatch(headers, secrets)).toBe(ok);
  });
  it('no accepted secret → nothing matches', () => {
    expect(credentialsMatch({ authorization: 'Bearer ' }, [undefined, ''])).toBe(false);
  });
});

describe('DMS envelope', () => {
  it('has exactly id, type, dealer, occurredAt, vehicle?, wayke', () => {
    const envelope = buildDmsEnvelope({
      id: 'a'.repeat(64),
      type: 'order.created',
      dealer: 'd1',
      occurredAt: '2026-10-05T22:31:26.602Z',
      wayke: parsed('new-order'),
    });
    expect(Object.keys(envelope)).toEqual(['id', 'type', 'dealer', 'occurredAt', 'wayke']);
    expect(DmsEnvelopeSchema.safeParse(envelope).success).toBe(true);
  });
});
