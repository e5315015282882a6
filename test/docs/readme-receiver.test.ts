/**
 * A DMS receiver written only from the README's "For DMS vendors" section — the official
 * `standardwebhooks` library and the published schemas, nothing from this project — receives a
 * purchase through the real delivery path (ingest → local-aws-sqs FIFO → DMS writer with dynalite
 * and the Wayke simulator) and creates the car with make, model, VIN and images.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLog } from '../../functions/adapters/logger.js';
import { SqsEventQueue } from '../../functions/adapters/sqs-event-queue.js';
import { dealerIndex, makeIngestWebhook } from '../../functions/core/events/ingest-webhook.js';
import {
  FIXTURES,
  TEST_SIGNING_SECRET,
  type DeliveryEngines,
  drainQueue,
  startDeliveryEngines,
} from '../support/webhooks.js';
import { publishAd } from '../support/simulator-client.js';
import { BRANCH } from '../support/import-harness.js';
import { DEALER_ID, fixedSecrets, testDelivery, webhookDealer, webhookHeaders } from '../support/delivery.js';

/** The vendor's side: verify, validate, create the car; 401 on a bad signature, 400 on a bad body. */
function startVendorDms(secret: string) {
  const webhook = new Webhook(secret);
  const ajv = new Ajv2020({ strict: false });
  (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync('docs/events/vehicle.purchased.schema.json', 'utf8')) as object);
  const cars: Array<{ id: string; plate: string; make: string; model: string; vin: string; images: string[] }> = [];
  const server: Server = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    request.on('end', () => {
      let event: {
        id: string;
        type: string;
        vehicle: { registrationNumber: string; make: string; model: string; vin: string; images: string[] };
      };
      try {
        event = webhook.verify(raw, request.headers as Record<string, string>) as typeof event;
      } catch {
        response.writeHead(401).end();
        return;
      }
      if (event.type === 'vehicle.purchased') {
        if (!validate(event)) {
          response.writeHead(400).end();
          return;
        }
        if (!cars.some((car) => car.id === event.id)) {
          cars.push({
            id: event.id,
            plate: event.vehicle.registrationNumber,
            make: event.vehicle.make,
            model: event.vehicle.model,
            vin: event.vehicle.vin,
            images: event.vehicle.images,
          });
        }
      }
      response.writeHead(204).end();
    });
  });
  return { server, cars };
}

// The engines' own signature-checking DMS stays idle: the vendor's receiver is what is under test.
let engines: DeliveryEngines;
let vendor: ReturnType<typeof startVendorDms>;
let url: string;

beforeAll(async () => {
  engines = await startDeliveryEngines('readme-events', 'readme-dedupe', { visibilitySeconds: 30, maxReceiveCount: 3 });
  vendor = startVendorDms(TEST_SIGNING_SECRET);
  await new Promise<void>((resolve) => vendor.server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(vendor.server.address() as AddressInfo).port}/wayke`;
});

afterAll(async () => {
  vendor?.server.closeAllConnections();
  await new Promise<void>((resolve) => (vendor ? vendor.server.close(() => resolve()) : resolve()));
  await engines?.stop();
});

describe('a receiver built from the README', () => {
  it('creates the purchased car with make, model, VIN and images', async () => {
    // Prepare
    const { sqs, dynamo, queueUrl, dlqUrl, wayke } = engines;
    const image = await wayke.uploadImageBytes({
      branchId: BRANCH,
      bytes: Buffer.from('89504e470d0a1a0a', 'hex'),
      fileName: 'front.png',
      contentType: 'image/png',
      sortOrder: 0,
    });
    const adId = await publishAd(
      wayke,
      { registrationNumber: 'KLM482', price: 389900, mileage: 43100, modelYear: 2022 },
      { mediaUrls: [image.url] },
    );
    const dealers = dealerIndex([webhookDealer(url)]);
    const secrets = fixedSecrets('w');
    const clock = { now: () => new Date() };
    const log = new MemoryLog();
    const ingest = makeIngestWebhook({
      dealers,
      secrets,
      queue: new SqsEventQueue({ client: sqs, queueUrl }),
      clock,
      log,
    });
    const deliver = testDelivery({
      dealers,
      dynamo,
      table: 'readme-dedupe',
      secrets,
      wayke,
      deadLetters: new SqsEventQueue({ client: sqs, queueUrl: dlqUrl }),
      clock,
      log,
    });
    // Act
    const purchase = FIXTURES['purchase-contract-completed']!.replace('5f1c2b7e-0a4d-4c1e-9a57-3e2f1d9b8c01', adId);
    expect(
      (
        await ingest({
          dealerId: DEALER_ID,
          headers: webhookHeaders('w'),
          body: Buffer.from(purchase),
        })
      ).outcome,
    ).toBe('queued');
    const messages = await drainQueue(sqs, queueUrl);
    const report = await deliver(
      messages.map((m) => ({ messageId: m.MessageId!, body: m.Body!, groupId: m.Attributes!.MessageGroupId! })),
    );
    // Assess
    expect(report.outcomes.map((o) => o.outcome)).toEqual(['delivered']);
    expect(vendor.cars).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{64}$/),
        plate: 'KLM482',
        make: expect.any(String),
        model: expect.any(String),
        vin: expect.stringMatching(/^[A-HJ-NPR-Z0-9]{17}$/),
        images: [image.url],
      },
    ]);
  });
});
