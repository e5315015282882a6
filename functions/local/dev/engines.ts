/**
 * The embedded AWS stand-ins of the local run: S3 (`s3rver`), DynamoDB (`dynalite`) and SQS
 * (`local-aws-sqs`), each in this process on 127.0.0.1, plus the idempotent creation of the
 * bucket, tables and queues the handlers expect. Handlers reach them only through the standard
 * `AWS_ENDPOINT_URL_*` variables, exactly as they reach AWS.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { S3Client, CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import {
  DynamoDBClient,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';
import {
  DEAD_LETTER_RETENTION_SECONDS,
  QUEUES,
  visibilityTimeoutSeconds,
  type QueueName,
} from '../../core/deployment/runtime.js';
import { createTableInput, TABLES, type TableDefinition, type TableKind } from '../../core/deployment/tables.js';

import { LOCAL_CREDENTIALS, LOCAL_REGION, DEFAULT_RESOURCE_NAMES, type LocalResourceNames } from './local-aws.js';
import { keyTooLong, LongNameStore, MAX_KEY_BYTES } from './long-name-store.js';
import { listPagingMiddleware } from './s3-list-paging.js';

export { LOCAL_CREDENTIALS, LOCAL_REGION, DEFAULT_RESOURCE_NAMES, type LocalResourceNames };

const requireCjs = createRequire(import.meta.url);

/** The part of a Koa context the key-length guard uses. */
interface KoaContext {
  readonly path: string;
  status: number;
  type: string;
  body: string;
}

export interface RunningServer {
  readonly url: string;
  stop(): Promise<void>;
}

function urlOf(server: Server): string {
  const address = server.address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

/** An S3 "Object Created" notification as s3rver emits it (one record per event). */
export interface S3ObjectEvent {
  readonly eventName: string;
  readonly bucket: string;
  readonly key: string;
  readonly size?: number;
  readonly eTag?: string;
}

export interface LocalS3 extends RunningServer {
  /** Emits `object` with an {@link S3ObjectEvent} for every object written (put, post, copy, multipart). */
  readonly events: EventEmitter;
}

/**
 * Makes s3rver read `x-amz-copy-source` as S3 does. S3 takes the header URL-encoded (a `+` in a
 * key as `%2B`); s3rver decodes it with `decodeURI`, which leaves `%2B`, `%23`, `%3F` … encoded,
 * so copying `lager 100%+ny.csv` fails there with NoSuchKey. The header is rewritten, before
 * s3rver sees it, into the form its `decodeURI` turns back into the key.
 */
export function acceptS3CopySources(httpServer: Server): void {
  httpServer.prependListener('request', (request: { headers: Record<string, string | string[] | undefined> }) => {
    const source = request.headers['x-amz-copy-source'];
    if (typeof source !== 'string') return;
    try {
      request.headers['x-amz-copy-source'] = encodeURI(decodeURIComponent(source));
    } catch {
      // Not valid URL encoding: left for s3rver to refuse, as S3 would.
    }
  });
}

/** Starts s3rver on 127.0.0.1 storing objects under `directory` (kept across restarts). */
export async function startLocalS3(options: { directory: string; port?: number }): Promise<LocalS3> {
  mkdirSync(options.directory, { recursive: true });
  const S3rver = requireCjs('s3rver') as new (
    options: Record<string, unknown>,
  ) => {
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    on(event: string, listener: (payload: unknown) => void): void;
    httpServer?: Server;
    /** The object store; replaced before the server starts, as s3rver reads it per request. */
    store: unknown;
    context: { store: unknown };
    /** Koa's middleware list (s3rver is a Koa app); composed when the server starts. */
    middleware: Array<(ctx: KoaContext, next: () => Promise<void>) => Promise<void>>;
  };
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory: options.directory,
    vhostBuckets: false,
    // Local credentials are dummies; the SDK signs with them and s3rver must not care.
    allowMismatchedSignatures: true,
  });
  // Keys with segments too long for a file name are kept under hashed names (see long-name-store.ts).
  server.store = server.context.store = new LongNameStore(options.directory);
  // First in the chain: S3 refuses keys over 1,024 bytes, and so does the local run.
  server.middleware.unshift(async (ctx, next) => {
    if (!keyTooLong(ctx.path)) return next();
    ctx.status = 400;
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>KeyTooLongError</Code><Message>Your key is too long (at most ${MAX_KEY_BYTES} bytes).</Message></Error>`;
  });
  // Just before the router, inside s3rver's XML encoder: V2 listings page with our own tokens.
  server.middleware.splice(server.middleware.length - 1, 0, listPagingMiddleware() as never);
  const events = new EventEmitter();
  server.on('event', (payload) => {
    const records =
      (
        payload as {
          Records?: Array<{
            eventName: string;
            s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } };
          }>;
        }
      ).Records ?? [];
    for (const record of records) {
      if (!record.eventName.startsWith('ObjectCreated:')) continue;
      events.emit('object', {
        eventName: record.eventName,
        bucket: record.s3.bucket.name,
        // s3rver puts the stored key in its records as it is, not URL-encoded as S3's own
        // notifications do (checked in test/local/dev-s3-events.test.ts): decoding it again
        // would turn `lager+ny.csv` into `lager ny.csv`.
        key: record.s3.object.key,
        size: record.s3.object.size,
        eTag: record.s3.object.eTag,
      } satisfies S3ObjectEvent);
    }
  });
  const address = await server.run();
  if (server.httpServer) acceptS3CopySources(server.httpServer);
  return {
    url: `http://127.0.0.1:${address.port}`,
    events,
    async stop() {
      server.httpServer?.closeAllConnections?.();
      await server.close();
    },
  };
}

