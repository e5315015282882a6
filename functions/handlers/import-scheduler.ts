/**
 * The import fan-out (EventBridge): the hourly scheduled event sends one work message per dealer;
 * an S3 "Object Created" under `feeds/<dealerId>/inbound/` sends one for that dealer at once.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { EventBridgeEvent } from 'aws-lambda';
import * as z from 'zod';
import { readResolvedDealerConfig } from '../adapters/dealer-config-file.js';
import { readEnv } from '../adapters/env.js';
import { createLogger } from '../adapters/logger.js';
import { SqsWorkQueue } from '../adapters/sqs-work-queue.js';
import { dealerOfInboundKey, decodeEventKey, isCompleteFeedKey } from '../core/feed-bucket.js';
import type { WorkMessage } from '../ports.js';

const env = readEnv(
  z.object({
    WORK_QUEUE_URL: z.url(),
    DEALERS_FILE: z
      .string()
      .min(1)
      .default(`${process.env.LAMBDA_TASK_ROOT ?? '.'}/dealers.json`),
  }),
);

export const logger = createLogger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'wayke-dms-import-scheduler',
});
const dealerIds = readResolvedDealerConfig(env.DEALERS_FILE).dealers.map((dealer) => dealer.id);
const known = new Set(dealerIds);
const queue = new SqsWorkQueue({ client: new SQSClient({}), queueUrl: env.WORK_QUEUE_URL });

type SchedulerEvent = EventBridgeEvent<
  string,
  { object?: { key?: string }; bucket?: { name?: string } } | Record<string, never>
>;

/** The work messages an event asks for (pure: exported for tests). */
export function messagesFor(event: SchedulerEvent, dealers: readonly string[] = dealerIds): WorkMessage[] {
  if (event['detail-type'] === 'Scheduled Event') return dealers.map((dealerId) => ({ dealerId, trigger: 'schedule' }));
  if (event['detail-type'] === 'Object Created') {
    // EventBridge delivers S3 keys URL-encoded with `+` for spaces; decoding never throws.
    const raw = (event.detail as { object?: { key?: string } }).object?.key ?? '';
    const key = decodeEventKey(raw);
    const dealerId = dealerOfInboundKey(key);
    if (!dealerId || !known.has(dealerId) || !isCompleteFeedKey(dealerId, key)) return [];
    return [{ dealerId, trigger: 'upload', key }];
  }
  return [];
}

async function handle(event: SchedulerEvent): Promise<{ sent: number }> {
  const messages = messagesFor(event);
  if (messages.length === 0) {
    logger.warn('Event asks for no import (unknown dealer, incomplete upload or other event)', {
      detailType: event['detail-type'],
    });
    return { sent: 0 };
  }
  await queue.send(messages);
  logger.info('Import work queued', { trigger: messages[0]?.trigger, dealers: messages.length });
  return { sent: messages.length };
}

export const handler = middy(handle).use(injectLambdaContext(logger));
