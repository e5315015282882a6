/**
 * The vehicle worker (SQS FIFO consumer of the vehicle queue, `ReportBatchItemFailures`): applies
 * the Vehicle API's accepted changes per dealer under the dealer's lease, with the import's
 * planner, apply and Wayke client. A change that failed for a passing reason is a batch item
 * failure with the rest of its group (retried in order, then the DLQ); one Wayke refused for good
 * is recorded as `failed` on the vehicle and counted (`VehiclesFailed`).
 */
import { hostname } from 'node:os';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { readResolvedDealerConfig } from '../adapters/dealer-config-file.js';
import { DynamoSnapshotStore } from '../adapters/dynamo-snapshot-store.js';
import { DynamoVehicleStatusStore } from '../adapters/dynamo-vehicle-status-store.js';
import { DealerRuntimeEnvSchema, readEnv } from '../adapters/env.js';
import { createLogger } from '../adapters/logger.js';
import { SecretsManagerSecretStore } from '../adapters/secrets-manager-secret-store.js';
import {
  createDealerWaykeClients,
  createWaykeClientFactory,
  WaykeUrlsEnvSchema,
  waykeUrlsFromEnv,
} from '../adapters/wayke-http-client.js';
import { makeApplyVehicleChanges } from '../core/vehicle-api/apply-changes.js';
import { makeVehicleBatchProcessor } from '../core/vehicle-api/batch.js';

const env = readEnv(
  z.object({
    SNAPSHOT_TABLE: z.string().min(1),
    ...DealerRuntimeEnvSchema.shape,
    ...WaykeUrlsEnvSchema.shape,
    /** Vehicles applied at once per dealer (Wayke's per-branch limit). */
    IMPORT_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
  }),
);

export const logger = createLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'wayke-dms-vehicle-worker' });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'WaykeDms' });
const clock = { now: () => new Date() };
const dynamo = new DynamoDBClient({});
const secrets = new SecretsManagerSecretStore({
  client: new SecretsManagerClient({}),
  prefix: env.SECRET_PREFIX,
  maxAgeMs: env.SECRET_MAX_AGE_SECONDS * 1000,
  clock,
});

const process_ = makeVehicleBatchProcessor({
  dealers: new Map(readResolvedDealerConfig(env.DEALERS_FILE).dealers.map((dealer) => [dealer.id, dealer])),
  apply: makeApplyVehicleChanges({
    snapshots: new DynamoSnapshotStore({ client: dynamo, tableName: env.SNAPSHOT_TABLE }),
    statuses: new DynamoVehicleStatusStore({ client: dynamo, tableName: env.SNAPSHOT_TABLE }),
    wayke: createDealerWaykeClients(createWaykeClientFactory({ ...waykeUrlsFromEnv(env), log: logger }), secrets),
    clock,
    log: logger,
    concurrency: env.IMPORT_CONCURRENCY,
    lease: {
      owner: () => `vehicle-api-${hostname()}-${process.pid}-${Date.now()}`,
      host: hostname(),
      pid: process.pid,
    },
  }),
  log: logger,
});

async function handle(event: SQSEvent): Promise<SQSBatchResponse> {
  const outcome = await process_(event.Records.map((record) => ({ messageId: record.messageId, body: record.body })));
  metrics.addMetric('VehicleChangesApplied', MetricUnit.Count, outcome.applied);
  if (outcome.failed > 0) metrics.addMetric('VehiclesFailed', MetricUnit.Count, outcome.failed);
  return { batchItemFailures: outcome.retry.map((itemIdentifier) => ({ itemIdentifier })) };
}

export const handler = middy(handle).use(injectLambdaContext(logger)).use(logMetrics(metrics));