/** Starts dynalite on 127.0.0.1; with `directory` the tables persist in LevelDB there. */
export async function startLocalDynamo(options: { directory?: string; port?: number } = {}): Promise<RunningServer> {
  if (options.directory) mkdirSync(options.directory, { recursive: true });
  const dynalite = requireCjs('dynalite') as (options: Record<string, unknown>) => Server;
  const server = dynalite({
    ...(options.directory ? { path: options.directory } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  return { url: urlOf(server), stop: () => closeServer(server) };
}

/** Starts local-aws-sqs (SQS JSON protocol, FIFO, redrive) on 127.0.0.1; queues live in memory. */
export async function startLocalSqs(options: { port?: number } = {}): Promise<RunningServer> {
  const server = await createSqsServer({
    port: options.port ?? 0,
    hostname: '127.0.0.1',
    region: LOCAL_REGION,
    emulateQueueCreationLifecycle: false,
  });
  return { url: urlOf(server), stop: () => closeServer(server) };
}

export interface LocalResources {
  readonly bucket: string;
  readonly snapshotTable: string;
  readonly dedupeTable: string;
  readonly workQueueUrl: string;
  readonly workDlqUrl: string;
  readonly eventsQueueUrl: string;
  readonly eventsDlqUrl: string;
  readonly vehicleQueueUrl: string;
  readonly vehicleDlqUrl: string;
}

/** S3 client settings every local (and Lambda) S3 client uses. */
export function localS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The table's status, or null when it does not exist (any other error is thrown). */
async function tableStatus(client: DynamoDBClient, name: string): Promise<string | null> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: name }));
    return out.Table?.TableStatus ?? 'ACTIVE';
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return null;
    throw error;
  }
}

/**
 * Polls until the table is in the wanted state. As on AWS, CreateTable and DeleteTable answer
 * before they are done: dynalite answers DeleteTable with the table still listed as DELETING and
 * drops it a moment later (later still on a busy disk), and a new table is CREATING at first.
 */
async function waitForTable(
  client: DynamoDBClient,
  name: string,
  want: 'ACTIVE' | 'GONE',
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 250)) {
    const status = await tableStatus(client, name);
    if (want === 'GONE' ? status === null : status === 'ACTIVE') return;
    if (want === 'ACTIVE' && status === null)
      throw new Error(`DynamoDB table ${name} vanished while waiting for it to become ACTIVE`);
    if (Date.now() > deadline)
      throw new Error(`DynamoDB table ${name} is still ${status ?? 'missing'} after ${timeoutMs} ms (wanted ${want})`);
    await sleep(delay);
  }
}

