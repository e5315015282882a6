/**
 * The DMS writer (SQS FIFO consumer of the events queue, `ReportBatchItemFailures`): delivers each
 * event to the dealer's DMS — enriched with the ad read from Wayke for purchased/updated vehicles —
 * once, in order per vehicle (the use case: `core/events/deliver-events.ts`; the wiring:
 * `wiring/dms-writer.ts`).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { readEnv } from '../adapters/env.js';
import { createLogger } from '../adapters/logger.js';
import { build, DmsWriterEnvSchema } from './wiring/dms-writer.js';

export const logger = createLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'wayke-dms-dms-writer' });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'WaykeDms' });

export const handler = middy(build(readEnv(DmsWriterEnvSchema), { log: logger, metrics }))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
