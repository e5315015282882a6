/**
 * The vehicle worker (SQS FIFO consumer of the vehicle queue, `ReportBatchItemFailures`): applies
 * the Vehicle API's accepted changes per dealer under the dealer's lease, with the import's
 * planner, apply and Wayke client. A change that failed for a passing reason is a batch item
 * failure with the rest of its group (retried in order, then the DLQ); one Wayke refused for good
 * is recorded as `failed` on the vehicle and counted (`VehiclesFailed`). Wiring: `wiring/vehicle-worker.ts`.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { readEnv } from '../adapters/env.js';
import { build, logger, metrics, VehicleWorkerEnvSchema } from './wiring/vehicle-worker.js';

export { logger };

export const handler = middy(build(readEnv(VehicleWorkerEnvSchema)))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
