/**
 * The DMS writer's Lambda function as `build(env, ports)` makes it: its env validated by the
 * handler's schema, SDK clients reaching local-aws-sqs, dynalite and s3rver, the Wayke simulator
 * through `WAYKE_*`, the dealer secrets from an in-memory store; its log kept in memory.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readEnv } from '../../functions/adapters/env.js';
import { MemoryLog } from '../../functions/adapters/logger.js';
import { build, DmsWriterEnvSchema } from '../../functions/handlers/wiring/dms-writer.js';
import { eventId, messageGroupId } from '../../functions/core/events/identity.js';
import { classifyWaykeEvent } from '../../functions/core/events/classify.js';
import { eventMessageBody } from '../../functions/core/events/message.js';
import { lambdaContext } from '../../functions/local/dev/lambda.js';
import { toSqsRecord } from '../../functions/local/dev/sqs-poller.js';
import { startWaykeSimulator, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import {
  FIXTURES,
  TEST_SIGNING_SECRET,
  createDedupeTable,
  createFifoPair,
  drainQueue,
  dynamoClient,
  findPersonalData,
  localS3Client,
  personalDataInFixtures,
  sqsClient,
  startDmsReceiver,
  startLocalDynamo,
  startLocalS3,
  startLocalSqs,
  type DmsReceiver,
} from '../support/webhooks.js';
import { publishAd, simulatorWaykeClient } from '../support/simulator-client.js';
import { BRANCH } from '../support/import-harness.js';

const BUCKET = 'feeds-test';

let servers: Array<{ stop(): Promise<void> }> = [];
let sqs: SQSClient;
let s3: S3Client;
let queueUrl: string;
let dlqUrl: string;
let simulator: WaykeSimulator;
let receiver: DmsReceiver;
let adId: string;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
const context = lambdaContext('dms-writer', 30_000);
const log = new MemoryLog();
let writerDynamo: DynamoDBClient;

beforeAll(async () => {
  const [sqsServer, dynamoServer, s3Server] = await Promise.all([
    startLocalSqs(),
    startLocalDynamo(),
    startLocalS3({ directory: mkdtempSync(join(tmpdir(), 'dms-writer-s3-')) }),
  ]);
  [simulator, receiver] = await Promise.all([startWaykeSimulator(), startDmsReceiver()]);
  servers = [sqsServer, dynamoServer, s3Server, simulator, receiver];
  sqs = sqsClient(sqsServer.url);
  s3 = localS3Client(s3Server.url);
  const dynamo = dynamoClient(dynamoServer.url);
  ({ queueUrl, dlqUrl } = await createFifoPair(sqs, 'writer-events', { maxReceiveCount: 5 }));
  await createDedupeTable(dynamo, 'writer-dedupe');
  dynamo.destroy();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const wayke = simulatorWaykeClient(simulator);
  adId = await publishAd(wayke, { registrationNumber: 'KLM482', price: 389900, mileage: 43100 });

  const secrets = {
    getDealerSecrets: async () => ({
      waykeClientId: 'sim-client',
      waykeClientSecret: 'sim-secret',
      dmsSigningSecret: TEST_SIGNING_SECRET,
    }),
  };
  const dir = mkdtempSync(join(tmpdir(), 'dms-writer-'));
  const dealers = join(dir, 'dealers.json');
  writeFileSync(
    dealers,
    JSON.stringify({
      dealers: [
        { id: 'bilhallen', name: 'Bilhallen', branchId: BRANCH, dms: { type: 'webhook', url: receiver.url } },
        {
          id: 'motorcentrum',
          name: 'Motorcentrum',
          branchId: BRANCH,
          dms: { type: 'outbox', events: ['order.created', 'vehicle.purchased'] },
        },
      ],
    }),
  );
  const env = readEnv(DmsWriterEnvSchema, {
    DEDUPE_TABLE: 'writer-dedupe',
    EVENTS_QUEUE_URL: queueUrl,
    FEED_BUCKET: BUCKET,
    EVENTS_DLQ_URL: dlqUrl,
    DEALERS_FILE: dealers,
    WAYKE_AUTH_URL: simulator.authUrl,
    WAYKE_DEALER_API_URL: simulator.dealerApiUrl,
    WAYKE_MEDIA_API_URL: simulator.mediaApiUrl,
  });
  writerDynamo = dynamoClient(dynamoServer.url);
  handler = build(env, {
    log,
    metrics: new Metrics({ namespace: 'WaykeDmsTest' }),
    sqs,
    dynamo: writerDynamo,
    s3,
    secrets,
  });
});

afterAll(async () => {
  writerDynamo?.destroy();
  sqs?.destroy();
  s3?.destroy();
  await Promise.all(servers.map((server) => server.stop()));
});

// Every body a DMS received in this file matches the published schema of its type.
afterEach(() => {
  expect(receiver.deliveries.flatMap((d) => d.schemaErrors)).toEqual([]);
});

beforeEach(async () => {
  receiver.deliveries.length = 0;
  receiver.respond = () => 200;
  await drainQueue(sqs, dlqUrl);
});

/** Sends raw Wayke payloads as the webhook Lambda would, then receives them as one Lambda batch. */
async function batchOf(dealerId: string, raws: string[]): Promise<SQSEvent> {
  for (const raw of raws) {
    const classified = classifyWaykeEvent(JSON.parse(raw));
    if (!classified.ok) throw new Error(classified.reason);
    // Version 1 messages (id = body hash), as queued before a deploy, are still delivered.
    const id = eventId(dealerId, raw);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: eventMessageBody({
          v: 1,
          id,
          dealerId,
          receivedAt: new Date().toISOString(),
          payload: JSON.parse(raw),
        }),
        MessageGroupId: messageGroupId(dealerId, classified.event),
        MessageDeduplicationId: id,
      }),
    );
  }
  const messages = await drainQueue(sqs, queueUrl);
  return {
    Records: messages.map((message) => toSqsRecord(message, 'arn:aws:sqs:eu-north-1:123456789012:writer-events.fifo')),
  };
}

