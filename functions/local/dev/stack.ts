/**
 * The whole system on one machine: the embedded engines, the Lambda handlers imported as modules
 * and invoked as Lambda invokes them, the SFTP server, the scheduler, the pollers, the HTTP API,
 * the Wayke simulator (or the real Wayke) and the demo DMS. `startDevStack` returns once every
 * service is up and `/health` answers 200; `stop()` ends everything in order.
 */
import { DMS_ENDPOINT_FAILING_MESSAGE, formatRetrySchedule } from '../../core/events/retry-schedule.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  CopyObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { loadDealerConfig } from '../../adapters/dealer-config-file.js';
import { DEFAULT_SECRET_PREFIX, type ResolvedDealer, type ResolvedDealerConfig } from '../../core/dealer-config.js';
import type { ImportReport } from '../../core/import/report.js';
import type { Log } from '../../ports.js';
import { startWaykeSimulator, type WaykeSimulator } from '../wayke-simulator/index.js';
import { startLocalHttpApi, type LocalHttpApi } from './api-gateway.js';
import { startDemoDms, type DemoDms, type DemoDmsDelivery } from './demo-dms.js';
import {
  DEFAULT_RESOURCE_NAMES,
  deleteTableAndWait,
  ensureLocalResources,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localS3Client,
  startLocalDynamo,
  startLocalS3,
  startLocalSqs,
  type LocalResources,
  type LocalS3,
  type RunningServer,
  type S3ObjectEvent,
} from './engines.js';
import {
  baseName,
  copySource,
  dealerPrefix,
  folderPrefix,
  inboundPrefix,
  parseFeedKey,
} from '../../core/feed-bucket.js';
import { inboundDealerOf, objectCreatedEvent, scheduledEvent } from './events.js';
import { errorSummaryOf, lambdaFunction, loadHandler, watchErrorLogs, type LambdaFunction } from './lambda.js';
import { loadOrCreateSecrets, startLocalSecretsManager, type LoadedSecrets } from './secrets.js';
import { startLocalSftpServer, type LocalSftpServer } from './sftp-server.js';
import { restoreQueues, saveQueues } from './queue-store.js';
import { startSqsPoller, type SqsPoller } from './sqs-poller.js';
import { startVehicleApi, vehicleChangesPoller } from './vehicle-api.js';
import { handlerModuleUrl, REPO_ROOT } from '../runtime-paths.js';
import { stateLayout } from '../state-dir.js';
import { startAll, startPart, type PortedService, type Stoppable } from './start-failure.js';

/** Where `npm start` takes the sample feeds from: `<dealerId>.<ext>`. */
export const EXAMPLE_FEEDS_DIR = join(REPO_ROOT, 'examples', 'feeds');
/** As in AWS, so the README's `aws secretsmanager` lines work on both. */
export const SECRET_PREFIX = DEFAULT_SECRET_PREFIX;
export const HOURLY_MS = 60 * 60 * 1000;

/** Every part that listens, with the `wayke-dms dev` option that moves it (null: a random free port). */
export const PARTS = {
  api: { service: 'the webhook endpoint (API Gateway stand-in)', option: '--port' },
  sftp: { service: 'the SFTP server', option: '--sftp-port' },
  wayke: { service: 'the Wayke simulator', option: '--wayke-port' },
  demoDms: { service: 'the demo DMS', option: '--dms-port' },
  s3: { service: 'the S3 stand-in (s3rver)', option: null },
  dynamodb: { service: 'the DynamoDB stand-in (dynalite)', option: null },
  sqs: { service: 'the SQS stand-in (local-aws-sqs)', option: null },
  secrets: { service: 'the Secrets Manager stand-in', option: null },
} as const satisfies Record<string, PortedService>;

/** Lambda timeouts of the stack (the context counts down from these). */
const TIMEOUTS = {
  scheduler: 60_000,
  worker: 600_000,
  webhook: 10_000,
  writer: 30_000,
  vehicleApi: 10_000,
  vehicleWorker: 60_000,
} as const;

