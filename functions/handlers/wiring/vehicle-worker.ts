/**
 * The vehicle worker's wiring: its env schema and `build(env)`, which constructs the ports and
 * returns the Lambda function `handlers/vehicle-worker.ts` wraps in middy. Apart from the handler
 * module so that a test can build the worker against local engines without the module reading
 * `process.env` at import.
 */
import { hostname } from 'node:os';
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { readResolvedDealerConfig } from '../../adapters/dealer-config-file.js';
import { DynamoSnapshotStore } from '../../adapters/dynamo-snapshot-store.js';
import { DynamoVehicleStatusStore } from '../../adapters/dynamo-vehicle-status-store.js';
import { DealerRuntimeEnvSchema } from '../../adapters/env.js';
import { createLogger } from '../../adapters/logger.js';
import { SecretsManagerSecretStore } from '../../adapters/secrets-manager-secret-store.js';
import {
  createDealerWaykeClients,
  createWaykeClientFactory,
  WaykeUrlsEnvSchema,
  waykeUrlsFromEnv,
} from '../../adapters/wayke-http-client.js';
import { makeApplyVehicleChanges } from '../../core/vehicle-api/apply-changes.js';
import { ChangeNotAppliedError, makeVehicleBatchProcessor, type BatchOutcome } from '../../core/vehicle-api/batch.js';
import type { Log } from '../../ports.js';

export const VehicleWorkerEnvSchema = z.object({
  SNAPSHOT_TABLE: z.string().min(1),
  ...DealerRuntimeEnvSchema.shape,
  ...WaykeUrlsEnvSchema.shape,
  /** Vehicles applied at once per dealer (Wayke's per-branch limit). */
  IMPORT_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
});
export type VehicleWorkerEnv = z.output<typeof VehicleWorkerEnvSchema>;

export const logger = createLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'wayke-dms-vehicle-worker' });
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'WaykeDms' });

/** What the worker talks to; in Lambda the SDK's defaults, in a test the local engines. */
export interface VehicleWorkerRuntime {
  readonly dynamo: DynamoDBClient;
  readonly secretsManager: SecretsManagerClient;
  readonly log: Log;
}

const awsDefaults = (): VehicleWorkerRuntime => ({
  dynamo: new DynamoDBClient({}),
  secretsManager: new SecretsManagerClient({}),
  log: logger,
});

/** The worker: a FIFO batch in, the batch item failures out. */
export function build(env: VehicleWorkerEnv, runtime: VehicleWorkerRuntime = awsDefaults()) {
  const { dynamo, log } = runtime;
  const clock = { now: () => new Date() };
  const secrets = new SecretsManagerSecretStore({
    client: runtime.secretsManager,
    prefix: env.SECRET_PREFIX,
    maxAgeMs: env.SECRET_MAX_AGE_SECONDS * 1000,
    clock,
  });
  const processBatch = makeVehicleBatchProcessor({
    dealers: new Map(readResolvedDealerConfig(env.DEALERS_FILE).dealers.map((dealer) => [dealer.id, dealer])),
    apply: makeApplyVehicleChanges({
      snapshots: new DynamoSnapshotStore({ client: dynamo, tableName: env.SNAPSHOT_TABLE }),
      statuses: new DynamoVehicleStatusStore({ client: dynamo, tableName: env.SNAPSHOT_TABLE }),
      wayke: createDealerWaykeClients(createWaykeClientFactory({ ...waykeUrlsFromEnv(env), log }), secrets),
      clock,
      log,
      concurrency: env.IMPORT_CONCURRENCY,
      lease: {
        owner: () => `vehicle-api-${hostname()}-${process.pid}-${Date.now()}`,
        host: hostname(),
        pid: process.pid,
      },
    }),
    log,
  });

  return async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const outcome = await processBatch(
      event.Records.map((record) => ({
        messageId: record.messageId,
        body: record.body,
        ...(record.attributes?.MessageGroupId ? { groupId: record.attributes.MessageGroupId } : {}),
      })),
    );
    metrics.addMetric('VehicleChangesApplied', MetricUnit.Count, outcome.applied);
    if (outcome.failed > 0) metrics.addMetric('VehiclesFailed', MetricUnit.Count, outcome.failed);
    return reportBatch(event, outcome, context);
  };
}

/**
 * The batch's answer through Powertools' FIFO processor: a record not applied fails, and with
 * `skipGroupOnError` so does every later record of its message group (they come back after it, in
 * order), while other groups' records are acknowledged. Changes were applied per dealer before
 * (one lease, one plan), so the record handler only reports each record's result.
 */
async function reportBatch(event: SQSEvent, outcome: BatchOutcome, context: Context): Promise<SQSBatchResponse> {
  const report = async (record: SQSRecord): Promise<void> => {
    if ((outcome.results.get(record.messageId) ?? 'retry') === 'retry')
      throw new ChangeNotAppliedError('vehicle change not applied yet', { operation: 'vehicle-change' });
  };
  // A batch that failed whole is still an answer (every record a failure), not an invocation error.
  return processPartialResponse(event, report, new SqsFifoPartialProcessorAsync(), {
    context,
    skipGroupOnError: true,
    throwOnFullBatchFailure: false,
  });
}
