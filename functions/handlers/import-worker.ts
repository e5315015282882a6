/**
 * The import worker (SQS consumer of the work queue, `ReportBatchItemFailures`): imports one
 * dealer per message with the same use case as the CLI. A run that throws is a batch-item failure
 * (retried, then the DLQ) and an `ImportFailed` metric; blocked removals emit `RemovalBlocked`,
 * failed vehicles `VehiclesFailed` (they are retried by the next hourly run).
 */
import { hostname } from 'node:os';
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
import { DmsApiFeedSource } from '../adapters/dms-api-feed-source.js';
import { DynamoSnapshotStore } from '../adapters/dynamo-snapshot-store.js';
import { readEnv } from '../adapters/env.js';
import { createLogger } from '../adapters/logger.js';
import { S3FeedSource, S3ReportSink } from '../adapters/s3-feed-source.js';
import { SecretsManagerSecretStore } from '../adapters/secrets-manager-secret-store.js';
import { SqsWorkQueue } from '../adapters/sqs-work-queue.js';
import {
  createDealerWaykeClients,
  createWaykeClientFactory,
  WaykeUrlsEnvSchema,
  waykeUrlsFromEnv,
} from '../adapters/wayke-http-client.js';
import { makeImportDealer } from '../core/import/import-dealer.js';
import type { ImportSummary } from '../core/import/report.js';
import {
  allowsMassRemoval,
  LEASE_RETRY_DELAY_SECONDS,
  leaseHeldRetry,
  WorkMessageSchema,
  type WorkMessageBody,
} from '../core/import/work-message.js';
import type { FeedSource } from '../ports.js';

const env = readEnv(
  z.object({
    FEED_BUCKET: z.string().min(1),
    /** The work queue itself: a trigger that finds the dealer's lease held is sent back, delayed. */
    WORK_QUEUE_URL: z.url(),
    /** How long a trigger that found the lease held waits before it comes back. */
    LEASE_RETRY_DELAY_SECONDS: z.coerce.number().int().min(0).max(900).default(LEASE_RETRY_DELAY_SECONDS),
    SNAPSHOT_TABLE: z.string().min(1),
    DEALERS_FILE: z
      .string()
      .min(1)
      .default(`${process.env.LAMBDA_TASK_ROOT ?? '.'}/dealers.json`),
    SECRET_PREFIX: z.string().default(''),
    SECRET_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
    ...WaykeUrlsEnvSchema.shape,
    /** Vehicles applied at once per dealer. */
    IMPORT_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
    /**
     * Time kept back before the Lambda timeout: no vehicle is started after that, so the run
     * still records what it applied, archives the file and reports; the vehicles it did not reach
     * are listed as failed and the next hourly run carries on from the archived feed.
     */
    IMPORT_STOP_MARGIN_SECONDS: z.coerce.number().int().min(5).max(600).default(60),
  }),
);

