/**
 * The Vehicle API (API Gateway HTTP API v2): DMS pushes of single vehicles, their status, feed
 * validation, the latest report and the OpenAPI document. Accepted changes go on the vehicle FIFO
 * queue (group = dealer + plate) for the vehicle worker; this function never calls Wayke.
 * Wiring: `wiring/vehicle-api.ts`.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { readEnv } from '../adapters/env.js';
import { build, logger, metrics, VehicleApiEnvSchema } from './wiring/vehicle-api.js';

export { logger };

export const handler = middy(build(readEnv(VehicleApiEnvSchema)))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
