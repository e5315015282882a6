/**
 * The DMS writer's wiring: its env schema and `build(env, ports)`, which constructs the adapters
 * from a validated env and returns the Lambda function. Kept apart from `../dms-writer.ts` so a
 * test builds it with its own env and clients, without the module reading `process.env` at import.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { readResolvedDealerConfig } from '../../adapters/dealer-config-file.js';
import { DEFAULT_DEDUPE_TTL_DAYS, DynamoDedupeStore } from '../../adapters/dynamo-dedupe-store.js';
import { DynamoDeliveryAttempts } from '../../adapters/dynamo-delivery-attempts.js';
import { DynamoSnapshotStore } from '../../adapters/dynamo-snapshot-store.js';
import { DealerRuntimeEnvSchema } from '../../adapters/env.js';
import { S3EventArchive } from '../../adapters/s3-event-archive.js';
import { S3OutboxDmsSink } from '../../adapters/s3-outbox-dms-sink.js';
import { SecretsManagerSecretStore } from '../../adapters/secrets-manager-secret-store.js';
import { SqsEventQueue } from '../../adapters/sqs-event-queue.js';
import { SqsRetryScheduler } from '../../adapters/sqs-retry-scheduler.js';
import {
  createDealerWaykeClients,
  createWaykeClientFactory,
  WaykeUrlsEnvSchema,
  waykeUrlsFromEnv,
} from '../../adapters/wayke-http-client.js';
import { WebhookDmsSink } from '../../adapters/webhook-dms-sink.js';
import { RetryableError } from '../../core/errors.js';
import { makeDeliverEvents, type DeliveryReport, type EventRecord } from '../../core/events/deliver-events.js';
import { dealerIndex } from '../../core/events/ingest-webhook.js';
import {
  DEFAULT_DMS_RETRY_SCHEDULE,
  DMS_ENDPOINT_FAILING_MESSAGE,
  formatRetrySchedule,
  RetryScheduleTextSchema,
} from '../../core/events/retry-schedule.js';
import type { Clock, EventQueue, Log, SecretStore } from '../../ports.js';
import { powertoolsFifoRunner } from '../../adapters/powertools-fifo-runner.js';

export const DmsWriterEnvSchema = z.object({
  ...DealerRuntimeEnvSchema.shape,
  ...WaykeUrlsEnvSchema.shape,
  DEDUPE_TABLE: z.string().min(1),
  FEED_BUCKET: z.string().min(1),
  /** The events queue: a failed record is hidden there until its next attempt. */
  EVENTS_QUEUE_URL: z.url(),
  /**
   * The events queue's DLQ: permanently refused events are sent here at once. Without it they
   * are left on the queue and reach the DLQ through the redrive policy after `maxReceiveCount`.
   */
  EVENTS_DLQ_URL: z.url().optional(),
  /** The import's snapshot table (read-only: GetItem), for the dealer's stock number; without it none is sent. */
  SNAPSHOT_TABLE: z.string().min(1).optional(),
  /** Per-request timeout of a DMS webhook delivery, ms. */
  DMS_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  DEDUPE_TTL_DAYS: z.coerce.number().positive().default(DEFAULT_DEDUPE_TTL_DAYS),
  /** Delays after each failed attempt (`5s,30s,2m,…`); CDK context `dmsRetrySchedule`. */
  DMS_RETRY_SCHEDULE: z.string().default(formatRetrySchedule(DEFAULT_DMS_RETRY_SCHEDULE)).pipe(RetryScheduleTextSchema),
  /** Bucket of the archive of delivered events (`wayke-dms replay`); without it nothing is archived. */
  EVENT_ARCHIVE_BUCKET: z.string().min(1).optional(),
});

export type DmsWriterEnv = z.output<typeof DmsWriterEnvSchema>;

export interface DmsWriterPorts {
  readonly log: Log;
  readonly metrics: Metrics;
  readonly clock?: Clock;
  readonly sqs?: SQSClient;
  readonly dynamo?: DynamoDBClient;
  readonly s3?: S3Client;
  /** The dealer secrets (Wayke credentials, DMS signing secret); default Secrets Manager. */
  readonly secrets?: SecretStore;
}

/** Time a record needs beyond its DMS timeout: the dedupe write and the archive. */
const AFTER_DELIVERY_MS = 2_000;

/** Without `EVENTS_DLQ_URL`: refuse, so the record stays a batch item failure and SQS redrives it. */
const viaRedrivePolicy: EventQueue = {
  send: async () => {
    throw new RetryableError('EVENTS_DLQ_URL is not set: left for the redrive policy', { operation: 'deadLetter' });
  },
};

