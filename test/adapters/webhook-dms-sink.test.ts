import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DmsRejectedError, DmsUnavailableError, WebhookDmsSink } from '../../functions/adapters/webhook-dms-sink.js';
import { DealerSchema } from '../../functions/core/dealer-config.js';
import { PermanentError } from '../../functions/core/errors.js';
import { buildDmsEnvelope } from '../../functions/core/events/envelope.js';
import { TEST_SIGNING_SECRET, startDmsReceiver, type DmsReceiver } from '../support/webhooks.js';

const BRANCH = '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';
const secrets = {
  getDealerSecrets: async () => ({
    waykeClientId: 'i',
    waykeClientSecret: 's',
    webhookSecret: 'w',
    dmsSigningSecret: TEST_SIGNING_SECRET,
  }),
};
const now = new Date('2026-10-03T14:05:00Z');
const envelope = buildDmsEnvelope({
  id: 'a'.repeat(64),
  type: 'order.created',
  dealer: 'dl1',
  occurredAt: now.toISOString(),
  wayke: { customer: { email: 'erik@example.test' } },
});
const dealerAt = (url: string) =>
  DealerSchema.parse({ id: 'dl1', name: 'D', branchId: BRANCH, dms: { type: 'webhook', url } });

let receiver: DmsReceiver;
let slow: Server;
let slowUrl: string;

beforeAll(async () => {
  receiver = await startDmsReceiver();
  slow = createServer(() => undefined); // never answers
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', () => resolve()));
  slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  slow.closeAllConnections();
  await new Promise<void>((resolve) => slow.close(() => resolve()));
  await receiver.stop();
});

describe('WebhookDmsSink', () => {
  const sink = new WebhookDmsSink({ secrets, clock: { now: () => now }, timeoutMs: 10_000 });
  const impatient = new WebhookDmsSink({ secrets, clock: { now: () => now }, timeoutMs: 200 });

  it('POSTs the envelope with Standard Webhooks headers the receiver verifies', async () => {
    receiver.respond = () => 204;
    await sink.deliver({ dealer: dealerAt(receiver.url), envelope });
    const delivery = receiver.deliveries.at(-1)!;
    expect(delivery.verified).toBe(true);
    expect(delivery.id).toBe(envelope.id);
    expect(delivery.timestamp).toBe(String(now.getTime() / 1000));
    expect(JSON.parse(delivery.body)).toEqual(envelope);
  });

  it.each([400, 401, 403, 404, 409, 410, 422])('HTTP %i is permanent', async (status) => {
    receiver.respond = () => status;
    const error = await sink.deliver({ dealer: dealerAt(receiver.url), envelope }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DmsRejectedError);
    expect((error as DmsRejectedError).context.status).toBe(status);
    expect((error as Error).message).not.toContain('erik@example.test');
    expect((error as Error).message).not.toContain('127.0.0.1');
  });

  it.each([408, 429, 500, 502, 503])('HTTP %i is retryable', async (status) => {
    receiver.respond = () => status;
    await expect(sink.deliver({ dealer: dealerAt(receiver.url), envelope })).rejects.toBeInstanceOf(
      DmsUnavailableError,
    );
  });

  it('a timeout and a refused connection are retryable', async () => {
    await expect(impatient.deliver({ dealer: dealerAt(slowUrl), envelope })).rejects.toThrow(/timed out/);
    await expect(sink.deliver({ dealer: dealerAt('http://127.0.0.1:9/'), envelope })).rejects.toBeInstanceOf(
      DmsUnavailableError,
    );
  });

  it('an unusable signing secret or a non-webhook dealer is permanent and quotes no secret', async () => {
    const bad = new WebhookDmsSink({
      secrets: {
        getDealerSecrets: async () => ({ ...(await secrets.getDealerSecrets()), dmsSigningSecret: 'plain-text-key' }),
      },
      clock: { now: () => now },
    });
    const error = await bad.deliver({ dealer: dealerAt(receiver.url), envelope }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error!.message).not.toContain('plain-text-key');
    const outbox = DealerSchema.parse({ id: 'dl1', name: 'D', branchId: BRANCH, dms: { type: 'outbox' } });
    await expect(sink.deliver({ dealer: outbox, envelope })).rejects.toBeInstanceOf(PermanentError);
  });
});
