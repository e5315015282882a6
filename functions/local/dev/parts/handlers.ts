/**
 * The handlers part of the local run: the Lambda environment, set before the handler modules are
 * imported (they read it once, at module scope, as in a cold start), and each handler wrapped as
 * a {@link LambdaFunction} with its deployed timeout. The webhook and Vehicle API routes go onto
 * the local HTTP API.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { FUNCTION_TIMEOUT_SECONDS, type FunctionName } from '../../../core/deployment/runtime.js';
import { formatRetrySchedule } from '../../../core/events/retry-schedule.js';
import { handlerModuleUrl } from '../../runtime-paths.js';
import type { HttpRoute } from '../api-gateway.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalResources } from '../engines.js';
import { lambdaFunction, loadHandler, routeHandlerOutput, type LambdaFunction } from '../lambda.js';
import type { Stoppable } from '../start-failure.js';
import { startVehicleApi } from '../vehicle-api.js';
import type { Engines } from './engines.js';
import { SECRET_PREFIX } from './services.js';

export interface WaykeUrls {
  readonly authUrl: string;
  readonly dealerApiUrl: string;
  readonly mediaApiUrl: string;
}

export type SqsLambda = LambdaFunction<SQSEvent, SQSBatchResponse | void>;

export interface Handlers {
  readonly scheduler: LambdaFunction;
  readonly worker: SqsLambda;
  readonly writer: SqsLambda;
  readonly vehicleWorker: SqsLambda;
}

export interface LambdaEnvironmentInput {
  readonly engines: Engines;
  readonly resources: LocalResources;
  readonly dealersFile: string;
  readonly apiUrl: string;
  readonly wayke: WaykeUrls;
  readonly logLevel: string;
  readonly dmsRetrySchedule?: readonly number[];
}

/** What the handlers read from `process.env`, pointing at the local engines. */
export function lambdaEnvironment(input: LambdaEnvironmentInput): Record<string, string> {
  const { engines, resources, wayke } = input;
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: engines.s3Engine.url,
    AWS_ENDPOINT_URL_DYNAMODB: engines.dynamoEngine.url,
    AWS_ENDPOINT_URL_SQS: engines.sqsEngine.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: engines.secretsEndpoint.url,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    DEALERS_FILE: input.dealersFile,
    SECRET_PREFIX,
    // The local stand-in serves a dealer's whole entry under one name and each function picks its
    // own keys; separating the two purposes matters only where IAM enforces it (AWS).
    INBOUND_SECRET_PREFIX: SECRET_PREFIX,
    SECRET_MAX_AGE_SECONDS: '5',
    FEED_BUCKET: resources.bucket,
    SNAPSHOT_TABLE: resources.snapshotTable,
    DEDUPE_TABLE: resources.dedupeTable,
    WORK_QUEUE_URL: resources.workQueueUrl,
    WORK_DLQ_URL: resources.workDlqUrl,
    EVENTS_QUEUE_URL: resources.eventsQueueUrl,
    EVENTS_DLQ_URL: resources.eventsDlqUrl,
    // Delivered events are archived beside the feeds (`events/<dealer>/…`) for `wayke-dms replay`.
    EVENT_ARCHIVE_BUCKET: resources.bucket,
    ...(input.dmsRetrySchedule ? { DMS_RETRY_SCHEDULE: formatRetrySchedule(input.dmsRetrySchedule) } : {}),
    VEHICLE_QUEUE_URL: resources.vehicleQueueUrl,
    VEHICLE_API_URL: input.apiUrl,
    WAYKE_AUTH_URL: wayke.authUrl,
    WAYKE_DEALER_API_URL: wayke.dealerApiUrl,
    WAYKE_MEDIA_API_URL: wayke.mediaApiUrl,
    POWERTOOLS_METRICS_NAMESPACE: 'WaykeDms',
    // EMF lines on stdout mean nothing without CloudWatch; the logic runs the same either way.
    POWERTOOLS_METRICS_DISABLED: 'true',
    LOG_LEVEL: input.logLevel,
  };
}

/**
 * Keeps the handlers' JSON log lines (what CloudWatch would hold) out of the terminal, in
 * `<data>/logs/lambda.log`; with `verbose` they show on the terminal too.
 */
export function divertHandlerLogs(logFile: string, verbose: boolean): Stoppable {
  const undo = routeHandlerOutput({ logFile, echo: verbose });
  return { stop: async () => undo() };
}

const timeoutMs = (name: FunctionName) => FUNCTION_TIMEOUT_SECONDS[name] * 1000;

/** Loads `functions/handlers/<file>` once (`wayke-dms-<file>`, as the stack names the function), as a warm Lambda with the deployed timeout of `name`. */
export async function load<E, R>(name: FunctionName, file: string): Promise<LambdaFunction<E, R>> {
  return lambdaFunction(`wayke-dms-${file}`, await loadHandler<E, R>(handlerModuleUrl(file)), timeoutMs(name));
}

/** Sets the environment, loads every handler and adds the HTTP routes (webhook, Vehicle API). */
export async function loadHandlers(environment: Record<string, string>, routes: HttpRoute[]): Promise<Handlers> {
  Object.assign(process.env, environment);
  const [scheduler, worker, webhook, writer] = await Promise.all([
    load<unknown, unknown>('importScheduler', 'import-scheduler'),
    load<SQSEvent, SQSBatchResponse | void>('importWorker', 'import-worker'),
    load<APIGatewayProxyEventV2, APIGatewayProxyResultV2>('webhook', 'webhook'),
    load<SQSEvent, SQSBatchResponse | void>('dmsWriter', 'dms-writer'),
  ]);
  routes.push({ method: 'POST', path: '/webhooks/wayke/{dealerId}', handler: (event) => webhook.invoke(event) });
  const { vehicleWorker } = await startVehicleApi({ routes, load });
  return { scheduler, worker, writer, vehicleWorker };
}