const toEventRecord = (record: SQSRecord): EventRecord => ({
  messageId: record.messageId,
  body: record.body,
  ...(record.attributes.MessageGroupId ? { groupId: record.attributes.MessageGroupId } : {}),
  ...(record.attributes.MessageDeduplicationId ? { deduplicationId: record.attributes.MessageDeduplicationId } : {}),
  receiptHandle: record.receiptHandle,
});

/** Counted on every invocation, so none publishes an empty metric set. */
function countOutcomes(metrics: Metrics, log: Log, received: number, report: DeliveryReport): void {
  const count = (outcome: string) => report.outcomes.filter((entry) => entry.outcome === outcome).length;
  metrics.addMetric('DmsEventsReceived', MetricUnit.Count, received);
  const failed = count('failed') + count('deadLettered');
  if (failed > 0) metrics.addMetric('DmsDeliveryFailed', MetricUnit.Count, failed);
  if (count('delivered') > 0) metrics.addMetric('DmsEventsDelivered', MetricUnit.Count, count('delivered'));
  for (const failing of report.endpointsFailing) {
    // Per dealer, so the alarm names whose DMS is down; the local console shows the log line.
    const single = metrics.singleMetric();
    single.addDimension('dealer', failing.dealerId);
    single.addMetric('DmsEndpointFailing', MetricUnit.Count, 1);
    log.error(DMS_ENDPOINT_FAILING_MESSAGE, { dealerId: failing.dealerId, failingSince: failing.since });
  }
}

function deliverFor(env: DmsWriterEnv, ports: DmsWriterPorts): ReturnType<typeof makeDeliverEvents> {
  const clock = ports.clock ?? { now: () => new Date() };
  const sqs = ports.sqs ?? new SQSClient({});
  const dynamo = ports.dynamo ?? new DynamoDBClient({});
  const s3 = ports.s3 ?? new S3Client({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const secrets =
    ports.secrets ??
    new SecretsManagerSecretStore({
      client: new SecretsManagerClient({}),
      prefix: env.SECRET_PREFIX,
      maxAgeMs: env.SECRET_MAX_AGE_SECONDS * 1000,
      clock,
    });
  if (!env.EVENTS_DLQ_URL)
    ports.log.warn('EVENTS_DLQ_URL not set: permanently refused events reach the DLQ only after maxReceiveCount');
  return makeDeliverEvents({
    runInOrder: powertoolsFifoRunner,
    dealers: dealerIndex(readResolvedDealerConfig(env.DEALERS_FILE).dealers),
    dedupe: new DynamoDedupeStore({ client: dynamo, tableName: env.DEDUPE_TABLE, ttlDays: env.DEDUPE_TTL_DAYS, clock }),
    attempts: new DynamoDeliveryAttempts({ client: dynamo, tableName: env.DEDUPE_TABLE, clock }),
    retry: new SqsRetryScheduler({ client: sqs, queueUrl: env.EVENTS_QUEUE_URL }),
    retrySchedule: env.DMS_RETRY_SCHEDULE,
    ...(env.EVENT_ARCHIVE_BUCKET
      ? { archive: new S3EventArchive({ client: s3, bucket: env.EVENT_ARCHIVE_BUCKET }) }
      : {}),
    ...(env.SNAPSHOT_TABLE
      ? { snapshots: new DynamoSnapshotStore({ client: dynamo, tableName: env.SNAPSHOT_TABLE }) }
      : {}),
    sinks: {
      webhook: new WebhookDmsSink({ secrets, clock, timeoutMs: env.DMS_TIMEOUT_MS }),
      outbox: new S3OutboxDmsSink({ client: s3, bucket: env.FEED_BUCKET }),
    },
    // Clients share one token cache and per-branch limits; one client per credentials (a rotated secret gets a new one).
    wayke: createDealerWaykeClients(createWaykeClientFactory({ ...waykeUrlsFromEnv(env), log: ports.log }), secrets),
    deadLetters: env.EVENTS_DLQ_URL
      ? new SqsEventQueue({ client: sqs, queueUrl: env.EVENTS_DLQ_URL })
      : viaRedrivePolicy,
    clock,
    log: ports.log,
  });
}

/** The DMS writer's Lambda function for `env`, its adapters built once. */
export function build(
  env: DmsWriterEnv,
  ports: DmsWriterPorts,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const deliver = deliverFor(env, ports);
  return async (event, context) => {
    const report = await deliver(event.Records.map(toEventRecord), {
      remainingMs: () => context.getRemainingTimeInMillis(),
      // Start a delivery only with time for its whole timeout (plus the dedupe write) left.
      reserveMs: env.DMS_TIMEOUT_MS + AFTER_DELIVERY_MS,
    });
    countOutcomes(ports.metrics, ports.log, event.Records.length, report);
    return { batchItemFailures: report.batchItemFailures };
  };
}
