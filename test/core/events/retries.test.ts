/**
 * Retries through a DMS outage, over real protocols: the webhook ingest → local-aws-sqs FIFO → the
 * local event source mapping (the same poller `wayke-dms dev` runs) → the DMS writer use case with
 * its SQS retry scheduler (`ChangeMessageVisibility`), the DynamoDB dedupe/attempt records
 * (dynalite), the Wayke simulator and a signature-verifying DMS on 127.0.0.1. A one-second
 * schedule stands in for the deployed one (5 s … 10 h).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLog } from '../../../functions/adapters/logger.js';
import { SqsEventQueue } from '../../../functions/adapters/sqs-event-queue.js';
import { SqsRetryScheduler } from '../../../functions/adapters/sqs-retry-scheduler.js';
import type { DeliveryReport } from '../../../functions/core/events/deliver-events.js';
import { dealerIndex, makeIngestWebhook } from '../../../functions/core/events/ingest-webhook.js';
import { startSqsPoller, type SqsPoller } from '../../../functions/local/dev/sqs-poller.js';
import { expectValidDeliveries } from '../../support/event-schemas.js';
import { drainQueue, type DeliveryEngines, type DmsReceiver, startDeliveryEngines } from '../../support/webhooks.js';
import { DEALER_ID, fixedSecrets, testDelivery, webhookDealer, webhookHeaders } from '../../support/delivery.js';
import { publishAd } from '../../support/simulator-client.js';

const DEALER = DEALER_ID;
const WEBHOOK_SECRET = 'wayke-calls-us-with-this';
const SCHEDULE = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];

let engines: DeliveryEngines;
let sqs: SQSClient;
let dlqUrl: string;
let receiver: DmsReceiver;
let poller: SqsPoller;
let adA: string;
let adB: string;
const log = new MemoryLog();
const reports: DeliveryReport[] = [];
let ingest: ReturnType<typeof makeIngestWebhook>;

beforeAll(async () => {
  // A visibility timeout far beyond the test: only the retry schedule can bring a message back.
  engines = await startDeliveryEngines('retry-events', 'retry-dedupe', {
    visibilitySeconds: 600,
    maxReceiveCount: 1000,
  });
  const { wayke, queueUrl } = engines;
  ({ sqs, dlqUrl, receiver } = engines);
  adA = await publishAd(wayke, { registrationNumber: 'RTY101', price: 189900, mileage: 52000, modelYear: 2019 });
  adB = await publishAd(wayke, { registrationNumber: 'RTY202', price: 259900, mileage: 31000, modelYear: 2021 });

  const dealers = dealerIndex([webhookDealer(receiver.url)]);
  const secrets = fixedSecrets(WEBHOOK_SECRET);
  const clock = { now: () => new Date() };
  ingest = makeIngestWebhook({ dealers, secrets, queue: new SqsEventQueue({ client: sqs, queueUrl }), clock, log });
  const deliver = testDelivery({
    dealers,
    dynamo: engines.dynamo,
    table: 'retry-dedupe',
    secrets,
    webhookTimeoutMs: 5_000,
    retry: new SqsRetryScheduler({ client: sqs, queueUrl }),
    retrySchedule: SCHEDULE,
    wayke,
    deadLetters: new SqsEventQueue({ client: sqs, queueUrl: dlqUrl }),
    clock,
    log,
  });
  poller = startSqsPoller({
    sqs,
    queueUrl,
    concurrency: 2,
    waitSeconds: 1,
    handler: async (event) => {
      const report = await deliver(
        event.Records.map((record) => ({
          messageId: record.messageId,
          body: record.body,
          receiptHandle: record.receiptHandle,
          ...(record.attributes.MessageGroupId ? { groupId: record.attributes.MessageGroupId } : {}),
          ...(record.attributes.MessageDeduplicationId
            ? { deduplicationId: record.attributes.MessageDeduplicationId }
            : {}),
        })),
      );
      reports.push(report);
      return { batchItemFailures: report.batchItemFailures };
    },
  });
});

afterAll(async () => {
  await poller?.stop();
  await engines?.stop();
});

// Every body a DMS received in this file matches the published schema of its type.
afterEach(() => {
  expect(receiver.deliveries.flatMap((d) => d.schemaErrors)).toEqual([]);
});

beforeEach(() => {
  receiver.deliveries.length = 0;
  receiver.respond = () => 200;
});

const post = async (body: unknown): Promise<string> => {
  const outcome = await ingest({
    dealerId: DEALER,
    headers: webhookHeaders(WEBHOOK_SECRET),
    body: Buffer.from(JSON.stringify(body)),
  });
  if (outcome.outcome !== 'queued') throw new Error(`not queued: ${outcome.outcome}`);
  return outcome.id;
};

const update = (adId: string, plate: string, status: string) => ({ id: adId, registrationNumber: plate, status });

async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function untilAsync<T>(what: string, probe: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('a DMS outage', () => {
  it('a DMS failing its first 8 attempts still receives the event, nothing reaches the DLQ, and the other vehicle flows meanwhile', async () => {
    // Prepare
    const failing = await post(update(adA, 'RTY101', 'Unpublished'));
    const behind = await post(update(adA, 'RTY101', 'Published'));
    let calls = 0;
    receiver.respond = (envelope) => (envelope?.id === failing && calls++ < 8 ? 503 : 200);
    // Act
    const other = await post(update(adB, 'RTY202', 'Sold'));
    // Assess
    await until('the other vehicle delivered while the first one fails', () =>
      receiver.accepted().some((d) => d.id === other),
    );
    expect(receiver.accepted().some((d) => d.id === failing)).toBe(false);
    await until('the failing event and the one behind it accepted', () =>
      receiver.accepted().some((d) => d.id === behind),
    );
    const attempts = receiver.deliveries.filter((d) => d.id === failing).map((d) => d.status);
    expect(attempts).toEqual([503, 503, 503, 503, 503, 503, 503, 503, 200]);
    // Order per vehicle held: the event behind it was not sent before the failing one got through.
    const forA = receiver.deliveries.filter((d) => d.id === failing || d.id === behind).map((d) => d.id);
    expect(forA.indexOf(behind)).toBe(forA.length - 1);
    expect(await drainQueue(sqs, dlqUrl)).toHaveLength(0);
    expectValidDeliveries(receiver.accepted());
  });

  it('a 410 goes to the DLQ at once (one attempt), with the reason', async () => {
    // Prepare
    receiver.respond = () => 410;
    // Act
    const gone = await post(update(adB, 'RTY202', 'Unpublished'));
    // Assess
    await until('the event dead-lettered', () =>
      reports.some((r) => r.outcomes.some((o) => o.outcome === 'deadLettered')),
    );
    const dead = await drainQueue(sqs, dlqUrl);
    expect(dead.map((m) => JSON.parse(m.Body!).id)).toEqual([gone]);
    expect(dead[0]!.MessageAttributes?.reason?.StringValue).toContain('HTTP 410');
    expect(receiver.deliveries.filter((d) => d.id === gone)).toHaveLength(1);
  });

  it('once the schedule is used up the event goes to the DLQ, naming the attempts', async () => {
    // Prepare
    receiver.respond = () => 500;
    // Act
    const doomed = await post(update(adB, 'RTY202', 'Published'));
    // Assess
    const [dead] = await untilAsync(
      'the event dead-lettered after its retries',
      async () => {
        const messages = await drainQueue(sqs, dlqUrl);
        return messages.length > 0 ? messages : null;
      },
      45_000,
    );
    expect(JSON.parse(dead!.Body!).id).toBe(doomed);
    expect(dead!.MessageAttributes?.reason?.StringValue).toMatch(
      /^retries used up after 11 attempts: DMS answered HTTP 500/,
    );
    expect(receiver.deliveries.filter((d) => d.id === doomed)).toHaveLength(SCHEDULE.length + 1);
  }, 60_000);
});
