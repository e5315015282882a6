/**
 * The engines part of the local run: the S3, DynamoDB, SQS and Secrets Manager stand-ins and the
 * demo DMS, started side by side, then the bucket, tables and queues the handlers expect, and the
 * stack's own S3 and SQS clients.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startDemoDms, type DemoDms } from '../demo-dms.js';
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
} from '../engines.js';
import { startLocalSecretsManager, type LoadedSecrets } from '../secrets.js';
import { startAll, startPart, type Stoppable } from '../start-failure.js';
import type { StateLayout } from '../../state-dir.js';
import { PARTS, SECRET_PREFIX } from './services.js';

export interface Engines {
  readonly s3Engine: LocalS3;
  readonly dynamoEngine: RunningServer;
  readonly sqsEngine: RunningServer;
  readonly secretsEndpoint: RunningServer;
  readonly demoDms: DemoDms;
}

/** Starts the engines and the demo DMS; each registers on `started` as soon as it is up. */
export async function startEngines(input: {
  readonly started: Stoppable[];
  readonly layout: StateLayout;
  readonly secrets: LoadedSecrets;
  readonly dmsPort: number;
}): Promise<Engines> {
  const { started, layout, secrets } = input;
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
        signingSecret: (dealerId) => secrets.secrets[dealerId]?.dmsSigningSecret,
        directory: layout.demoDms,
        port: input.dmsPort,
      }),
    ),
  ]);
  return { s3Engine, dynamoEngine, sqsEngine, secretsEndpoint, demoDms };
}

export interface EngineClients {
  readonly resources: LocalResources;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
}

const endpointsOf = (engines: Engines) => ({
  s3: engines.s3Engine.url,
  dynamodb: engines.dynamoEngine.url,
  sqs: engines.sqsEngine.url,
});

/** Creates what is missing (bucket, tables, queues) and the clients the stack itself uses. */
export async function connectEngines(started: Stoppable[], engines: Engines): Promise<EngineClients> {
  const resources = await ensureLocalResources(endpointsOf(engines), DEFAULT_RESOURCE_NAMES);
  const s3 = localS3Client(engines.s3Engine.url);
  const sqs = new SQSClient({ endpoint: engines.sqsEngine.url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  started.push({
    stop: async () => {
      s3.destroy();
      sqs.destroy();
    },
  });
  return { resources, s3, sqs };
}

/**
 * Drops the snapshot table and creates it afresh; true when there was one. Used when the
 * simulator starts empty although the table holds a snapshot (a data dir from an older version,
 * or an unreadable simulator file): that snapshot points at ads that do not exist.
 */
export async function resetSnapshotTable(engines: Engines, resources: LocalResources): Promise<boolean> {
  const dynamo = new DynamoDBClient({
    endpoint: engines.dynamoEngine.url,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  let reset: boolean;
  try {
    // Wait until the old table is gone: recreating it while DynamoDB still drops it would
    // leave no table at all, and every import would fail with ResourceNotFoundException.
    reset = await deleteTableAndWait(dynamo, resources.snapshotTable);
  } finally {
    dynamo.destroy();
  }
  await ensureLocalResources(endpointsOf(engines), DEFAULT_RESOURCE_NAMES);
  return reset;
}