/** Deletes a table and returns once it is gone, so that a table created next under its name is a new one. */
export async function deleteTableAndWait(client: DynamoDBClient, name: string): Promise<boolean> {
  try {
    await client.send(new DeleteTableCommand({ TableName: name }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    return false;
  }
  await waitForTable(client, name, 'GONE');
  return true;
}

async function ensureTable(client: DynamoDBClient, kind: TableKind, name: string): Promise<void> {
  const status = await tableStatus(client, name);
  if (status === 'DELETING') await waitForTable(client, name, 'GONE');
  if (status === null || status === 'DELETING') {
    try {
      await client.send(new CreateTableCommand(createTableInput(kind, name)));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  // Items can be written only once the table is ACTIVE (a CREATING table answers ResourceNotFound).
  await waitForTable(client, name, 'ACTIVE');
  const table: TableDefinition = TABLES[kind];
  if (!table.ttlAttribute) return;
  // dynalite accepts the call (TTL is not enforced locally; readers check the expiry themselves).
  await client
    .send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
      }),
    )
    .catch(() => undefined);
}

/** A queue's attributes from its settings in `core/deployment/runtime.ts`, as the CDK stack sets them. */
function queueAttributes(queue: QueueName, redrivePolicy: string): Record<string, string> {
  const settings = QUEUES[queue];
  return {
    ...(settings.fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'false' } : {}),
    VisibilityTimeout: String(visibilityTimeoutSeconds(queue)),
    MessageRetentionPeriod: String(settings.retentionSeconds),
    RedrivePolicy: redrivePolicy,
  };
}

function deadLetterAttributes(queue: QueueName): Record<string, string> {
  return {
    ...(QUEUES[queue].fifo ? { FifoQueue: 'true' } : {}),
    MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_SECONDS),
  };
}

/** Creates the bucket, the two tables and the four queues if they do not exist yet. */
export async function ensureLocalResources(
  endpoints: { s3: string; dynamodb: string; sqs: string },
  names: LocalResourceNames = DEFAULT_RESOURCE_NAMES,
): Promise<LocalResources> {
  const s3 = localS3Client(endpoints.s3);
  const dynamo = new DynamoDBClient({
    endpoint: endpoints.dynamodb,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const sqs = new SQSClient({ endpoint: endpoints.sqs, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const bucketReady = s3.send(new HeadBucketCommand({ Bucket: names.bucket })).then(
      () => undefined,
      () => s3.send(new CreateBucketCommand({ Bucket: names.bucket })).then(() => undefined),
    );
    const tablesReady = Promise.all([
      ensureTable(dynamo, 'snapshots', names.snapshotTable),
      ensureTable(dynamo, 'dedupe', names.dedupeTable),
    ]);
    const queueArn = async (url: string) =>
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes
        ?.QueueArn ?? '';
    const createQueue = async (name: string, attributes: Record<string, string>) =>
      (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl ?? '';
    const redrive = async (dlqUrl: string, queue: QueueName) =>
      JSON.stringify({ deadLetterTargetArn: await queueArn(dlqUrl), maxReceiveCount: QUEUES[queue].maxReceiveCount });
    const withDlq = async (queue: QueueName, name: string, dlqName: string) => {
      const dlqUrl = await createQueue(dlqName, deadLetterAttributes(queue));
      return [await createQueue(name, queueAttributes(queue, await redrive(dlqUrl, queue))), dlqUrl] as const;
    };
    const [workQueueUrl, workDlqUrl] = await withDlq('work', names.workQueue, names.workDlq);
    const [eventsQueueUrl, eventsDlqUrl] = await withDlq('events', names.eventsQueue, names.eventsDlq);
    const [vehicleQueueUrl, vehicleDlqUrl] = await withDlq('vehicle', names.vehicleQueue, names.vehicleDlq);
    await Promise.all([bucketReady, tablesReady]);
    return {
      vehicleQueueUrl,
      vehicleDlqUrl,
      bucket: names.bucket,
      snapshotTable: names.snapshotTable,
      dedupeTable: names.dedupeTable,
      workQueueUrl,
      workDlqUrl,
      eventsQueueUrl,
      eventsDlqUrl,
    };
  } finally {
    s3.destroy();
    dynamo.destroy();
    sqs.destroy();
  }
}
