/**
 * The webhook path's use cases as the delivery tests and the benchmark wire them: one dealer with
 * a webhook DMS, a secret store answering fixed secrets, the ingest, and the DMS writer with its
 * dedupe and attempt records in one dynalite table and the FIFO runner the Lambda uses.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Message } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDedupeStore } from '../../functions/adapters/dynamo-dedupe-store.js';
import { DynamoDeliveryAttempts } from '../../functions/adapters/dynamo-delivery-attempts.js';
import { powertoolsFifoRunner } from '../../functions/adapters/powertools-fifo-runner.js';
import { S3OutboxDmsSink } from '../../functions/adapters/s3-outbox-dms-sink.js';
import { WebhookDmsSink } from '../../functions/adapters/webhook-dms-sink.js';
import { DealerSchema, type ResolvedDealer } from '../../functions/core/dealer-config.js';
import {
  makeDeliverEvents,
  type DeliverEventsDeps,
  type EventRecord,
} from '../../functions/core/events/deliver-events.js';
import type { DealerSecrets, DmsSink, InboundAuthStore, SecretStore, WaykeApi } from '../../functions/ports.js';
import { BRANCH } from './import-harness.js';
import { TEST_SIGNING_SECRET } from './webhooks.js';

/** The dealer every delivery test delivers for. */
export const DEALER_ID = 'bilhallen';

/** The delivery dealer, its DMS a signed webhook to `url`. */
export function webhookDealer(url: string): ResolvedDealer {
  return DealerSchema.parse({
    id: DEALER_ID,
    name: 'Bilhallen',
    branchId: BRANCH,
    dms: { type: 'webhook', url },
  });
}

/** The simulator's default credentials and the test signing secret, as the secret store holds them. */
export const SIMULATOR_DEALER_SECRETS: DealerSecrets = {
  waykeClientId: 'sim-client',
  waykeClientSecret: 'sim-secret',
  dmsSigningSecret: TEST_SIGNING_SECRET,
};

/** Both secret ports answering the same secrets for every dealer: the ingest's key and the writer's. */
export function fixedSecrets(
  webhookSecret: string,
  dealerSecrets: DealerSecrets = SIMULATOR_DEALER_SECRETS,
): SecretStore & InboundAuthStore {
  return { getDealerSecrets: async () => dealerSecrets, getInboundAuth: async () => ({ webhookSecret }) };
}

/** The headers Wayke calls the webhook with: the dealer's key as a bearer token, a JSON body. */
export const webhookHeaders = (webhookSecret: string) => ({
  authorization: `Bearer ${webhookSecret}`,
  'content-type': 'application/json',
});

export interface TestDeliveryOptions
  extends Omit<DeliverEventsDeps, 'runInOrder' | 'dedupe' | 'attempts' | 'sinks' | 'wayke'> {
  readonly dynamo: DynamoDBClient;
  /** The table holding both the dedupe and the attempt records (`createDedupeTable`). */
  readonly table: string;
  readonly secrets: SecretStore;
  readonly wayke: WaykeApi;
  readonly ttlDays?: number;
  readonly webhookTimeoutMs?: number;
  /** The outbox sink; when absent, one on a bucket no test dealer delivers to. */
  readonly outbox?: DmsSink;
}

/** The DMS writer's use case on dynalite, with a signed-webhook sink and the Lambda's FIFO runner. */
export function testDelivery(options: TestDeliveryOptions): ReturnType<typeof makeDeliverEvents> {
  const { dynamo, table, secrets, wayke, ttlDays, webhookTimeoutMs, outbox, ...deps } = options;
  const { clock } = deps;
  return makeDeliverEvents({
    ...deps,
    runInOrder: powertoolsFifoRunner,
    dedupe: new DynamoDedupeStore({ client: dynamo, tableName: table, ttlDays, clock }),
    attempts: new DynamoDeliveryAttempts({ client: dynamo, tableName: table, clock }),
    sinks: {
      webhook: new WebhookDmsSink({ secrets, clock, timeoutMs: webhookTimeoutMs }),
      outbox: outbox ?? new S3OutboxDmsSink({ client: new S3Client({ region: 'eu-north-1' }), bucket: 'unused' }),
    },
    wayke: async () => wayke,
  });
}

/** A received SQS message as the event source mapping hands it to the DMS writer. */
export const eventRecordOf = (message: Message): EventRecord => ({
  messageId: message.MessageId!,
  body: message.Body!,
  groupId: message.Attributes?.MessageGroupId,
  deduplicationId: message.Attributes?.MessageDeduplicationId,
});
