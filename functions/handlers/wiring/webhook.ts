/**
 * The webhook endpoint's wiring: its env schema and `build(env, ports)`, which constructs the
 * adapters from a validated env and returns the Lambda function; kept apart from `../webhook.ts` so
 * a test builds it with its own env and ports, without the module reading `process.env` at import.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { readResolvedDealerConfig } from '../../adapters/dealer-config-file.js';
import { DealerRuntimeEnvSchema } from '../../adapters/env.js';
import { inboundAuthStore } from '../../adapters/dynamo-inbound-auth-store.js';
import { DynamoSnapshotStore } from '../../adapters/dynamo-snapshot-store.js';
import { SqsEventQueue } from '../../adapters/sqs-event-queue.js';
import { isRetryable } from '../../core/errors.js';
import { dealerIndex, makeIngestWebhook, type IngestOutcome } from '../../core/events/ingest-webhook.js';
import type { Clock, InboundAuthStore, Log } from '../../ports.js';

// This function reads only the inbound-auth verifiers (INBOUND_AUTH_TABLE; locally the inbound secrets); IAM grants no other.
// With SNAPSHOT_TABLE it may also mark a snapshot entry for the next import's check (UpdateItem only).
export const WebhookEnvSchema = z.object({
  EVENTS_QUEUE_URL: z.url(),
  SNAPSHOT_TABLE: z.string().min(1).optional(),
  ...DealerRuntimeEnvSchema.shape,
});

export type WebhookEnv = z.output<typeof WebhookEnvSchema>;

export interface WebhookPorts {
  readonly log: Log;
  readonly metrics: Metrics;
  readonly clock?: Clock;
  readonly sqs?: SQSClient;
  /** The dealers' inbound-auth verifiers; default the verifier table (`INBOUND_AUTH_TABLE`). */
  readonly secrets?: InboundAuthStore;
  readonly dynamo?: DynamoDBClient;
}

type Response = APIGatewayProxyStructuredResultV2;

const json = (statusCode: number, body: Record<string, unknown>): Response => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** The HTTP answer for each ingest outcome. */
export function toHttpResponse(result: IngestOutcome): Response {
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

/** What the ingest reads of an API Gateway event: lower-cased headers and the raw body bytes. */
function requestOf(event: APIGatewayProxyEventV2): {
  dealerId: string;
  headers: Record<string, string | undefined>;
  body: Buffer;
} {
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const raw = event.body ?? '';
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  return { dealerId: event.pathParameters?.dealerId ?? '', headers, body };
}

/** Every outcome counts one metric, so each invocation publishes (and no empty-metrics warning). */
function countOutcome(metrics: Metrics, result: IngestOutcome): void {
  if (result.outcome === 'queued') metrics.addMetric('WebhookQueued', MetricUnit.Count, 1);
  else if (result.outcome === 'ignored') metrics.addMetric('WebhookIgnored', MetricUnit.Count, 1);
  else {
    metrics.addDimension('reason', result.outcome);
    metrics.addMetric('WebhookRejected', MetricUnit.Count, 1);
  }
}

/** The webhook's Lambda function for `env`, its adapters built once. */
export function build(env: WebhookEnv, ports: WebhookPorts): (event: APIGatewayProxyEventV2) => Promise<Response> {
  const clock = ports.clock ?? { now: () => new Date() };
  const ingest = makeIngestWebhook({
    dealers: dealerIndex(readResolvedDealerConfig(env.DEALERS_FILE).dealers),
    secrets: ports.secrets ?? inboundAuthStore(env, clock),
    queue: new SqsEventQueue({ client: ports.sqs ?? new SQSClient({}), queueUrl: env.EVENTS_QUEUE_URL }),
    clock,
    log: ports.log,
    ...(env.SNAPSHOT_TABLE
      ? {
          checkMarks: new DynamoSnapshotStore({
            client: ports.dynamo ?? new DynamoDBClient({}),
            tableName: env.SNAPSHOT_TABLE,
          }),
        }
      : {}),
  });
  return async (event) => {
    try {
      const result = await ingest(requestOf(event));
      countOutcome(ports.metrics, result);
      return toHttpResponse(result);
    } catch (error) {
      ports.metrics.addMetric('WebhookFailed', MetricUnit.Count, 1);
      ports.log.error('webhook not queued', {
        error: error instanceof Error ? error.name : 'unknown',
        retryable: isRetryable(error),
      });
      return json(isRetryable(error) ? 503 : 500, { message: 'event not accepted, retry later' });
    }
  };
}
