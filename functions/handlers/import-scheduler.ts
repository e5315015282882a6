/**
 * The import fan-out (EventBridge): the hourly scheduled event and S3 "Object Created" uploads
 * become work messages (`core/import/scheduler`). This module only wires it to AWS.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { readResolvedDealerConfig } from '../adapters/dealer-config-file.js';
import { DealerConfigEnvSchema, readEnv, WorkQueueEnvSchema } from '../adapters/env.js';
import { createLogger } from '../adapters/logger.js';
import { SqsWorkQueue } from '../adapters/sqs-work-queue.js';
import { makeImportScheduler } from '../core/import/scheduler.js';

const EnvSchema = z.object({ ...WorkQueueEnvSchema.shape, ...DealerConfigEnvSchema.shape });

export const logger = createLogger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'wayke-dms-import-scheduler',
});

/** The scheduler on the dealers of `DEALERS_FILE` and the SQS work queue. */
export function build(env: z.output<typeof EnvSchema>) {
  return makeImportScheduler({
    dealers: readResolvedDealerConfig(env.DEALERS_FILE).dealers.map((dealer) => dealer.id),
    queue: new SqsWorkQueue({ client: new SQSClient({}), queueUrl: env.WORK_QUEUE_URL }),
    log: logger,
  });
}

export const handler = middy(build(readEnv(EnvSchema))).use(injectLambdaContext(logger));
