/**
 * The delivery path end to end over real protocols: ingest → local-aws-sqs FIFO → the DMS writer
 * use case with the DynamoDB dedupe store (dynalite), the Wayke client against the Wayke
 * simulator, the signed webhook sink against a DMS on 127.0.0.1 that verifies signatures, and the
 * FIFO DLQ. The clock is injected so "minutes apart" is real for the dedupe table.
 */
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLog } from '../../../functions/adapters/logger.js';
import { SqsEventQueue } from '../../../functions/adapters/sqs-event-queue.js';
import type { DeliveryReport } from '../../../functions/core/events/deliver-events.js';
import { dealerIndex, makeIngestWebhook } from '../../../functions/core/events/ingest-webhook.js';
import type { WaykeSimulator } from '../../../functions/local/wayke-simulator/index.js';
import type { WaykeApi } from '../../../functions/ports.js';
import {
  FIXTURES,
  drainQueue,
  findPersonalData,
  personalDataInFixtures,
  type DeliveryEngines,
  type DmsReceiver,
  startDeliveryEngines,
} from '../../support/webhooks.js';
import { expectValidDeliveries } from '../../support/event-schemas.js';
import { publishAd } from '../../support/simulator-client.js';
import { BRANCH } from '../../support/import-harness.js';
import {
  DEALER_ID,
  eventRecordOf,
  fixedSecrets,
  testDelivery,
  webhookDealer,
  webhookHeaders,
} from '../../support/delivery.js';

const DEALER = DEALER_ID;
const WEBHOOK_SECRET = 'wayke-calls-us-with-this';

let engines: DeliveryEngines;
let sqs: SQSClient;
let dynamo: DynamoDBClient;
let queueUrl: string;
let dlqUrl: string;
let simulator: WaykeSimulator;
let wayke: WaykeApi;
let receiver: DmsReceiver;
let now = new Date('2026-10-03T14:05:00.000Z');
const clock = { now: () => now };
const log = new MemoryLog();
let ingest: ReturnType<typeof makeIngestWebhook>;
let deliver: ReturnType<typeof testDelivery>;
let adA: string;
let adB: string;

const secrets = fixedSecrets(WEBHOOK_SECRET);

beforeAll(async () => {
  engines = await startDeliveryEngines('delivery-events', 'dedupe', { visibilitySeconds: 30, maxReceiveCount: 5 });
  ({ simulator, receiver, sqs, dynamo, queueUrl, dlqUrl, wayke } = engines);
  adA = await publishAd(wayke, {
    registrationNumber: 'KLM482',
    price: 389900,
    mileage: 43100,
    modelYear: 2022,
    vin: 'YV1ZWA8UDL2123456',
    shortDescription: 'Volvo V90 CC B5 AWD Pro',
  });
  adB = await publishAd(wayke, { registrationNumber: 'NRT55C', price: 519000, mileage: 15200 });

  const dealers = dealerIndex([webhookDealer(receiver.url)]);
  ingest = makeIngestWebhook({ dealers, secrets, queue: new SqsEventQueue({ client: sqs, queueUrl }), clock, log });
  deliver = testDelivery({
    dealers,
    dynamo,
    table: 'dedupe',
    ttlDays: 7,
    secrets,
    webhookTimeoutMs: 5_000,
    wayke,
    deadLetters: new SqsEventQueue({ client: sqs, queueUrl: dlqUrl }),
    clock,
    log,
  });
});

afterAll(async () => {
  await engines?.stop();
});

// Every body a DMS received in this file matches the published schema of its type.
afterEach(() => {
  expect(receiver.deliveries.flatMap((d) => d.schemaErrors)).toEqual([]);
});

beforeEach(async () => {
  receiver.deliveries.length = 0;
  receiver.respond = () => 200;
  now = new Date(now.getTime() + 3_600_000);
  await drainQueue(sqs, queueUrl);
  await drainQueue(sqs, dlqUrl);
});