export interface DevStackOptions {
  /** Dealer config (default `config/dealers.example.json`). */
  readonly configPath: string;
  /** All local state (default `./.wayke-dms`). */
  readonly dataDir: string;
  /** Webhook endpoint / health port (3000; 0 = any free port). */
  readonly port: number;
  /** SFTP port (2222), or null for `--no-sftp`. */
  readonly sftpPort: number | null;
  /** Wayke simulator port (4010); ignored when `wayke` is given. */
  readonly simulatorPort: number;
  /** Demo DMS port (4020). */
  readonly dmsPort: number;
  /** The real Wayke (from `WAYKE_*`), else the simulator runs. */
  readonly wayke?: { authUrl: string; dealerApiUrl: string; mediaApiUrl: string };
  /** Seed `examples/feeds/<dealerId>.*` into empty dealers (simulator only). */
  readonly seedExamples: boolean;
  /** Run the hourly schedule (off for `--once`). */
  readonly schedule: boolean;
  readonly cwd: string;
  /** Handler log level (`LOG_LEVEL`), default WARN so the console stays readable. */
  readonly handlerLogLevel?: string;
  /** Where the stack's own diagnostics go (stderr JSON logger). */
  readonly log: Log;
  /** Console events for the user-facing output. */
  readonly events?: DevStackListener;
  /** Delays after each failed DMS delivery, seconds (`--dms-retry-schedule`); default the stack's. */
  readonly dmsRetrySchedule?: readonly number[];
}

/** What the console shows as it happens. */
export interface DevStackListener {
  importStarted?(input: { dealerId: string; trigger: string; key?: string }): void;
  report?(report: ImportReport): void;
  importFailed?(input: { dealerId: string; error: string }): void;
  /** An announced import ended without a report: nothing new to import, or another run of the dealer holds the lease. */
  importSkipped?(input: { dealerId: string }): void;
  upload?(input: { dealerId: string; key: string; size: number }): void;
  delivery?(delivery: DemoDmsDelivery): void;
  outbox?(input: { dealerId: string; key: string }): void;
  /** A dealer's DMS endpoint has been failing for more than 15 minutes (the `DmsEndpointFailing` alarm). */
  dmsEndpointFailing?(input: { dealerId: string; since: string }): void;
  /** A dead-letter queue holds more messages than before (checked every few seconds). */
  deadLetters?(input: { queue: 'work' | 'events'; queueUrl: string; count: number; redrive: string }): void;
}

export interface DevStackDealer {
  readonly id: string;
  readonly name: string;
  readonly branchId: string;
  /** The example feed seeded for it, if any. */
  readonly exampleFeed: string | null;
  /** `demo DMS <url>`, `webhook <url>` or `outbox`. */
  readonly delivery:
    | { kind: 'demo'; url: string }
    | { kind: 'webhook'; url: string }
    | { kind: 'outbox' }
    | { kind: 'none' };
}

export interface DevStack {
  readonly dataDir: string;
  readonly configPath: string;
  readonly secrets: LoadedSecrets;
  readonly dealers: readonly DevStackDealer[];
  readonly resources: LocalResources;
  readonly urls: {
    readonly api: string;
    readonly health: string;
    readonly s3: string;
    readonly dynamodb: string;
    readonly sqs: string;
    readonly secretsManager: string;
    readonly sftp: string | null;
    readonly wayke: string;
    readonly waykeSimulated: boolean;
    readonly demoDms: string;
  };
  readonly sftpPort: number | null;
  readonly sftpFingerprint: string | null;
  /** Dealers whose example feed was put in `inbound/` at this start. */
  readonly seeded: readonly string[];
  /** Messages saved in the queues at the last stop and sent again at this start. */
  readonly restoredMessages: number;
  /**
   * True when the stack reset the snapshot table: it existed, but the simulator had no state to
   * continue from (no or an unreadable `<data>/wayke-simulator.json`, e.g. a data dir from an
   * older version), so each dealer's last archived feed is imported again.
   */
  readonly snapshotReset: boolean;
  /** The simulator's state file, and whether this start continued from it (null with the real Wayke). */
  readonly simulatorState: { readonly file: string; readonly restored: boolean; readonly ads: number } | null;
  readonly simulator: WaykeSimulator | null;
  readonly demoDms: DemoDms;
  readonly startedAt: Date;
  /** Invokes the import scheduler with a scheduled event (what the hourly rule does). */
  runSchedule(): Promise<void>;
  /** Resolves with the reports written since `since`, once every dealer has one, `timeoutMs` passed or the stack stops. */
  waitForReports(since: Date, timeoutMs: number): Promise<Map<string, ImportReport>>;
  /** Resolves once work and events queues are empty and idle. */
  drained(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

async function readJsonObject<T>(s3: S3Client, bucket: string, key: string): Promise<T | null> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await out.Body!.transformToString('utf8')) as T;
  } catch {
    return null;
  }
}

