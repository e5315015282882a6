/**
 * The DMS writer (SQS FIFO consumer of the events queue, `ReportBatchItemFailures`): delivers each
 * event to the dealer's DMS — enriched with the ad read from Wayke for purchased/updated vehicles —
 * once, in order per vehicle. Failed records and the rest of their group are reported as batch
 * item failures; a permanent DMS refusal goes to the DLQ (`EVENTS_DLQ_URL`) at once.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { readResolvedDealerConfig } from '../adapters/dealer-config-file.js';
import { DynamoDedupeStore } from '../adapters/dynamo-dedupe-store.js';
import { DynamoDeliveryAttempts } from '../adapters/dynamo-delivery-attempts.js';
import { S3EventArchive } from '../adapters/s3-event-archive.js';
import { SqsRetryScheduler } from '../adapters/sqs-retry-scheduler.js';
import { readEnv } from '../adapters/env.js';
import { createLogger } from '../adapters/logger.js';
import { S3OutboxDmsSink } from '../adapters/s3-outbox-dms-sink.js';
import { SecretsManagerSecretStore } from '../adapters/secrets-manager-secret-store.js';
import { SqsEventQueue } from '../adapters/sqs-event-queue.js';
import {
  createDealerWaykeClients,
  createWaykeClientFactory,
  WaykeUrlsEnvSchema,
  waykeUrlsFromEnv,
} from '../adapters/wayke-http-client.js';
import { WebhookDmsSink } from '../adapters/webhook-dms-sink.js';
import { makeDeliverEvents } from '../core/events/deliver-events.js';
import { dealerIndex } from '../core/events/ingest-webhook.js';
import { RetryableError } from '../core/errors.js';
import {
  DEFAULT_DMS_RETRY_SCHEDULE,
  DMS_ENDPOINT_FAILING_MESSAGE,
  RetryScheduleTextSchema,
  formatRetrySchedule,
} from '../core/events/retry-schedule.js';
import type { EventQueue } from '../ports.js';

const env = readEnv(
  z.object({
    DEDUPE_TABLE: z.string().min(1),
    FEED_BUCKET: z.string().min(1),
    /**
     * The events queue's DLQ: permanently refused events are sent here at once. Without it they
     * are left on the queue and reach the DLQ through the redrive policy after `maxReceiveCount`.
     */
    EVENTS_DLQ_URL: z.url().optional(),
    DEALERS_FILE: z
      .string()
      .min(1)
      .default(`${process.env.LAMBDA_TASK_ROOT ?? '.'}/dealers.json`),
    SECRET_PREFIX: z.string().default(''),
    SECRET_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
    ...WaykeUrlsEnvSchema.shape,
    /** Per-request timeout of a DMS webhook delivery. */
    DMS_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    /** Days an accepted event is remembered beyond the FIFO queue's 5-minute window. */
    DEDUPE_TTL_DAYS: z.coerce.number().positive().default(14),
    /** The events queue: a failed record is hidden there until its next attempt. */
    EVENTS_QUEUE_URL: z.url(),
    /** Delays after each failed attempt (`5s,30s,2m,…`); CDK context `dmsRetrySchedule`. */
    DMS_RETRY_SCHEDULE: z
      .string()
      .default(formatRetrySchedule(DEFAULT_DMS_RETRY_SCHEDULE))
      .pipe(RetryScheduleTextSchema),
    /** Bucket of the archive of delivered events (`wayke-dms replay`); without it nothing is archived. */
    EVENT_ARCHIVE_BUCKET: z.string().min(1).optional(),
  }),
);

export const logger = createLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'wayke-dms-dms-writer' });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'WaykeDms' });
const clock = { now: () => new Date() };
const sqs = new SQSClient({});
const secrets = new SecretsManagerSecretStore({
  client: new SecretsManagerClient({}),
  prefix: env.SECRET_PREFIX,
  maxAgeMs: env.SECRET_MAX_AGE_SECONDS * 1000,
  clock,
});

