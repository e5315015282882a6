/**
 * The Vehicle API's wiring: its env schema and `build(env)`, which constructs the ports and
 * returns the Lambda function `handlers/vehicle-api.ts` wraps in middy. Apart from the handler
 * module so that a test can build the API against local engines without the module reading
 * `process.env` at import.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { readResolvedDealerConfig } from '../../adapters/dealer-config-file.js';
import { DynamoRateLimiter } from '../../adapters/dynamo-rate-limiter.js';
import { DynamoSnapshotStore } from '../../adapters/dynamo-snapshot-store.js';
import { DynamoVehicleStatusStore } from '../../adapters/dynamo-vehicle-status-store.js';
import { DealerRuntimeEnvSchema } from '../../adapters/env.js';
import { createLogger } from '../../adapters/logger.js';
import { PowertoolsIdempotencyGuard } from '../../adapters/powertools-idempotency-guard.js';
import { S3ReportSink } from '../../adapters/s3-feed-source.js';
import { S3ReportReader } from '../../adapters/s3-report-reader.js';
import { inboundAuthStore } from '../../adapters/dynamo-inbound-auth-store.js';
import { SqsEventQueue } from '../../adapters/sqs-event-queue.js';
import { makeVehicleApiHttp } from '../../adapters/vehicle-api-http.js';
import { vehicleApiDocument } from '../../core/vehicle-api/openapi.js';
import { IDEMPOTENCY_TTL_SECONDS } from '../../core/vehicle-api/schemas.js';
import type { Log } from '../../ports.js';

export const VehicleApiEnvSchema = z.object({
  VEHICLE_QUEUE_URL: z.url(),
  SNAPSHOT_TABLE: z.string().min(1),
  DEDUPE_TABLE: z.string().min(1),
  FEED_BUCKET: z.string().min(1),
  ...DealerRuntimeEnvSchema.shape,
  /** The API's public base URL, named in the OpenAPI document's `servers` (optional). */
  VEHICLE_API_URL: z.url().optional(),
});
export type VehicleApiEnv = z.output<typeof VehicleApiEnvSchema>;

export const logger = createLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'wayke-dms-vehicle-api' });
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'WaykeDms' });

/** What the API talks to; in Lambda the SDK's defaults, in a test the local engines. */
export interface VehicleApiRuntime {
  readonly dynamo: DynamoDBClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly secretsManager: SecretsManagerClient;
  readonly log: Log;
}

const awsDefaults = (): VehicleApiRuntime => ({
  dynamo: new DynamoDBClient({}),
  s3: new S3Client({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' }),
  sqs: new SQSClient({}),
  secretsManager: new SecretsManagerClient({}),
  log: logger,
});

/** The API: an API Gateway v2 event in, its answer out; one request metric per invocation. */
export function build(env: VehicleApiEnv, runtime: VehicleApiRuntime = awsDefaults()) {
  const { dynamo, s3 } = runtime;
  const clock = { now: () => new Date() };
  const idempotency = new PowertoolsIdempotencyGuard({
    client: dynamo,
    tableName: env.DEDUPE_TABLE,
    expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
  });
  const api = makeVehicleApiHttp({
    dealers: new Map(readResolvedDealerConfig(env.DEALERS_FILE).dealers.map((dealer) => [dealer.id, dealer])),
    secrets: inboundAuthStore(env, clock, { dynamo, secretsManager: runtime.secretsManager }),
    statuses: new DynamoVehicleStatusStore({ client: dynamo, tableName: env.SNAPSHOT_TABLE }),
    snapshots: new DynamoSnapshotStore({ client: dynamo, tableName: env.SNAPSHOT_TABLE }),
    queue: new SqsEventQueue({ client: runtime.sqs, queueUrl: env.VEHICLE_QUEUE_URL }),
    reports: new S3ReportSink({ client: s3, bucket: env.FEED_BUCKET }),
    reportReader: new S3ReportReader({ client: s3, bucket: env.FEED_BUCKET }),
    rateLimiter: new DynamoRateLimiter({ client: dynamo, tableName: env.DEDUPE_TABLE }),
    idempotency,
    openapi: vehicleApiDocument(env.VEHICLE_API_URL),
    clock,
    log: runtime.log,
  });

  return async function handle(
    event: APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    // Powertools idempotency's own hook: a record left in progress by a crash expires with the invocation.
    idempotency.registerLambdaContext(context);
    const result = await api(event);
    // One metric per request, so every invocation publishes; the status class is the dimension.
    metrics.addDimension('status', `${String(result.statusCode ?? 200).slice(0, 1)}xx`);
    metrics.addMetric('VehicleApiRequests', MetricUnit.Count, 1);
    return result;
  };
}