/** The delivery id (`webhook-id`) of the last accepted call with each body. */
const accepted = new Map<string, string>();
const idOf = (body: string): string => accepted.get(body) ?? 'never accepted';

const post = async (body: string) => {
  const outcome = await ingest({
    dealerId: DEALER,
    headers: webhookHeaders(WEBHOOK_SECRET),
    body: Buffer.from(body),
  });
  if (outcome.outcome === 'queued') accepted.set(body, outcome.id);
  return outcome;
};

/**
 * One Lambda invocation, as the event source mapping does it: a batch from the queue, delete what
 * succeeded, make the batch item failures visible again at once (instead of after the timeout).
 */
async function pump(): Promise<DeliveryReport | null> {
  const messages = await drainQueue(sqs, queueUrl, { keep: true });
  if (messages.length === 0) return null;
  const report = await deliver(messages.map(eventRecordOf));
  const failed = new Set(report.batchItemFailures.map((f) => f.itemIdentifier));
  for (const message of messages) {
    if (failed.has(message.MessageId!))
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle!,
          VisibilityTimeout: 0,
        }),
      );
    else await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
  }
  return report;
}

const purchaseOf = (adId: string) =>
  FIXTURES['purchase-contract-completed']!.replace('5f1c2b7e-0a4d-4c1e-9a57-3e2f1d9b8c01', adId);

