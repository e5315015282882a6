/**
 * The Vehicle API in the local run: its Lambda behind the local HTTP API (the same routes as API
 * Gateway) and the vehicle worker behind a poller of the vehicle FIFO queue (the event source
 * mapping). Kept apart from `stack.ts` so the stack only registers it.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { VEHICLE_API_ROUTES } from '../../adapters/vehicle-api-http.js';
import type { FunctionName } from '../../core/deployment/runtime.js';
import type { Log } from '../../ports.js';
import type { HttpRoute } from './api-gateway.js';
import type { LambdaFunction } from './lambda.js';
import { startSqsPoller, type SqsPoller } from './sqs-poller.js';

/** Loads a handler module as the function `name` of the stack (its timeout). */
type Loader = <E, R>(name: FunctionName, file: string) => Promise<LambdaFunction<E, R>>;

/** Loads the two handlers and adds the API's routes. */
export async function startVehicleApi(input: {
  readonly routes: HttpRoute[];
  readonly load: Loader;
}): Promise<{ vehicleWorker: LambdaFunction<SQSEvent, SQSBatchResponse | void> }> {
  const [api, vehicleWorker] = await Promise.all([
    input.load<APIGatewayProxyEventV2, APIGatewayProxyResultV2>('vehicleApi', 'vehicle-api'),
    input.load<SQSEvent, SQSBatchResponse | void>('vehicleWorker', 'vehicle-worker'),
  ]);
  for (const routeKey of Object.values(VEHICLE_API_ROUTES)) {
    const [method, path] = routeKey.split(' ') as [string, string];
    input.routes.push({ method, path, handler: (event) => api.invoke(event) });
  }
  return { vehicleWorker };
}

/**
 * The vehicle queue's event source mapping: batches of 10, one at a time. Batches of one dealer
 * take turns on its lease anyway; on this one machine a second poller only adds lease waits.
 */
export function vehicleChangesPoller(input: {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly worker: LambdaFunction<SQSEvent, SQSBatchResponse | void>;
  readonly log: Log;
}): SqsPoller {
  return startSqsPoller({
    sqs: input.sqs,
    queueUrl: input.queueUrl,
    batchSize: 10,
    concurrency: 1,
    log: input.log,
    handler: async (event) => (await input.worker.invoke(event)) ?? undefined,
  });
}
