/**
 * `POST /webhooks/wayke/{dealerId}` (API Gateway HTTP API v2): authenticates Wayke's call, checks
 * the body and puts the event on the FIFO events queue. 200 only once SQS accepted it; never calls
 * Wayke or the DMS. 404 unknown dealer, 401 bad credentials, 415 not JSON, 413 too large, 400 no
 * known kind; a queue or secret failure is a 5xx so Wayke retries.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { readResolvedDealerConfig } from '../adapters/dealer-config-file.js';
import { DealerRuntimeEnvSchema, readEnv } from '../adapters/env.js';
import { createLogger } from '../adapters/logger.js';
import { inboundAuthStore } from '../adapters/dynamo-inbound-auth-store.js';
import { SqsEventQueue } from '../adapters/sqs-event-queue.js';
import { isRetryable } from '../core/errors.js';
import { dealerIndex, makeIngestWebhook, type IngestOutcome } from '../core/events/ingest-webhook.js';

const env = readEnv(
  // This function reads only inbound-key verifiers (INBOUND_AUTH_TABLE; IAM grants GetItem there and no secret).
  z.object({ EVENTS_QUEUE_URL: z.url(), ...DealerRuntimeEnvSchema.shape }),
);

export const logger = createLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'wayke-dms-webhook' });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'WaykeDms' });
const clock = { now: () => new Date() };

const ingest = makeIngestWebhook({
  dealers: dealerIndex(readResolvedDealerConfig(env.DEALERS_FILE).dealers),
  secrets: inboundAuthStore(env, clock),
  queue: new SqsEventQueue({ client: new SQSClient({}), queueUrl: env.EVENTS_QUEUE_URL }),
  clock,
  log: logger,
});

const json = (statusCode: number, body: Record<string, unknown>): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** The HTTP answer for each ingest outcome. */
export function toHttpResponse(result: IngestOutcome): APIGatewayProxyStructuredResultV2 {
  switch (result.outcome) {
    case 'queued':
      return json(200, { id: result.id, type: result.kind, queued: true });
    case 'ignored':
      return json(200, { id: result.id, type: result.kind, queued: false });
    case 'unknownDealer':
      return json(404, { message: 'unknown dealer' });
    case 'unauthorized':
      return {
        ...json(401, { message: 'unauthorized' }),
        headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' },
      };
    case 'unsupportedMediaType':
      return json(415, { message: 'content-type must be application/json' });
    case 'tooLarge':
      return json(413, { message: 'body larger than 256 KB' });
    case 'invalid':
      return json(400, { message: result.reason });
  }
}

async function handle(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const raw = event.body ?? '';
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  try {
    const result = await ingest({ dealerId: event.pathParameters?.dealerId ?? '', headers, body });
    if (result.outcome === 'queued') metrics.addMetric('WebhookQueued', MetricUnit.Count, 1);
    else if (result.outcome === 'ignored') metrics.addMetric('WebhookIgnored', MetricUnit.Count, 1);
    else {
      metrics.addDimension('reason', result.outcome);
      metrics.addMetric('WebhookRejected', MetricUnit.Count, 1);
    }
    return toHttpResponse(result);
  } catch (error) {
    // Every outcome counts one metric, so each invocation publishes (and no empty-metrics warning).
    metrics.addMetric('WebhookFailed', MetricUnit.Count, 1);
    logger.error('webhook not queued', {
      error: error instanceof Error ? error.name : 'unknown',
      retryable: isRetryable(error),
    });
    return json(isRetryable(error) ? 503 : 500, { message: 'event not accepted, retry later' });
  }
}

export const handler = middy(handle).use(injectLambdaContext(logger)).use(logMetrics(metrics));