async function listKeys(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<Array<{ key: string; lastModified: Date }>> {
  const keys: Array<{ key: string; lastModified: Date }> = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of out.Contents ?? [])
      if (object.Key) keys.push({ key: object.Key, lastModified: object.LastModified ?? new Date(0) });
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

function exampleFeedFor(dealerId: string): string | null {
  if (!existsSync(EXAMPLE_FEEDS_DIR)) return null;
  const file = readdirSync(EXAMPLE_FEEDS_DIR).find((name) => basename(name, extname(name)) === dealerId);
  return file ? join(EXAMPLE_FEEDS_DIR, file) : null;
}

/** The config the handlers get: dealers without a `dms` target deliver to the demo DMS. */
export function resolveForLocalRun(
  config: ResolvedDealerConfig,
  demoDmsUrl: (dealerId: string) => string,
): ResolvedDealerConfig {
  return {
    dealers: config.dealers.map(
      (dealer): ResolvedDealer =>
        dealer.dms ? dealer : { ...dealer, dms: { type: 'webhook', url: demoDmsUrl(dealer.id) } },
    ),
  };
}

/** Starts everything; throws (after stopping what started) when a part cannot start. */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const startedAt = new Date();
  const started: Stoppable[] = [];
  const layout = stateLayout(options.dataDir, options.cwd);
  const dataDir = layout.root;
  mkdirSync(dataDir, { recursive: true });
  const listener = options.events ?? {};
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
  };

  try {
    // The API first, so /health answers 503 while the rest starts.
    const routes: Array<{
      method: string;
      path: string;
      handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;
    }> = [];
    const api: LocalHttpApi = await startPart(started, PARTS.api, () =>
      startLocalHttpApi({ routes, port: options.port, log: options.log }),
    );

    const config = loadDealerConfig(options.configPath, options.cwd);
    const secrets = loadOrCreateSecrets(
      layout.secrets,
      config.dealers.map((dealer) => dealer.id),
    );
    const secretOf = (dealerId: string) => secrets.secrets[dealerId];

    const hadState = existsSync(layout.dynamodb);
    const [s3Engine, dynamoEngine, sqsEngine, secretsEndpoint, demoDms] = await startAll<
      [LocalS3, RunningServer, RunningServer, RunningServer, DemoDms]
    >([
      startPart(started, PARTS.s3, () => startLocalS3({ directory: layout.s3 })),
      startPart(started, PARTS.dynamodb, () => startLocalDynamo({ directory: layout.dynamodb })),
      startPart(started, PARTS.sqs, () => startLocalSqs()),
      startPart(started, PARTS.secrets, () =>
        startLocalSecretsManager({ prefix: SECRET_PREFIX, region: LOCAL_REGION, getSecrets: () => secrets.secrets }),
      ),
      startPart(started, PARTS.demoDms, () =>
        startDemoDms({
          signingSecret: (dealerId) => secretOf(dealerId)?.dmsSigningSecret,
          directory: layout.demoDms,
          port: options.dmsPort,
        }),
      ),
    ]);

    let simulator: WaykeSimulator | null = null;
    const simulatorStateFile = layout.simulator;
    const resolved = resolveForLocalRun(config, (dealerId) => demoDms.urlFor(dealerId));
    if (!options.wayke) {
      simulator = await startPart(started, PARTS.wayke, () =>
        startWaykeSimulator({
          port: options.simulatorPort,
          stateFile: simulatorStateFile,
          log: options.log,
          clients: config.dealers.map((dealer) => ({
            clientId: secretOf(dealer.id)!.waykeClientId,
            clientSecret: secretOf(dealer.id)!.waykeClientSecret,
            branchIds: [dealer.branchId],
          })),
          webhook: config.dealers.map((dealer) => ({
            branchId: dealer.branchId,
            url: `${api.url}/webhooks/wayke/${dealer.id}`,
            headers: { authorization: `Bearer ${secretOf(dealer.id)!.webhookSecret}` },
          })),
        }),
      );
    }
    const wayke = options.wayke ?? {
      authUrl: simulator!.authUrl,
      dealerApiUrl: simulator!.dealerApiUrl,
      mediaApiUrl: simulator!.mediaApiUrl,
    };

    const resources = await ensureLocalResources(
      { s3: s3Engine.url, dynamodb: dynamoEngine.url, sqs: sqsEngine.url },
      DEFAULT_RESOURCE_NAMES,
    );
    const s3 = localS3Client(s3Engine.url);
    const sqs = new SQSClient({ endpoint: sqsEngine.url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    started.push({
      stop: async () => {
        s3.destroy();
        sqs.destroy();
      },
    });

    // The simulator keeps its ads in <data>/wayke-simulator.json, so a restart continues where the
    // last run stopped. Without that file (a data dir from an older version, or an unreadable file)
    // the simulator starts empty and a snapshot from an earlier run would point at ads that do not
    // exist: then start the snapshot afresh and import each dealer's last feed again below.
    let snapshotReset = false;
    if (simulator && hadState && !simulator.restored) {
      const dynamo = new DynamoDBClient({
        endpoint: dynamoEngine.url,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      });
      try {
        // Wait until the old table is gone: recreating it while DynamoDB still drops it would
        // leave no table at all, and every import would fail with ResourceNotFoundException.
        snapshotReset = await deleteTableAndWait(dynamo, resources.snapshotTable);
      } finally {
        dynamo.destroy();
      }
      await ensureLocalResources(
        { s3: s3Engine.url, dynamodb: dynamoEngine.url, sqs: sqsEngine.url },
        DEFAULT_RESOURCE_NAMES,
      );
    }

    const dealersFile = layout.dealers;
    writeFileSync(dealersFile, `${JSON.stringify(resolved, null, 2)}\n`);

    // The Lambda environment, set before the handler modules are imported (they read it once).
    const env: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_S3: s3Engine.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEngine.url,
      AWS_ENDPOINT_URL_SQS: sqsEngine.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsEndpoint.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      DEALERS_FILE: dealersFile,
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
      ...(options.dmsRetrySchedule ? { DMS_RETRY_SCHEDULE: formatRetrySchedule(options.dmsRetrySchedule) } : {}),
      VEHICLE_QUEUE_URL: resources.vehicleQueueUrl,
      VEHICLE_API_URL: api.url,
      WAYKE_AUTH_URL: wayke.authUrl,
      WAYKE_DEALER_API_URL: wayke.dealerApiUrl,
      WAYKE_MEDIA_API_URL: wayke.mediaApiUrl,
      POWERTOOLS_METRICS_NAMESPACE: 'WaykeDms',
      // EMF lines on stdout mean nothing without CloudWatch; the logic runs the same either way.
      POWERTOOLS_METRICS_DISABLED: 'true',
      LOG_LEVEL: options.handlerLogLevel ?? process.env.LOG_LEVEL ?? 'WARN',
    };
    Object.assign(process.env, env);

    const load = async <E, R>(name: string, file: string, timeoutMs: number): Promise<LambdaFunction<E, R>> =>
      lambdaFunction(name, await loadHandler<E, R>(handlerModuleUrl(file)), timeoutMs);
    const [scheduler, worker, webhook, writer] = await Promise.all([
      load<unknown, unknown>('wayke-dms-import-scheduler', 'import-scheduler', TIMEOUTS.scheduler),
      load<SQSEvent, SQSBatchResponse | void>('wayke-dms-import-worker', 'import-worker', TIMEOUTS.worker),
      load<APIGatewayProxyEventV2, APIGatewayProxyResultV2>('wayke-dms-webhook', 'webhook', TIMEOUTS.webhook),
      load<SQSEvent, SQSBatchResponse | void>('wayke-dms-dms-writer', 'dms-writer', TIMEOUTS.writer),
    ]);
    routes.push({ method: 'POST', path: '/webhooks/wayke/{dealerId}', handler: (event) => webhook.invoke(event) });
    const { vehicleWorker } = await startVehicleApi({ routes, load, timeouts: TIMEOUTS });

    // The worker answers a failed import with a batch item failure only; the reason is in its
    // ERROR log line ("Import failed", with the error's name and message). Invocations run side by
    // side in this one process and share the handler's logger (Lambda gives each its own
    // instance), so each line is tied to its invocation by async context, not by its log keys.
    const invocationLog = new AsyncLocalStorage<{ errors: string[] }>();
    const workerErrors = new Map<string, string>();
    await watchErrorLogs(handlerModuleUrl('import-worker'), (entry) => {
      const summary = errorSummaryOf(entry);
      if (summary) invocationLog.getStore()?.errors.push(summary);
    });

    await watchErrorLogs(handlerModuleUrl('dms-writer'), (entry) => {
      if (entry.message !== DMS_ENDPOINT_FAILING_MESSAGE) return;
      const { dealerId, failingSince } = entry as { dealerId?: unknown; failingSince?: unknown };
      if (typeof dealerId === 'string' && typeof failingSince === 'string')
        listener.dmsEndpointFailing?.({ dealerId, since: failingSince });
    });

    // Seed the example feeds before S3 events are forwarded: the start-up schedule imports them.
    const seeded: string[] = [];
    const examples = new Map(config.dealers.map((dealer) => [dealer.id, exampleFeedFor(dealer.id)]));
    if (simulator && options.seedExamples) {
      for (const dealer of config.dealers) {
        const existing = await listKeys(s3, resources.bucket, dealerPrefix(dealer.id));
        if (existing.some((object) => object.key.startsWith(inboundPrefix(dealer.id)) && !object.key.endsWith('/')))
          continue;
        const archived = existing
          .filter((object) => object.key.startsWith(folderPrefix(dealer.id, 'archive')))
          .sort((a, b) => a.key.localeCompare(b.key));
        const latest = archived[archived.length - 1];
        if (latest && snapshotReset) {
          const name = baseName(latest.key).replace(/^\d{8}T\d{9}Z-/, '');
          await s3.send(
            new CopyObjectCommand({
              Bucket: resources.bucket,
              Key: `${inboundPrefix(dealer.id)}${name}`,
              CopySource: copySource(resources.bucket, latest.key),
            }),
          );
          seeded.push(dealer.id);
          continue;
        }
        const example = examples.get(dealer.id);
        if (example && existing.length === 0) {
          await s3.send(
            new PutObjectCommand({
              Bucket: resources.bucket,
              Key: `${inboundPrefix(dealer.id)}${basename(example)}`,
              Body: readFileSync(example),
            }),
          );
          seeded.push(dealer.id);
        }
      }
    }

    // EventBridge: bucket notifications for inbound/ → the scheduler; reports and outbox to the console.
    let invocations = Promise.resolve();
    const invokeScheduler = (event: unknown): Promise<void> => {
      const run = invocations.then(async () => {
        await scheduler.invoke(event);
      });
      invocations = run.catch(() => undefined);
      return run;
    };
    const reportWaiters: Array<() => void> = [];
    // Counted as the report is stored (s3rver emits before it answers the worker's PutObject), so
    // a worker invocation that returns without one wrote none.
    const reportsWritten = new Map<string, number>();
    const reports = new Map<string, ImportReport>();
    s3Engine.events.on('object', (event: S3ObjectEvent) => {
      if (event.bucket !== resources.bucket) return;
      const inboundDealer = inboundDealerOf(event.key);
      if (inboundDealer) {
        invokeScheduler(objectCreatedEvent(event)).catch((error: Error) =>
          options.log.error('import-scheduler failed on an upload', { dealerId: inboundDealer, error: error.message }),
        );
        return;
      }
      const parts = parseFeedKey(event.key);
      if (parts?.folder === 'reports' && parts.name === 'latest.json') {
        reportsWritten.set(parts.dealerId, (reportsWritten.get(parts.dealerId) ?? 0) + 1);
        void readJsonObject<ImportReport>(s3, resources.bucket, event.key).then((value) => {
          if (!value) return;
          reports.set(parts.dealerId, value);
          listener.report?.(value);
          for (const wake of reportWaiters.splice(0)) wake();
        });
        return;
      }
      if (parts?.folder === 'outbox' && parts.name !== '')
        listener.outbox?.({ dealerId: parts.dealerId, key: event.key });
    });

    // Messages left in the queues at the last stop go back in before the pollers start; at stop,
    // after the pollers, whatever is still waiting is saved again.
    const queuesFile = layout.queues;
    const persistedQueues = {
      work: resources.workQueueUrl,
      events: resources.eventsQueueUrl,
      workDlq: resources.workDlqUrl,
      eventsDlq: resources.eventsDlqUrl,
      vehicles: resources.vehicleQueueUrl,
      vehiclesDlq: resources.vehicleDlqUrl,
    };
    const restoredMessages = await restoreQueues(sqs, persistedQueues, queuesFile);
    started.push({
      stop: async () => {
        const kept = await saveQueues(sqs, persistedQueues, queuesFile);
        if (kept > 0) options.log.info('queued messages kept for the next start', { count: kept });
      },
    });

    // Event source mappings.
    const pollers: SqsPoller[] = [
      startSqsPoller({
        sqs,
        queueUrl: resources.workQueueUrl,
        batchSize: 1,
        // Lambda imports dealers in parallel; a few at once keeps 2 cores busy without thrashing.
        concurrency: 4,
        log: options.log,
        handler: async (event) => {
          const announced: Array<{ dealerId: string; reports: number }> = [];
          for (const record of event.Records) {
            try {
              const body = JSON.parse(record.body) as { dealerId?: string; trigger?: string; key?: string };
              if (body.dealerId) {
                listener.importStarted?.({
                  dealerId: body.dealerId,
                  trigger: body.trigger ?? 'schedule',
                  ...(body.key ? { key: body.key } : {}),
                });
                announced.push({ dealerId: body.dealerId, reports: reportsWritten.get(body.dealerId) ?? 0 });
              }
            } catch {
              // the worker reports a bad message itself
            }
          }
          const log = { errors: [] as string[] };
          try {
            const response = (await invocationLog.run(log, () => worker.invoke(event))) ?? undefined;
            // Every announced import gets its result line: a failure has one from onBatch, a report its own.
            if (!response?.batchItemFailures?.length) {
              for (const entry of announced)
                if ((reportsWritten.get(entry.dealerId) ?? 0) === entry.reports)
                  listener.importSkipped?.({ dealerId: entry.dealerId });
            }
            return response;
          } finally {
            // batchSize 1: the invocation's last error line is its record's reason
            const last = log.errors[log.errors.length - 1];
            if (last) for (const record of event.Records) workerErrors.set(record.messageId, last);
          }
        },
        onBatch: (outcome) => {
          const reasons = new Map(
            outcome.records.map((record) => [record.messageId, workerErrors.get(record.messageId)]),
          );
          for (const record of outcome.records) workerErrors.delete(record.messageId);
          for (const record of outcome.records.filter((entry) => outcome.failed.includes(entry.messageId))) {
            let dealerId = '?';
            try {
              dealerId = (JSON.parse(record.body) as { dealerId?: string }).dealerId ?? '?';
            } catch {
              // not JSON
            }
            const logged = reasons.get(record.messageId);
            listener.importFailed?.({
              dealerId,
              error:
                outcome.error?.message ??
                (logged
                  ? `${logged} (retried after the visibility timeout)`
                  : 'reported as a batch item failure; retried after the visibility timeout'),
            });
          }
        },
      }),
      startSqsPoller({
        sqs,
        queueUrl: resources.eventsQueueUrl,
        batchSize: 10,
        // FIFO: the engine hands each message group to one batch at a time, so more pollers only
        // add parallelism across vehicles, as Lambda scales with the number of groups.
        concurrency: 4,
        log: options.log,
        handler: async (event) => (await writer.invoke(event)) ?? undefined,
      }),
      vehicleChangesPoller({ sqs, queueUrl: resources.vehicleQueueUrl, worker: vehicleWorker, log: options.log }),
    ];
    started.push({
      stop: async () => {
        await Promise.all(pollers.map((poller) => poller.stop()));
      },
    });
    demoDms.onDelivery((delivery) => listener.delivery?.(delivery));

    let sftp: LocalSftpServer | null = null;
    const sftpPort = options.sftpPort;
    if (sftpPort !== null) {
      sftp = await startPart(started, PARTS.sftp, () =>
        startLocalSftpServer({
          s3,
          bucket: resources.bucket,
          hostKeyPath: layout.hostKey,
          port: sftpPort,
          log: options.log,
          users: () =>
            config.dealers.map((dealer) => ({
              dealerId: dealer.id,
              ...(secretOf(dealer.id)?.sftpPassword ? { password: secretOf(dealer.id)!.sftpPassword! } : {}),
              publicKeys: dealer.sftp?.publicKeys ?? [],
            })),
          onUpload: (upload) => listener.upload?.(upload),
        }),
      );
    }

    // The DLQ alarms of the stack, as console lines with the command that moves the messages back.
    const dlqCounts = new Map<string, number>();
    const redriveEnv = `AWS_ENDPOINT_URL_SQS=${sqsEngine.url} AWS_REGION=${LOCAL_REGION} AWS_ACCESS_KEY_ID=${LOCAL_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${LOCAL_CREDENTIALS.secretAccessKey}`;
    const watchDlqs = async () => {
      for (const [queue, queueUrl] of [
        ['work', resources.workDlqUrl],
        ['events', resources.eventsDlqUrl],
      ] as const) {
        const out = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
        );
        const count = Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
        if (count > (dlqCounts.get(queueUrl) ?? 0)) {
          listener.deadLetters?.({
            queue,
            queueUrl,
            count,
            redrive: `${redriveEnv} node bin/wayke-dms.js redrive --queue ${queueUrl}`,
          });
        }
        dlqCounts.set(queueUrl, count);
      }
    };
    const dlqTimer = setInterval(() => {
      watchDlqs().catch(() => undefined);
    }, 5000);
    dlqTimer.unref();
    started.push({ stop: async () => clearInterval(dlqTimer) });

    // The hourly rule.
    const runSchedule = () => invokeScheduler(scheduledEvent());
    let timer: NodeJS.Timeout | null = null;
    if (options.schedule) {
      timer = setInterval(() => {
        runSchedule().catch((error: Error) => options.log.error('scheduled import failed', { error: error.message }));
      }, HOURLY_MS);
      timer.unref();
      started.push({
        stop: async () => {
          if (timer) clearInterval(timer);
        },
      });
    }
    // Let in-flight scheduler invocations finish before the engines go.
    started.push({ stop: () => invocations });

    const dealers: DevStackDealer[] = resolved.dealers.map((dealer) => {
      const original = config.dealers.find((entry) => entry.id === dealer.id)!;
      const delivery: DevStackDealer['delivery'] = !original.dms
        ? { kind: 'demo', url: demoDms.urlFor(dealer.id) }
        : original.dms.type === 'outbox'
          ? { kind: 'outbox' }
          : { kind: 'webhook', url: original.dms.url };
      return {
        id: dealer.id,
        name: dealer.name,
        branchId: dealer.branchId,
        exampleFeed: examples.get(dealer.id) ?? null,
        delivery,
      };
    });

    const urls = {
      api: api.url,
      health: `${api.url}/health`,
      s3: s3Engine.url,
      dynamodb: dynamoEngine.url,
      sqs: sqsEngine.url,
      secretsManager: secretsEndpoint.url,
      sftp: sftp ? sftp.url : null,
      wayke: simulator ? simulator.url : wayke.dealerApiUrl,
      waykeSimulated: simulator !== null,
      demoDms: demoDms.url,
    };
    const healthDetails = {
      services: urls,
      ports: { api: api.port, sftp: sftp?.port ?? null, wayke: simulator?.port ?? null, demoDms: demoDms.port },
      dataDir,
      bucket: resources.bucket,
      queues: {
        work: resources.workQueueUrl,
        workDlq: resources.workDlqUrl,
        events: resources.eventsQueueUrl,
        eventsDlq: resources.eventsDlqUrl,
        vehicles: resources.vehicleQueueUrl,
        vehiclesDlq: resources.vehicleDlqUrl,
      },
      dealers: dealers.map((dealer) => dealer.id),
    };
    writeFileSync(layout.endpoints, `${JSON.stringify(healthDetails, null, 2)}\n`);
    api.setHealthy(healthDetails);

    // Set by stop(): a running waitForReports returns then, as the engines it polls are about to go.
    let stopping = false;
    const stack: DevStack = {
      dataDir,
      configPath: options.configPath,
      secrets,
      dealers,
      resources,
      urls,
      sftpPort: sftp?.port ?? null,
      sftpFingerprint: sftp?.hostKeyFingerprint ?? null,
      seeded,
      restoredMessages,
      snapshotReset,
      simulatorState: simulator
        ? { file: simulatorStateFile, restored: simulator.restored, ads: Object.keys(simulator.state().ads).length }
        : null,
      simulator,
      demoDms,
      startedAt,
      runSchedule,
      async waitForReports(since, timeoutMs) {
        const deadline = Date.now() + timeoutMs;
        const fresh = () => new Map([...reports].filter(([, report]) => new Date(report.at) >= since));
        // The engines go away during stop(): a probe that loses that race means "stopping", not an error.
        const idle = () =>
          stack.drained(1).catch((error: unknown) => {
            if (stopping) return false;
            throw error;
          });
        while (Date.now() < deadline && !stopping) {
          const current = fresh();
          if (config.dealers.every((dealer) => current.has(dealer.id))) return current;
          // Nothing left to do and nothing running: the dealers without a report will not get one.
          // (A failed import stays in flight until its visibility timeout, so this waits on.)
          if (await idle()) {
            await new Promise((resolve) => setTimeout(resolve, 300));
            if (stopping) break;
            if (await idle()) return fresh();
          }
          await new Promise<void>((resolve) => {
            const timeout = setTimeout(resolve, 250);
            reportWaiters.push(() => {
              clearTimeout(timeout);
              resolve();
            });
          });
        }
        return fresh();
      },
      async drained(timeoutMs) {
        await invocations;
        const results = await Promise.all(pollers.map((poller) => poller.drained({ timeoutMs, pollMs: 100 })));
        return results.every(Boolean);
      },
      async stop() {
        stopping = true;
        for (const wake of reportWaiters.splice(0)) wake();
        api.setUnhealthy('stopping');
        // Let running imports and deliveries finish (bounded); what still waits is saved.
        await stack.drained(10_000).catch(() => false);
        await stopAll();
      },
    };
    return stack;
  } catch (error) {
    await stopAll();
    throw error;
  }
}