export const logger = createLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'wayke-dms-import-worker' });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'WaykeDms' });
const clock = { now: () => new Date() };
const dealers = new Map(readResolvedDealerConfig(env.DEALERS_FILE).dealers.map((dealer) => [dealer.id, dealer]));
const s3 = new S3Client({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
const secrets = new SecretsManagerSecretStore({
  client: new SecretsManagerClient({}),
  prefix: env.SECRET_PREFIX,
  maxAgeMs: env.SECRET_MAX_AGE_SECONDS * 1000,
  clock,
});
const s3Feeds = new S3FeedSource({ client: s3, bucket: env.FEED_BUCKET, log: logger });
const workQueue = new SqsWorkQueue({ client: new SQSClient({}), queueUrl: env.WORK_QUEUE_URL });

const waykeFor = createDealerWaykeClients(createWaykeClientFactory({ ...waykeUrlsFromEnv(env), log: logger }), secrets);

const baseDeps = {
  snapshots: new DynamoSnapshotStore({ client: new DynamoDBClient({}), tableName: env.SNAPSHOT_TABLE }),
  wayke: waykeFor,
  reports: new S3ReportSink({ client: s3, bucket: env.FEED_BUCKET }),
  clock,
  log: logger,
  concurrency: env.IMPORT_CONCURRENCY,
  lease: { host: hostname(), pid: process.pid },
};
/** Uploads always come from S3; a dealer with a DMS API is pulled on the schedule and on manual runs. */
const importFromS3 = makeImportDealer({ ...baseDeps, feeds: s3Feeds });
const importFromDealerSource = makeImportDealer({
  ...baseDeps,
  feeds: (dealer): FeedSource => {
    const dmsApi = dealers.get(dealer.id)?.dmsApi;
    if (!dmsApi) return s3Feeds;
    return new DmsApiFeedSource({
      settings: dmsApi,
      token: async () => (await secrets.getDealerSecrets(dealer.id)).dmsApiToken,
      log: logger,
      now: clock.now,
    });
  },
});

async function handleRecord(messageId: string, body: string, signal: AbortSignal): Promise<boolean> {
  let parsed;
  try {
    parsed = WorkMessageSchema.safeParse(JSON.parse(body));
  } catch {
    parsed = null;
  }
  if (!parsed?.success) {
    logger.error('Work message is not valid; leaving it to the DLQ', { messageId });
    metrics.addMetric('ImportFailed', MetricUnit.Count, 1);
    return false;
  }
  const message = parsed.data;
  const dealer = dealers.get(message.dealerId);
  if (!dealer) {
    logger.error('Work message names an unknown dealer; leaving it to the DLQ', {
      messageId,
      dealerId: message.dealerId,
    });
    metrics.addMetric('ImportFailed', MetricUnit.Count, 1);
    return false;
  }
  logger.appendKeys({ dealerId: dealer.id, trigger: message.trigger });
  try {
    const run = message.trigger === 'upload' ? importFromS3 : importFromDealerSource;
    const outcome = await run({
      dealer,
      trigger: message.trigger,
      allowMassRemoval: allowsMassRemoval(message),
      signal,
    });
    if (outcome.status === 'skipped') {
      // Nothing new, or another run holds the lease: counted, so every run publishes a metric.
      metrics.addMetric('ImportSkipped', MetricUnit.Count, 1);
      logger.info('Import skipped', { reason: outcome.reason, detail: outcome.message });
      if (outcome.reason === 'lease-held') await comeBackLater(message);
      return true;
    }
    countRun(outcome.summary);
    for (const followUp of outcome.followUps ?? []) if (followUp.status !== 'skipped') countRun(followUp.summary);
    return true;
  } catch (error) {
    logger.error('Import failed', { error: error as Error });
    metrics.addMetric('ImportFailed', MetricUnit.Count, 1);
    return false;
  } finally {
    logger.removeKeys(['dealerId', 'trigger']);
  }
}

/**
 * A trigger that found another run holding the lease is sent back, delayed, instead of being
 * done: the upload it announces is imported after the running import (which also imports it
 * itself if the file landed before it ended). If sending fails, the handler's catch makes the
 * message a batch-item failure, so SQS retries it: the trigger is never dropped.
 */
async function comeBackLater(message: WorkMessageBody): Promise<void> {
  const retry = leaseHeldRetry(message, env.LEASE_RETRY_DELAY_SECONDS);
  if (!retry) {
    if (message.trigger !== 'schedule')
      logger.warn('Trigger gave up waiting for the dealer lease; the next run imports the feed', {
        attempt: message.attempt,
      });
    return;
  }
  await workQueue.send([retry.message], { delaySeconds: retry.delaySeconds });
  logger.info('Lease held; the trigger comes back later', {
    attempt: retry.message.attempt,
    delaySeconds: retry.delaySeconds,
  });
}

/** The metrics of one finished run. */
function countRun(summary: ImportSummary): void {
  // Every finished run reports its changes (0 included): a dashboard line per dealer, and no
  // empty-metrics warning on quiet hours.
  metrics.addMetric(
    'VehiclesChanged',
    MetricUnit.Count,
    summary.created + summary.updated + summary.removed + summary.republished,
  );
  if (summary.blocked) metrics.addMetric('RemovalBlocked', MetricUnit.Count, 1);
  if (summary.failed.length > 0) metrics.addMetric('VehiclesFailed', MetricUnit.Count, summary.failed.length);
}

async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  // A big first import may not fit one invocation: stop starting vehicles before the timeout.
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(),
    Math.max(0, context.getRemainingTimeInMillis() - env.IMPORT_STOP_MARGIN_SECONDS * 1000),
  );
  try {
    for (const record of event.Records) {
      if (!(await handleRecord(record.messageId, record.body, deadline.signal)))
        batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  } finally {
    clearTimeout(timer);
  }
  return { batchItemFailures };
}

export const handler = middy(handle).use(injectLambdaContext(logger)).use(logMetrics(metrics));