/** Clients share one token cache and per-branch limits; one client per credentials (a rotated secret gets a new one). */
const waykeFor = createDealerWaykeClients(createWaykeClientFactory({ ...waykeUrlsFromEnv(env), log: logger }), secrets);

/** Without `EVENTS_DLQ_URL`: refuse, so the record stays a batch item failure and SQS redrives it. */
const viaRedrivePolicy: EventQueue = {
  send: async () => {
    throw new RetryableError('EVENTS_DLQ_URL is not set: left for the redrive policy', { operation: 'deadLetter' });
  },
};
if (!env.EVENTS_DLQ_URL)
  logger.warn('EVENTS_DLQ_URL not set: permanently refused events reach the DLQ only after maxReceiveCount');

const dynamo = new DynamoDBClient({});
const s3 = new S3Client({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
const deliver = makeDeliverEvents({
  dealers: dealerIndex(readResolvedDealerConfig(env.DEALERS_FILE).dealers),
  dedupe: new DynamoDedupeStore({ client: dynamo, tableName: env.DEDUPE_TABLE, ttlDays: env.DEDUPE_TTL_DAYS, clock }),
  attempts: new DynamoDeliveryAttempts({ client: dynamo, tableName: env.DEDUPE_TABLE, clock }),
  retry: new SqsRetryScheduler({ client: sqs, queueUrl: env.EVENTS_QUEUE_URL }),
  retrySchedule: env.DMS_RETRY_SCHEDULE,
  ...(env.EVENT_ARCHIVE_BUCKET
    ? { archive: new S3EventArchive({ client: s3, bucket: env.EVENT_ARCHIVE_BUCKET }) }
    : {}),
  sinks: {
    webhook: new WebhookDmsSink({ secrets, clock, timeoutMs: env.DMS_TIMEOUT_MS }),
    outbox: new S3OutboxDmsSink({ client: s3, bucket: env.FEED_BUCKET }),
  },
  wayke: waykeFor,
  deadLetters: env.EVENTS_DLQ_URL ? new SqsEventQueue({ client: sqs, queueUrl: env.EVENTS_DLQ_URL }) : viaRedrivePolicy,
  clock,
  log: logger,
});

async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const report = await deliver(
    event.Records.map((record) => ({
      messageId: record.messageId,
      body: record.body,
      ...(record.attributes.MessageGroupId ? { groupId: record.attributes.MessageGroupId } : {}),
      ...(record.attributes.MessageDeduplicationId
        ? { deduplicationId: record.attributes.MessageDeduplicationId }
        : {}),
      receiptHandle: record.receiptHandle,
    })),
    // Start a delivery only with time for its whole timeout (plus the dedupe write) left.
    { remainingMs: () => context.getRemainingTimeInMillis(), reserveMs: env.DMS_TIMEOUT_MS + 2_000 },
  );
  const count = (outcome: string) => report.outcomes.filter((entry) => entry.outcome === outcome).length;
  // Counted on every invocation, so none publishes an empty metric set.
  metrics.addMetric('DmsEventsReceived', MetricUnit.Count, event.Records.length);
  const failed = count('failed') + count('deadLettered');
  if (failed > 0) metrics.addMetric('DmsDeliveryFailed', MetricUnit.Count, failed);
  if (count('delivered') > 0) metrics.addMetric('DmsEventsDelivered', MetricUnit.Count, count('delivered'));
  for (const failing of report.endpointsFailing) {
    // Per dealer, so the alarm names whose DMS is down; the local console shows the log line.
    const single = metrics.singleMetric();
    single.addDimension('dealer', failing.dealerId);
    single.addMetric('DmsEndpointFailing', MetricUnit.Count, 1);
    logger.error(DMS_ENDPOINT_FAILING_MESSAGE, { dealerId: failing.dealerId, failingSince: failing.since });
  }
  return { batchItemFailures: report.batchItemFailures };
}

export const handler = middy(handle).use(injectLambdaContext(logger)).use(logMetrics(metrics));
