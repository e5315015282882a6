/**
 * The import fan-out's wiring: its env schema and `build(env)`, apart from the handler module so a
 * test can build it without the module reading `process.env` at import.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { readResolvedDealerConfig } from '../../adapters/dealer-config-file.js';
import { DealerConfigEnvSchema, WorkQueueEnvSchema } from '../../adapters/env.js';
import { createLogger } from '../../adapters/logger.js';
import { SqsWorkQueue } from '../../adapters/sqs-work-queue.js';
import { makeImportScheduler } from '../../core/import/scheduler.js';
import type { Log } from '../../ports.js';

export const ImportSchedulerEnvSchema = z.object({ ...WorkQueueEnvSchema.shape, ...DealerConfigEnvSchema.shape });
export type ImportSchedulerEnv = z.output<typeof ImportSchedulerEnvSchema>;

export const logger = createLogger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'wayke-dms-import-scheduler',
});

/** The scheduler on the dealers of `DEALERS_FILE` and the SQS work queue. */
export function build(
  env: ImportSchedulerEnv,
  runtime: { readonly sqs: SQSClient; readonly log: Log } = { sqs: new SQSClient({}), log: logger },
) {
  return makeImportScheduler({
    dealers: readResolvedDealerConfig(env.DEALERS_FILE).dealers.map((dealer) => dealer.id),
    queue: new SqsWorkQueue({ client: runtime.sqs, queueUrl: env.WORK_QUEUE_URL }),
    log: runtime.log,
  });
}
