/**
 * `POST /webhooks/wayke/{dealerId}` (API Gateway HTTP API v2): authenticates Wayke's call, checks
 * the body and puts the event on the FIFO events queue. 200 only once SQS accepted it; never calls
 * Wayke or the DMS. 404 unknown dealer, 401 bad credentials, 415 not JSON, 413 too large, 400 no
 * known kind; a queue or secret failure is a 5xx so Wayke retries (the wiring: `wiring/webhook.ts`).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { readEnv } from '../adapters/env.js';
import { createLogger } from '../adapters/logger.js';
import { build, WebhookEnvSchema } from './wiring/webhook.js';

export const logger = createLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'wayke-dms-webhook' });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'WaykeDms' });

export const handler = middy(build(readEnv(WebhookEnvSchema), { log: logger, metrics }))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
