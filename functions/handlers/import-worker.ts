/**
 * The import worker (SQS consumer of the work queue, `ReportBatchItemFailures`): the core's
 * `makeImportWorker` (one dealer per message, the CLI's use case) wired to AWS in `wiring/import-worker.ts`.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { readEnv } from '../adapters/env.js';
import { build, ImportWorkerEnvSchema, logger, metrics } from './wiring/import-worker.js';

export { logger };

export const handler = middy(build(readEnv(ImportWorkerEnvSchema)))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