describe('delivery to a DMS that verifies the signature', () => {
  it('purchase contract completed → one signed delivery carrying the vehicle read from Wayke', async () => {
    const raw = purchaseOf(adA);
    expect(await post(raw)).toMatchObject({ outcome: 'queued', kind: 'vehicle.purchased' });
    const report = await pump();
    expect(report?.outcomes.map((o) => o.outcome)).toEqual(['delivered']);
    expect(receiver.deliveries).toHaveLength(1);
    const [delivery] = receiver.deliveries;
    expect(delivery!.verified).toBe(true);
    expect(delivery!.id).toBe(idOf(raw));
    expect(delivery!.envelope).toMatchObject({
      id: idOf(raw),
      type: 'vehicle.purchased',
      dealer: DEALER,
      occurredAt: '2026-10-03T14:02:39.142Z',
      vehicle: {
        registrationNumber: 'KLM482',
        price: 389900,
        mileageKm: 43100,
        modelYear: 2022,
        vin: 'YV1ZWA8UDL2123456',
      },
      wayke: JSON.parse(raw),
    });
    expect(simulator.state().calls['GET /vehicle/{id}/ad']).toBeGreaterThanOrEqual(1);
    expect(await pump()).toBeNull();
  });

  it('the same event 5 times at once, and 5 more times minutes apart → one accepted delivery', async () => {
    const raw = FIXTURES['vehicle-updated']!.replace('5f1c2b7e-0a4d-4c1e-9a57-3e2f1d9b8c01', adB).replace(
      'KLM482',
      'NRT55C',
    );
    for (let i = 0; i < 5; i++) expect((await post(raw)).outcome).toBe('queued');
    await pump();
    expect(await pump()).toBeNull();
    expect(receiver.accepted()).toHaveLength(1);
    expect(receiver.accepted()[0]!.envelope).toMatchObject({
      type: 'vehicle.updated',
      vehicle: { registrationNumber: 'NRT55C' },
    });

    // Beyond the FIFO queue's 5-minute window the queue takes the same event again; only the
    // dedupe table stands between it and a second delivery.
    const [first] = receiver.accepted();
    for (let i = 1; i <= 5; i++) {
      now = new Date(now.getTime() + 7 * 60_000);
      const report = await deliver([
        {
          messageId: `later-${i}`,
          body: JSON.stringify({
            v: 1,
            id: first!.id,
            dealerId: DEALER,
            receivedAt: now.toISOString(),
            payload: JSON.parse(raw),
          }),
          groupId: `${DEALER}:${adB}`,
        },
      ]);
      expect(report.outcomes).toEqual([{ messageId: `later-${i}`, outcome: 'duplicate' }]);
    }
    expect(receiver.accepted()).toHaveLength(1);
    expect(receiver.deliveries).toHaveLength(1);
  });

  it('DMS failing twice then succeeding → delivered, accepted once', async () => {
    let calls = 0;
    receiver.respond = () => (calls++ < 2 ? 503 : 200);
    const raw = FIXTURES['new-order']!.replace('5f1c2b7e-0a4d-4c1e-9a57-3e2f1d9b8c01', adA).replace(
      '20461187',
      '20461188',
    );
    await post(raw);
    expect((await pump())?.outcomes.map((o) => o.outcome)).toEqual(['failed']);
    expect((await pump())?.outcomes.map((o) => o.outcome)).toEqual(['failed']);
    expect((await pump())?.outcomes.map((o) => o.outcome)).toEqual(['delivered']);
    expect(await pump()).toBeNull();
    expect(receiver.deliveries.map((d) => d.status)).toEqual([503, 503, 200]);
    expect(receiver.deliveries.every((d) => d.verified && d.id === idOf(raw))).toBe(true);
    expect(receiver.accepted()).toHaveLength(1);
    expect(await drainQueue(sqs, dlqUrl)).toHaveLength(0);
  });

  it('a permanent 400 → the DLQ at once, with group and dedupe ids kept and a reason free of personal data', async () => {
    receiver.respond = () => 400;
    const raw = FIXTURES['new-order']!;
    await post(raw);
    expect((await pump())?.outcomes.map((o) => o.outcome)).toEqual(['deadLettered']);
    expect(await pump()).toBeNull();
    expect(receiver.deliveries).toHaveLength(1);
    const dead = await drainQueue(sqs, dlqUrl);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.Attributes?.MessageGroupId).toBe(`${DEALER}:5f1c2b7e-0a4d-4c1e-9a57-3e2f1d9b8c01`);
    expect(dead[0]!.Attributes?.MessageDeduplicationId).toBe(idOf(raw));
    const reason = dead[0]!.MessageAttributes?.reason?.StringValue ?? '';
    expect(reason).toContain('HTTP 400');
    expect(findPersonalData(reason, personalDataInFixtures())).toEqual([]);
    expect(log.lines.some((line) => line.level === 'ERROR' && line.attributes?.status === 400)).toBe(true);
  });

  it('order within a group holds under a mixed batch with failures', async () => {
    const step = (state: string, stepName: string) =>
      JSON.stringify({
        ...JSON.parse(FIXTURES['process-step']!),
        itemId: adA,
        stepName,
        state,
        stepId: `${stepName}-${state}`,
      });
    const a = [step('started', 'Förkalkyl'), step('completed', 'Förkalkyl'), step('started', 'Besiktning')];
    const b = [
      JSON.stringify({ id: adB, registrationNumber: 'NRT55C', status: 'Published' }),
      JSON.stringify({ id: adB, registrationNumber: 'NRT55C', status: 'Sold' }),
    ];
    for (let i = 0; i < 3; i++) {
      await post(a[i]!);
      if (b[i]) await post(b[i]!);
    }
    const ids = (list: string[]) => list.map((raw) => idOf(raw));
    // The second event of group A fails once.
    let failedOnce = false;
    receiver.respond = (envelope) => {
      if (envelope?.id === ids(a)[1] && !failedOnce) {
        failedOnce = true;
        return 500;
      }
      return 200;
    };
    const first = await pump();
    const byId = new Map(first!.outcomes.map((o) => [o.messageId, o.outcome]));
    expect([...byId.values()].sort()).toEqual(['delivered', 'delivered', 'delivered', 'failed', 'notAttempted']);
    expect(first!.batchItemFailures).toHaveLength(2);
    while (await pump());
    const accepted = receiver.accepted().map((d) => d.id);
    const order = (list: string[]) => accepted.filter((id) => list.includes(id));
    expect(order(ids(a))).toEqual(ids(a));
    expect(order(ids(b))).toEqual(ids(b));
    expect(accepted).toHaveLength(5);
    // The failed event was attempted exactly twice, and nothing after it ran before it succeeded.
    const attemptsOfA = receiver.deliveries.filter((d) => ids(a).includes(d.id)).map((d) => [d.id, d.status]);
    expect(attemptsOfA).toEqual([
      [ids(a)[0], 200],
      [ids(a)[1], 500],
      [ids(a)[1], 200],
      [ids(a)[2], 200],
    ]);
  });

  it('every documented payload is delivered with its kind (personal data only to the DMS)', async () => {
    const kinds: Record<string, string> = {
      'vehicle-updated': 'vehicle.updated',
      'purchase-contract-completed': 'vehicle.purchased',
      'process-step': 'process.step',
      'new-message': 'message.created',
      'new-order': 'order.created',
      'lead-cta': 'lead.created',
      'lead-call': 'lead.created',
      'lead-valuation': 'lead.created',
    };
    for (const [name] of Object.entries(kinds)) await post(FIXTURES[name]!.replace(/"KLM482"/g, '"KLM483"'));
    while (await pump());
    const delivered = new Map(
      receiver.accepted().map((d) => [d.envelope!.type + ':' + JSON.stringify(d.envelope!.wayke).length, d]),
    );
    expect(receiver.accepted()).toHaveLength(8);
    expect(receiver.accepted().every((d) => d.verified)).toBe(true);
    expect([...new Set(receiver.accepted().map((d) => d.envelope!.type))].sort()).toEqual(
      [...new Set(Object.values(kinds))].sort(),
    );
    // The order went to the DMS whole, personal number included.
    expect(receiver.accepted().find((d) => d.envelope!.type === 'order.created')!.body).toContain('198112189876');
    expect(delivered.size).toBe(8);
  });

  it('a record is not started without time left for its delivery; the rest of its group waits too', async () => {
    const a = JSON.stringify({ id: adB, registrationNumber: 'NRT55C', status: 'Unpublished', seq: 1 });
    const b = JSON.stringify({ id: adB, registrationNumber: 'NRT55C', status: 'Published', seq: 2 });
    await post(a);
    await post(b);
    const messages = await drainQueue(sqs, queueUrl, { keep: true });
    let left = 20_000;
    const report = await deliver(messages.map(eventRecordOf), {
      remainingMs: () => (left -= 6_000),
      reserveMs: 10_000,
    });
    expect(report.outcomes.map((o) => o.outcome)).toEqual(['delivered', 'notAttempted']);
    expect(report.batchItemFailures).toEqual([{ itemIdentifier: messages[1]!.MessageId }]);
    expect(receiver.accepted().map((d) => d.id)).toEqual([idOf(a)]);
  });

  it('the same event twice in one batch (redelivered after the FIFO window) is delivered once', async () => {
    const raw = JSON.stringify({ id: adB, registrationNumber: 'NRT55C', status: 'Sold', seq: 'twice' });
    await post(raw);
    const [message] = await drainQueue(sqs, queueUrl);
    const record = eventRecordOf(message!);
    const report = await deliver([record, { ...record, messageId: 'again' }]);
    expect(report.outcomes.map((o) => o.outcome)).toEqual(['delivered', 'duplicate']);
    expect(receiver.deliveries).toHaveLength(1);
  });

  it('when the dedupe table cannot be read, nothing is delivered and the whole batch waits', async () => {
    const broken = testDelivery({
      dealers: dealerIndex([webhookDealer(receiver.url)]),
      dynamo,
      table: 'no-such-table',
      secrets,
      wayke,
      deadLetters: new SqsEventQueue({ client: sqs, queueUrl: dlqUrl }),
      clock,
      log,
    });
    await post(JSON.stringify({ id: adB, registrationNumber: 'NRT55C', status: 'Sold', seq: 'broken' }));
    const messages = await drainQueue(sqs, queueUrl);
    const report = await broken(messages.map(eventRecordOf));
    expect(report.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(messages.map((m) => m.MessageId));
    expect(receiver.deliveries).toHaveLength(0);
  });

  it('log capture: no personal identity number (any format), e-mail or phone number from the fixtures in any log line', () => {
    const known = personalDataInFixtures();
    expect(known).toEqual(expect.arrayContaining(['198112189876', 'erik@example.test', '+46709876543', '0731112233']));
    // The detector finds each kind of personal data in every format, so an empty result means something.
    for (const sample of [
      '811218-9876',
      '8112189876',
      '19811218-9876',
      'mail erik@example.test',
      'tel 0709876543',
      'tel +46709876543',
    ]) {
      expect(findPersonalData(sample, known)).not.toEqual([]);
    }
    expect(log.lines.length).toBeGreaterThan(20);
    expect(findPersonalData(log.text(), known)).toEqual([]);
  });
});

