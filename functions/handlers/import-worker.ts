/**
 * The import worker (SQS consumer of the work queue, `ReportBatchItemFailures`): the core's
 * `makeImportWorker` (one dealer per message, the CLI's use case) wired to AWS.
 */
import { hostname } from 'node:os';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { readResolvedDealerConfig } from '../adapters/dealer-config-file.js';
import { DmsApiFeedSource } from '../adapters/dms-api-feed-source.js';
import { DynamoSnapshotStore } from '../adapters/dynamo-snapshot-store.js';
import {
  DealerRuntimeEnvSchema,
  ImportRunEnvSchema,
  ImportStorageEnvSchema,
  readEnv,
  secretStoresFromEnv,
  WorkQueueEnvSchema,
} from '../adapters/env.js';
import { createLogger } from '../adapters/logger.js';
import { S3FeedSource, S3ReportSink } from '../adapters/s3-feed-source.js';
import { SqsWorkQueue } from '../adapters/sqs-work-queue.js';
import {
  createDealerWaykeClients,
  createWaykeClientFactory,
  WaykeUrlsEnvSchema,
  waykeUrlsFromEnv,
} from '../adapters/wayke-http-client.js';
import { makeImportWorker } from '../core/import/worker.js';

const EnvSchema = z.object({
  ...DealerRuntimeEnvSchema.shape,
  ...ImportStorageEnvSchema.shape,
  ...WorkQueueEnvSchema.shape,
  ...ImportRunEnvSchema.shape,
  ...WaykeUrlsEnvSchema.shape,
});

export const logger = createLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'wayke-dms-import-worker' });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'WaykeDms' });

/** The worker on the feed bucket, the snapshot table, the work queue, Secrets Manager and Wayke. */
export function build(env: z.output<typeof EnvSchema>) {
  const clock = { now: () => new Date() };
  const s3 = new S3Client({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const { secrets } = secretStoresFromEnv(env, { clock });
  const waykeFor = createDealerWaykeClients(
    createWaykeClientFactory({ ...waykeUrlsFromEnv(env), log: logger }),
    secrets,
  );
  return makeImportWorker({
    dealers: readResolvedDealerConfig(env.DEALERS_FILE).dealers,
    feedSources: {
      bucket: new S3FeedSource({ client: s3, bucket: env.FEED_BUCKET, log: logger }),
      dmsApi: (dealer) =>
        new DmsApiFeedSource({
          settings: dealer.dmsApi,
          token: async () => (await secrets.getDealerSecrets(dealer.id)).dmsApiToken,
          log: logger,
          now: clock.now,
        }),
    },
    importDeps: {
      snapshots: new DynamoSnapshotStore({ client: new DynamoDBClient({}), tableName: env.SNAPSHOT_TABLE }),
      wayke: waykeFor,
      reports: new S3ReportSink({ client: s3, bucket: env.FEED_BUCKET }),
      clock,
      log: logger,
      concurrency: env.IMPORT_CONCURRENCY,
      lease: { host: hostname(), pid: process.pid },
    },
    workQueue: new SqsWorkQueue({ client: new SQSClient({}), queueUrl: env.WORK_QUEUE_URL }),
    metrics: { count: (name, value) => metrics.addMetric(name, MetricUnit.Count, value) },
    log: logger,
    leaseRetryDelaySeconds: env.LEASE_RETRY_DELAY_SECONDS,
    stopMarginSeconds: env.IMPORT_STOP_MARGIN_SECONDS,
  });
}

export const handler = middy(build(readEnv(EnvSchema)))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
