/**
 * The import fan-out (EventBridge): the hourly scheduled event and S3 "Object Created" uploads
 * become work messages (`core/import/scheduler`), wired to AWS in `wiring/import-scheduler.ts`.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { readEnv } from '../adapters/env.js';
import { build, ImportSchedulerEnvSchema, logger } from './wiring/import-scheduler.js';

export { logger };

export const handler = middy(build(readEnv(ImportSchedulerEnvSchema))).use(injectLambdaContext(logger));