describe('dms-writer handler', () => {
  it('delivers a purchase with the vehicle from Wayke; the same record again is acknowledged without a second delivery', async () => {
    const raw = FIXTURES['purchase-contract-completed']!.replace('5f1c2b7e-0a4d-4c1e-9a57-3e2f1d9b8c01', adId);
    const event = await batchOf('bilhallen', [raw]);
    expect(await handler(event, context)).toEqual({ batchItemFailures: [] });
    expect(receiver.accepted()).toHaveLength(1);
    expect(receiver.accepted()[0]!.envelope).toMatchObject({
      type: 'vehicle.purchased',
      vehicle: { registrationNumber: 'KLM482', mileageKm: 43100 },
    });
    expect(await handler(event, context)).toEqual({ batchItemFailures: [] });
    expect(receiver.deliveries).toHaveLength(1);
  });

  it("writes an outbox dealer's events as JSON files under feeds/<dealer>/outbox/, skipping kinds switched off", async () => {
    const event = await batchOf('motorcentrum', [FIXTURES['new-order']!, FIXTURES['lead-cta']!]);
    expect(await handler(event, context)).toEqual({ batchItemFailures: [] });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'feeds/motorcentrum/outbox/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([
      `feeds/motorcentrum/outbox/20261005T223126602Z-order.created-${eventId('motorcentrum', FIXTURES['new-order']!)}.json`,
    ]);
    const file = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: listed.Contents![0]!.Key! }));
    const envelope = JSON.parse(await file.Body!.transformToString());
    expect(envelope).toMatchObject({
      type: 'order.created',
      dealer: 'motorcentrum',
      wayke: JSON.parse(FIXTURES['new-order']!),
    });
  });

  it('a permanent DMS refusal goes to the DLQ and is acknowledged; a 503 is a batch item failure', async () => {
    receiver.respond = (envelope) => (envelope?.type === 'order.created' ? 422 : 503);
    const order = FIXTURES['new-order']!.replace('20461187', '1');
    const update = JSON.stringify({ id: 'another-ad', registrationNumber: 'ABC123', status: 'Sold' });
    const event = await batchOf('bilhallen', [order, update]);
    const response = await handler(event, context);
    const updateRecord = event.Records.find((r) => JSON.parse(r.body).id === eventId('bilhallen', update))!;
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: updateRecord.messageId }]);
    const dead = await drainQueue(sqs, dlqUrl);
    expect(dead.map((m) => JSON.parse(m.Body!).id)).toEqual([eventId('bilhallen', order)]);
  });

  it('no personal data in anything the handler printed', () => {
    const printed = JSON.stringify(log.lines);
    expect(printed).toContain('event delivered');
    expect(findPersonalData(printed, personalDataInFixtures())).toEqual([]);
  });
});