describe('re-sends are acknowledged, repeats are delivered', () => {
  it('Published → Unpublished → Published delivers three events, each with its own webhook-id', async () => {
    // Prepare
    const states = ['Published', 'Unpublished', 'Published'].map((status) =>
      JSON.stringify({ id: adB, registrationNumber: 'NRT55C', status }),
    );
    // Act
    const ids: string[] = [];
    for (const body of states) {
      await post(body);
      ids.push(idOf(body));
      await pump();
    }
    // Assess
    expect(new Set(ids).size).toBe(3);
    expect(receiver.accepted().map((d) => d.id)).toEqual(ids);
    expect(receiver.accepted().map((d) => (d.envelope!.wayke as { status: string }).status)).toEqual([
      'Published',
      'Unpublished',
      'Published',
    ]);
    expectValidDeliveries(receiver.accepted());
  });

  it('two price changes with identical webhook bodies deliver two events carrying the two prices', async () => {
    // Prepare
    const body = JSON.stringify({ id: adA, registrationNumber: 'KLM482', status: 'Published' });
    await wayke.patchAd({ adId: adA, branchId: BRANCH, registrationNumber: 'KLM482', fields: { price: 379900 } });
    // Act
    await post(body);
    await pump();
    await wayke.patchAd({ adId: adA, branchId: BRANCH, registrationNumber: 'KLM482', fields: { price: 369900 } });
    await post(body);
    await pump();
    // Assess
    expect(receiver.accepted().map((d) => d.envelope!.vehicle?.price)).toEqual([379900, 369900]);
    expectValidDeliveries(receiver.accepted());
  });

  it('the same body five times in a row with nothing changed delivers one event', async () => {
    // Prepare
    const body = JSON.stringify({ id: adA, registrationNumber: 'KLM482', status: 'Unpublished' });
    // Act
    for (let i = 0; i < 5; i++) {
      expect((await post(body)).outcome).toBe('queued');
      await pump();
    }
    // Assess
    expect(receiver.accepted()).toHaveLength(1);
    expect(receiver.deliveries).toHaveLength(1);
  });

  it('a re-send after another event for the vehicle came between is delivered again', async () => {
    // Prepare
    const sold = JSON.stringify({ id: adB, registrationNumber: 'NRT55C', status: 'Sold' });
    const step = JSON.stringify({ ...JSON.parse(FIXTURES['process-step']!), itemId: adB, stepId: 'between' });
    // Act
    for (const body of [sold, step, sold]) {
      await post(body);
      await pump();
    }
    // Assess
    expect(receiver.accepted().map((d) => d.envelope!.type)).toEqual([
      'vehicle.updated',
      'process.step',
      'vehicle.updated',
    ]);
  });
});

