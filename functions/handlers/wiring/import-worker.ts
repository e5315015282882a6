/**
 * The import worker's wiring: its env schema and `build(env)`, which constructs the ports and
 * returns the core's worker (`core/import/worker.ts`) that `handlers/import-worker.ts` wraps in
 * middy. Apart from the handler module so a test can build the worker against local engines
 * without the module reading `process.env` at import.
 */
import { hostname } from 'node:os';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { readResolvedDealerConfig } from '../../adapters/dealer-config-file.js';
import { DmsApiFeedSource } from '../../adapters/dms-api-feed-source.js';
import { DynamoSnapshotStore } from '../../adapters/dynamo-snapshot-store.js';
import {
  DealerRuntimeEnvSchema,
  ImportRunEnvSchema,
  ImportStorageEnvSchema,
  dealerSecretStore,
  WorkQueueEnvSchema,
} from '../../adapters/env.js';
import { createLogger } from '../../adapters/logger.js';
import { S3FeedSource, S3ReportSink } from '../../adapters/s3-feed-source.js';
import { SqsWorkQueue } from '../../adapters/sqs-work-queue.js';
import {
  createDealerWaykeClients,
  createWaykeClientFactory,
  WaykeUrlsEnvSchema,
  waykeUrlsFromEnv,
} from '../../adapters/wayke-http-client.js';
import { makeImportWorker } from '../../core/import/worker.js';
import type { Log, MetricsSink } from '../../ports.js';

export const ImportWorkerEnvSchema = z.object({
  ...DealerRuntimeEnvSchema.shape,
  ...ImportStorageEnvSchema.shape,
  ...WorkQueueEnvSchema.shape,
  ...ImportRunEnvSchema.shape,
  ...WaykeUrlsEnvSchema.shape,
});
export type ImportWorkerEnv = z.output<typeof ImportWorkerEnvSchema>;

export const logger = createLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'wayke-dms-import-worker' });
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'WaykeDms' });

/** What the worker talks to; in Lambda the SDK's defaults, in a test the local engines. */
export interface ImportWorkerRuntime {
  readonly dynamo: DynamoDBClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly secretsManager: SecretsManagerClient;
  readonly log: Log;
  readonly metrics: MetricsSink;
}

const awsDefaults = (): ImportWorkerRuntime => ({
  dynamo: new DynamoDBClient({}),
  s3: new S3Client({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' }),
  sqs: new SQSClient({}),
  secretsManager: new SecretsManagerClient({}),
  log: logger,
  metrics: { count: (name, value) => metrics.addMetric(name, MetricUnit.Count, value) },
});

/** The worker on the feed bucket, the snapshot table, the work queue, Secrets Manager and Wayke. */
export function build(env: ImportWorkerEnv, runtime: ImportWorkerRuntime = awsDefaults()) {
  const { log, s3 } = runtime;
  const clock = { now: () => new Date() };
  const secrets = dealerSecretStore(env, { clock, client: runtime.secretsManager });
  const waykeFor = createDealerWaykeClients(createWaykeClientFactory({ ...waykeUrlsFromEnv(env), log }), secrets);
  return makeImportWorker({
    dealers: readResolvedDealerConfig(env.DEALERS_FILE).dealers,
    feedSources: {
      bucket: new S3FeedSource({ client: s3, bucket: env.FEED_BUCKET, log }),
      dmsApi: (dealer) =>
        new DmsApiFeedSource({
          settings: dealer.dmsApi,
          token: async () => (await secrets.getDealerSecrets(dealer.id)).dmsApiToken,
          log,
          now: clock.now,
        }),
    },
    importDeps: {
      snapshots: new DynamoSnapshotStore({ client: runtime.dynamo, tableName: env.SNAPSHOT_TABLE }),
      wayke: waykeFor,
      reports: new S3ReportSink({ client: s3, bucket: env.FEED_BUCKET }),
      clock,
      log,
      concurrency: env.IMPORT_CONCURRENCY,
      lease: { host: hostname(), pid: process.pid },
    },
    workQueue: new SqsWorkQueue({ client: runtime.sqs, queueUrl: env.WORK_QUEUE_URL }),
    metrics: runtime.metrics,
    log,
    leaseRetryDelaySeconds: env.LEASE_RETRY_DELAY_SECONDS,
    stopMarginSeconds: env.IMPORT_STOP_MARGIN_SECONDS,
  });
}
