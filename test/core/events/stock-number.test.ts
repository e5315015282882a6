/**
 * End to end on the local engines: a feed import (the real use case against the Wayke simulator,
 * its snapshot on dynalite), then Wayke's purchase webhook through the ingest and the DMS writer's
 * use case to a real HTTP receiver — the delivered car carries the feed's stock number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLog } from '../../../functions/adapters/logger.js';
import type { EventRecord } from '../../../functions/core/events/deliver-events.js';
import { dealerIndex, makeIngestWebhook } from '../../../functions/core/events/ingest-webhook.js';
import type { EventQueue, EventQueueMessage } from '../../../functions/ports.js';
import { startDynamo, type Dynamo } from '../../support/engines.js';
import { dealer, startHarness, type Harness } from '../../support/import-harness.js';
import { FIXTURES, createDedupeTable, startDmsReceiver, type DmsReceiver } from '../../support/webhooks.js';
import { DEALER_ID, fixedSecrets, testDelivery, webhookDealer, webhookHeaders } from '../../support/delivery.js';

const DEALER = DEALER_ID;
const WEBHOOK_SECRET = 'wayke-calls-us-with-this';
const FIXTURE_AD = '5f1c2b7e-0a4d-4c1e-9a57-3e2f1d9b8c01';

let dynamo: Dynamo;
let harness: Harness;
let receiver: DmsReceiver;

/** A queue that keeps what it is sent, in order (the events queue and its DLQ). */
function memoryQueue(): EventQueue & { readonly sent: EventQueueMessage[] } {
  const sent: EventQueueMessage[] = [];
  return {
    sent,
    send: async (message) => {
      sent.push(message);
    },
  };
}

beforeAll(async () => {
  dynamo = await startDynamo();
  [harness, receiver] = await Promise.all([startHarness(dynamo), startDmsReceiver()]);
  await createDedupeTable(dynamo.client, 'stock-number-dedupe');
});

afterAll(async () => {
  await Promise.all([harness?.stop(), receiver?.stop()]);
  await dynamo?.stop();
});

describe("the dealer's stock number", () => {
  it('a feed import then a purchase webhook → the delivered car has the stock number the feed gave', async () => {
    const feed = Buffer.from('registrationNumber,price,mileage,lagernummer\nKLM482,389900,4310,B-1042\n');
    await harness.run(feed, { dealer: dealer(DEALER) });
    const adId = harness.sim.state().adsByPlate.KLM482?.[0];
    expect(adId).toBeDefined();

    const secrets = fixedSecrets(WEBHOOK_SECRET);
    const dealers = dealerIndex([webhookDealer(receiver.url)]);
    const clock = { now: () => new Date() };
    const log = new MemoryLog();
    const events = memoryQueue();
    const ingest = makeIngestWebhook({ dealers, secrets, queue: events, clock, log });
    await ingest({
      dealerId: DEALER,
      headers: webhookHeaders(WEBHOOK_SECRET),
      body: Buffer.from(FIXTURES['purchase-contract-completed']!.replace(FIXTURE_AD, adId!)),
    });
    const deliver = testDelivery({
      dealers,
      dynamo: dynamo.client,
      table: 'stock-number-dedupe',
      secrets,
      webhookTimeoutMs: 5_000,
      wayke: harness.wayke,
      snapshots: harness.store,
      deadLetters: memoryQueue(),
      clock,
      log,
    });
    const records: EventRecord[] = events.sent.map((message, i) => ({
      messageId: `m-${i}`,
      body: message.body,
      groupId: message.groupId,
      deduplicationId: message.deduplicationId,
    }));
    expect((await deliver(records)).outcomes.map((o) => o.outcome)).toEqual(['delivered']);
    expect(receiver.accepted()[0]?.envelope).toMatchObject({
      type: 'vehicle.purchased',
      vehicle: { registrationNumber: 'KLM482', externalId: 'B-1042' },
    });
  });
});