describe('a DMS endpoint that keeps failing', () => {
  it('is reported (DmsEndpointFailing) once it has failed for more than 15 minutes, and no longer after a success', async () => {
    // Prepare
    receiver.respond = () => 503;
    await post(JSON.stringify({ id: adB, registrationNumber: 'NRT55C', status: 'Unpublished', seq: 'outage' }));
    // Act
    const early = await pump();
    now = new Date(now.getTime() + 16 * 60_000);
    const late = await pump();
    receiver.respond = () => 200;
    now = new Date(now.getTime() + 60_000);
    const recovered = await pump();
    await post(JSON.stringify({ id: adB, registrationNumber: 'NRT55C', status: 'Published', seq: 'after' }));
    receiver.respond = () => 503;
    const next = await pump();
    // Assess
    expect(early?.endpointsFailing).toEqual([]);
    expect(late?.endpointsFailing.map((f) => f.dealerId)).toEqual([DEALER]);
    expect(recovered?.outcomes.map((o) => o.outcome)).toEqual(['delivered']);
    // The failing time starts again after a success: one more failure is not yet 15 minutes.
    expect(next?.endpointsFailing).toEqual([]);
    expect(
      log.lines.some(
        (line) =>
          line.message === 'event delivery failed: next attempt scheduled' &&
          line.attributes?.retryInSeconds !== undefined,
      ),
    ).toBe(true);
    receiver.respond = () => 200;
    while (await pump());
  });
});

describe('the FIFO batch (Powertools SqsFifoPartialProcessorAsync, skipGroupOnError)', () => {
  const updateOf = (adId: string, plate: string, seq: number) =>
    JSON.stringify({ id: adId, registrationNumber: plate, status: seq % 2 === 0 ? 'Published' : 'Unpublished', seq });

  it('a group whose first record fails: none of its three is delivered now, all three later, in order', async () => {
    const group = [1, 2, 3].map((seq) => updateOf(adB, 'NRT55C', seq));
    for (const body of group) await post(body);
    let calls = 0;
    receiver.respond = () => (calls++ === 0 ? 503 : 200);
    const first = await pump();
    expect(first?.outcomes.map((o) => o.outcome)).toEqual(['failed', 'notAttempted', 'notAttempted']);
    expect(first?.batchItemFailures).toHaveLength(3);
    expect(receiver.accepted()).toEqual([]);
    await pump();
    expect(receiver.accepted().map((d) => d.id)).toEqual(group.map(idOf));
  });

  it('two groups, one failing: the other vehicle is delivered in the same batch', async () => {
    const failing = updateOf(adA, 'KLM482', 11);
    const flowing = updateOf(adB, 'NRT55C', 12);
    await post(failing);
    await post(flowing);
    receiver.respond = (envelope) => (envelope?.registrationNumber === 'KLM482' ? 503 : 200);
    const report = await pump();
    expect(report?.batchItemFailures).toHaveLength(1);
    expect(receiver.accepted().map((d) => d.id)).toEqual([idOf(flowing)]);
  });

  it('a crash after the first delivery (no batch response): the batch returns whole, the delivered record is not sent again, the rest follow in order', async () => {
    const group = [21, 22, 23].map((seq) => updateOf(adB, 'NRT55C', seq));
    for (const body of group) await post(body);
    const messages = await drainQueue(sqs, queueUrl, { keep: true });
    // The invocation died after its first record: nothing was deleted, every message comes back.
    await deliver(messages.slice(0, 1).map(eventRecordOf));
    for (const message of messages)
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle!,
          VisibilityTimeout: 0,
        }),
      );
    const report = await pump();
    expect(report?.outcomes.map((o) => o.outcome)).toEqual(['duplicate', 'delivered', 'delivered']);
    expect(receiver.deliveries.map((d) => d.id)).toEqual(group.map(idOf));
  });

  it('time running out: no group is started, every record comes back unattempted and none is lost', async () => {
    const bodies = [updateOf(adA, 'KLM482', 31), updateOf(adB, 'NRT55C', 32)];
    for (const body of bodies) await post(body);
    const messages = await drainQueue(sqs, queueUrl, { keep: true });
    const report = await deliver(messages.map(eventRecordOf), { remainingMs: () => 5_000, reserveMs: 10_000 });
    expect(report.outcomes.map((o) => o.outcome)).toEqual(['notAttempted', 'notAttempted']);
    expect(report.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(messages.map((m) => m.MessageId));
    expect(receiver.deliveries).toEqual([]);
    expect(await drainQueue(sqs, dlqUrl)).toEqual([]);
  });
});
