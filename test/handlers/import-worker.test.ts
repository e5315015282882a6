import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSqsServer } from 'local-aws-sqs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoSnapshotStore } from '../../functions/adapters/dynamo-snapshot-store.js';
import { readEnv } from '../../functions/adapters/env.js';
import { build, ImportWorkerEnvSchema } from '../../functions/handlers/wiring/import-worker.js';
import { MemoryLog } from '../../functions/adapters/logger.js';
import { ResolvedDealerSchema } from '../../functions/core/dealer-config.js';
import { workMessagesFor } from '../../functions/core/import/scheduler.js';
import { startWaykeSimulator, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import { objectCreatedEvent } from '../../functions/local/dev/events.js';
import { BRANCH, csv, vehicle } from '../support/import-harness.js';
import { CREDENTIALS, REGION, startDynamo, startS3, type Dynamo, type S3 } from '../support/engines.js';
import { lambdaContext, sqsRecord } from '../support/lambda.js';

// Secrets Manager has no local engine here: the one AWS client mocked.
const secretsMock = mockClient(SecretsManagerClient);
/** The dealer secret as Secrets Manager holds it, with the simulator's default credentials. */
const SIMULATOR_SECRET = {
  SecretString: JSON.stringify({
    waykeClientId: 'sim-client',
    waykeClientSecret: 'sim-secret',
    webhookSecret: 'w',
    dmsSigningSecret: 'whsec_AAAA',
  }),
};

let dynamo: Dynamo;
let s3: S3;
let sim: WaykeSimulator;
let bucket: string;
let table: string;
let sqsServer: Server;
let sqs: SQSClient;
let workQueueUrl: string;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
/** Every metric the worker published, in order. */
const emitted: Array<{ name: string; value: number }> = [];

const dealers = [
  {
    id: 'bilhallen',
    name: 'Bilhallen',
    branchId: BRANCH,
    feed: { removalStatus: 'Unpublished', maxRemovalShare: 0.25, minRemovalLimit: 3 },
  },
  { id: 'storlager', name: 'Storlager', branchId: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b' },
].map((dealer) => ResolvedDealerSchema.parse(dealer));

beforeAll(async () => {
  [dynamo, s3, sim] = await Promise.all([startDynamo(), startS3(), startWaykeSimulator()]);
  bucket = await s3.bucket();
  table = await dynamo.table();
  sqsServer = await createSqsServer({
    port: 0,
    hostname: '127.0.0.1',
    region: REGION,
    emulateQueueCreationLifecycle: false,
  });
  const sqsUrl = `http://127.0.0.1:${(sqsServer.address() as AddressInfo).port}`;
  sqs = new SQSClient({ endpoint: sqsUrl, region: REGION, credentials: CREDENTIALS });
  workQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'work' }))).QueueUrl!;
  secretsMock.on(GetSecretValueCommand).resolves(SIMULATOR_SECRET);
  const dealersFile = join(mkdtempSync(join(tmpdir(), 'import-worker-')), 'dealers.json');
  writeFileSync(dealersFile, JSON.stringify({ dealers }));
  const env = readEnv(ImportWorkerEnvSchema, {
    DEALERS_FILE: dealersFile,
    SECRET_PREFIX: 'wayke-dms/',
    SECRET_MAX_AGE_SECONDS: '0',
    FEED_BUCKET: bucket,
    SNAPSHOT_TABLE: table,
    WORK_QUEUE_URL: workQueueUrl,
    LEASE_RETRY_DELAY_SECONDS: '2',
    IMPORT_STOP_MARGIN_SECONDS: '60',
    WAYKE_AUTH_URL: sim.authUrl,
    WAYKE_DEALER_API_URL: sim.dealerApiUrl,
    WAYKE_MEDIA_API_URL: sim.mediaApiUrl,
  });
  handler = build(env, {
    dynamo: dynamo.client,
    s3: s3.client,
    sqs,
    secretsManager: new SecretsManagerClient({ region: REGION, credentials: CREDENTIALS }),
    log: new MemoryLog(),
    metrics: { count: (name, value) => emitted.push({ name, value }) },
  });
});
afterAll(async () => {
  sqs?.destroy();
  sqsServer?.closeAllConnections?.();
  await Promise.all([
    dynamo?.stop(),
    s3?.stop(),
    sim?.stop(),
    new Promise<void>((resolve) => (sqsServer ? sqsServer.close(() => resolve()) : resolve())),
  ]);
});

const context = lambdaContext('import-worker', 600_000);
const sqsEvent = (...bodies: unknown[]): SQSEvent => ({
  Records: bodies.map((body) => sqsRecord({ body }, 'arn:aws:sqs:eu-north-1:123456789012:work')),
});
const metric = (name: string) => emitted.filter((m) => m.name === name).reduce((sum, m) => sum + m.value, 0);
const keys = async (prefix: string) =>
  ((await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? [])
    .map((o) => o.Key!)
    .sort();
const text = async (key: string) =>
  (await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();

/** A dealer's upload lands in their inbound folder, as SFTP or `aws s3 cp` would put it. */
const putFeed = (dealer: string, name: string, body: string | Uint8Array) =>
  s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: `feeds/${dealer}/inbound/${name}`, Body: body }));
/** The work message the scheduler queues for that upload, handled by the worker. */
const importUpload = (dealer: string, name: string) =>
  handler(sqsEvent({ dealerId: dealer, trigger: 'upload', key: `feeds/${dealer}/inbound/${name}` }), context);

describe('import-worker handler (s3rver, dynalite, Wayke simulator)', () => {
  const cars = Array.from({ length: 6 }, (_, i) => vehicle(i + 1, {}, 2));

  it('imports an upload, archives the file, writes the reports; failed vehicles are retried hourly from the archive', async () => {
    // Every create fails this time: Wayke throttles creates for longer than the client waits.
    sim.setFaults({ throttleRate: 1, retryAfterSeconds: 3600, routes: ['POST /vehicle'] });
    await putFeed('bilhallen', 'lager.csv', csv(cars));
    const first = await importUpload('bilhallen', 'lager.csv');
    expect(first.batchItemFailures).toEqual([]);
    expect(metric('VehiclesFailed')).toBe(6);
    const archive = await keys('feeds/bilhallen/archive/');
    expect(archive).toHaveLength(1);
    expect(await keys('feeds/bilhallen/inbound/')).toEqual([]);
    const report = JSON.parse(await text('feeds/bilhallen/reports/latest.json')) as {
      failed: unknown[];
      movedTo: string;
    };
    expect(report.failed).toHaveLength(6);
    expect(report.movedTo).toBe(archive[0]);
    expect(await text('feeds/bilhallen/reports/latest.txt')).toContain('Misslyckades (försöks igen nästa körning)');

    // The hourly run finds no new file and retries from the archived one.
    sim.setFaults({ throttleRate: 0, retryAfterSeconds: 1, routes: [] });
    const hourly = await handler(sqsEvent({ dealerId: 'bilhallen', trigger: 'schedule' }), context);
    expect(hourly.batchItemFailures).toEqual([]);
    const retried = JSON.parse(await text('feeds/bilhallen/reports/latest.json')) as {
      created: number;
      failed: unknown[];
      retry: boolean;
    };
    expect(retried).toMatchObject({ created: 6, failed: [], retry: true });
    expect(Object.keys(sim.state().adsByPlate).sort()).toEqual(cars.map((c) => c.registrationNumber));

    // Nothing failed any more: the next hourly run has nothing to do, and says so in a metric.
    const calls = JSON.stringify(sim.state().calls);
    const skipped = metric('ImportSkipped');
    await handler(sqsEvent({ dealerId: 'bilhallen', trigger: 'schedule' }), context);
    expect(JSON.stringify(sim.state().calls)).toBe(calls);
    expect(metric('ImportSkipped')).toBe(skipped + 1);
  });

  it('blocks a mass removal with a metric; a manual message with allowMassRemoval lets it through', async () => {
    const before = metric('RemovalBlocked');
    await putFeed('bilhallen', 'cut.csv', csv(cars.slice(0, 1)));
    await importUpload('bilhallen', 'cut.csv');
    expect(metric('RemovalBlocked')).toBe(before + 1);
    expect(JSON.parse(await text('feeds/bilhallen/reports/latest.json'))).toMatchObject({
      removed: 0,
      blocked: { wouldRemove: 5, limit: 3 },
    });
    expect(await text('feeds/bilhallen/reports/latest.txt')).toContain(
      'BLOCKED: the file would remove 5 ads, the limit is 3.',
    );

    // allowMassRemoval on an upload or schedule message is ignored; on a manual one it counts.
    await handler(sqsEvent({ dealerId: 'bilhallen', trigger: 'schedule', allowMassRemoval: true }), context);
    expect(JSON.parse(await text('feeds/bilhallen/reports/latest.json'))).toMatchObject({
      removed: 0,
      retry: true,
      blocked: { wouldRemove: 5 },
    });
    // The operator's manual message needs no new file: it applies the held-back removals of the archived one.
    await handler(sqsEvent({ dealerId: 'bilhallen', trigger: 'manual', allowMassRemoval: true }), context);
    expect(JSON.parse(await text('feeds/bilhallen/reports/latest.json'))).toMatchObject({
      removed: 5,
      blocked: null,
      retry: true,
    });
  });

  it('an approval item in the snapshot table lets the next blocked run remove, once', async () => {
    await putFeed('bilhallen', 'all.csv', csv(cars));
    await handler(sqsEvent({ dealerId: 'bilhallen', trigger: 'upload' }), context);
    expect(JSON.parse(await text('feeds/bilhallen/reports/latest.json'))).toMatchObject({ republished: 5 });
    const store = new DynamoSnapshotStore({ client: dynamo.client, tableName: table });
    await store.approveMassRemoval('bilhallen', 'support ticket 123', 24 * 3600_000);
    await putFeed('bilhallen', 'one.csv', csv(cars.slice(0, 1)));
    await handler(sqsEvent({ dealerId: 'bilhallen', trigger: 'upload' }), context);
    expect(JSON.parse(await text('feeds/bilhallen/reports/latest.json'))).toMatchObject({ removed: 5, blocked: null });
    expect(await store.consumeMassRemovalApproval('bilhallen')).toBe(false);
  });

  it('a rejected file goes to rejected/ and changes nothing', async () => {
    const calls = JSON.stringify(sim.state().calls);
    await putFeed('bilhallen', 'empty.csv', '');
    const result = await handler(sqsEvent({ dealerId: 'bilhallen', trigger: 'upload' }), context);
    expect(result.batchItemFailures).toEqual([]);
    expect((await keys('feeds/bilhallen/rejected/')).some((k) => k.endsWith('-empty.csv'))).toBe(true);
    expect(JSON.parse(await text('feeds/bilhallen/reports/latest.json'))).toMatchObject({
      feed: { error: { code: 'EMPTY_FEED' } },
    });
    expect(JSON.stringify(sim.state().calls)).toBe(calls);
  });

  it('reports bad messages and failed runs as batch item failures with ImportFailed', async () => {
    const before = metric('ImportFailed');
    const event = sqsEvent(
      'not json',
      { dealerId: 'nobody', trigger: 'schedule' },
      { dealerId: 'bilhallen', trigger: 'schedule' },
    );
    const result = await handler(event, context);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      event.Records[0]!.messageId,
      event.Records[1]!.messageId,
    ]);
    expect(metric('ImportFailed')).toBe(before + 2);

    // The dealer's secret cannot be read: the run throws, the message is retried, the file waits.
    secretsMock
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('AccessDenied'), { name: 'AccessDeniedException' }));
    await s3.client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'feeds/bilhallen/inbound/again.csv',
        Body: csv(cars.slice(0, 2).map((c) => ({ ...c, price: 1 }))),
      }),
    );
    const failed = await handler(sqsEvent({ dealerId: 'bilhallen', trigger: 'upload' }), context);
    expect(failed.batchItemFailures).toHaveLength(1);
    expect(metric('ImportFailed')).toBe(before + 3);
    expect(await keys('feeds/bilhallen/inbound/')).toEqual(['feeds/bilhallen/inbound/again.csv']);
  });

  it('stops starting vehicles before the Lambda timeout, records what it has, and the hourly run carries on', async () => {
    secretsMock.on(GetSecretValueCommand).resolves(SIMULATOR_SECRET);
    const stock = Array.from({ length: 4 }, (_, i) => vehicle(40 + i, {}, 1));
    await putFeed('storlager', 'lager.csv', csv(stock));
    // Less time left than the stop margin (60 s): nothing may be started.
    const nearlyOut = lambdaContext('import-worker', 30_000);
    const cut = await handler(
      sqsEvent({ dealerId: 'storlager', trigger: 'upload', key: 'feeds/storlager/inbound/lager.csv' }),
      nearlyOut,
    );
    expect(cut.batchItemFailures).toEqual([]);
    const report = JSON.parse(await text('feeds/storlager/reports/latest.json')) as {
      created: number;
      failed: Array<{ error: string }>;
    };
    expect(report.created).toBe(0);
    expect(report.failed).toHaveLength(4);
    expect(report.failed.every((f) => /not attempted: the run was interrupted/.test(f.error))).toBe(true);
    expect(await keys('feeds/storlager/archive/')).toHaveLength(1);
    for (const car of stock) expect(sim.state().adsByPlate[car.registrationNumber]).toBeUndefined();

    const hourly = await handler(sqsEvent({ dealerId: 'storlager', trigger: 'schedule' }), context);
    expect(hourly.batchItemFailures).toEqual([]);
    expect(JSON.parse(await text('feeds/storlager/reports/latest.json'))).toMatchObject({
      created: 4,
      failed: [],
      retry: true,
    });
  });

  it('an upload trigger that finds the lease held is sent back delayed, not dropped; it then imports the file', async () => {
    // Prepare: another run holds storlager's lease, and a file waits.
    const store = new DynamoSnapshotStore({ client: dynamo.client, tableName: table });
    await store.acquireLease('storlager', { owner: 'running-import' }, 30_000);
    const stock = [vehicle(70, {}, 1)];
    await putFeed('storlager', 'ny.csv', csv(stock));
    // Act
    const held = await importUpload('storlager', 'ny.csv');
    // Assess: acknowledged, but a copy waits on the queue, delayed (not receivable at once).
    expect(held.batchItemFailures).toEqual([]);
    expect(
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl: workQueueUrl, WaitTimeSeconds: 0 }))).Messages ?? [],
    ).toEqual([]);
    expect(await keys('feeds/storlager/inbound/')).toEqual(['feeds/storlager/inbound/ny.csv']);
    // The delayed copy, once due, finds the lease free and imports the file.
    await store.releaseLease('storlager', 'running-import');
    const again = await waitForMessage(sqs, workQueueUrl, 10_000);
    expect(JSON.parse(again.Body!)).toEqual({
      dealerId: 'storlager',
      trigger: 'upload',
      key: 'feeds/storlager/inbound/ny.csv',
      attempt: 1,
    });
    const retried = await handler(sqsEvent(again.Body!), context);
    expect(retried.batchItemFailures).toEqual([]);
    expect(await keys('feeds/storlager/inbound/')).toEqual([]);
    expect(sim.state().adsByPlate[stock[0]!.registrationNumber]).toBeDefined();
  }, 30_000);
});

/** The next message on the queue, polling until `timeoutMs` (a delayed message appears when due). */
async function waitForMessage(client: SQSClient, queueUrl: string, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const { Messages } = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    if (Messages?.[0]) return Messages[0];
  }
  throw new Error(`no message on ${queueUrl} within ${timeoutMs} ms`);
}

describe('end to end through the worker: no car taken down by accident, no upload lost, any file name', () => {
  const stock = Array.from({ length: 8 }, (_, i) => vehicle(80 + i, {}, 1));
  const published = () => stock.filter((car) => sim.state().adsByPlate[car.registrationNumber]).length;
  const upload = (name: string, body: Uint8Array | string) =>
    s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: `feeds/storlager/inbound/${name}`, Body: body }));
  const report = async () => JSON.parse(await text('feeds/storlager/reports/latest.json')) as Record<string, unknown>;
  /** The stock with every price `price` kronor higher. */
  const repriced = (price: number) => stock.map((car) => ({ ...car, price: car.price + price }));
  /**
   * Starts an upload run with Wayke answering slowly (150 ms a call); resolves once the run has
   * called Wayke, so what the test uploads next lands while it is going. `finished` is its result.
   */
  async function slowRunUnderway(): Promise<{ finished: Promise<SQSBatchResponse> }> {
    sim.setFaults({ latencyMs: 150 });
    const callCount = () => Object.values(sim.state().calls).reduce((sum, n) => sum + n, 0);
    const calls = callCount();
    const finished = handler(sqsEvent({ dealerId: 'storlager', trigger: 'upload' }), context).finally(() =>
      sim.setFaults({ latencyMs: 0 }),
    );
    while (callCount() === calls) await new Promise((resolve) => setTimeout(resolve, 20));
    return { finished };
  }

  it('a stray quote that swallows three rows removes nothing and names the rows', async () => {
    // Prepare: the eight cars are live.
    await upload('lager.csv', csv(stock));
    await handler(sqsEvent({ dealerId: 'storlager', trigger: 'upload' }), context);
    expect(published()).toBe(8);
    // The description of row 4 opens a quote that row 7 closes: rows 5–7 (three cars, within the
    // safety valve's limit of 3) would be read as one description.
    const lines = new TextDecoder().decode(csv(stock)).trimEnd().split('\n');
    lines[3] = lines[3]!.replace(/,([^,]*),(https)/, ',"Fin bil $1,$2');
    lines[6] = lines[6]!.replace(/,([^,]*),(https)/, ',$1 bra skick",$2');
    await upload('lager2.csv', `${lines.join('\n')}\n`);
    // Act
    const result = await handler(sqsEvent({ dealerId: 'storlager', trigger: 'upload' }), context);
    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(published()).toBe(8);
    const run = await report();
    expect(run).toMatchObject({ removed: 0, rejected: [{ row: 4, errors: [{ code: 'UNBALANCED_QUOTE' }] }] });
    expect(run.inDoubt).toEqual(expect.arrayContaining(stock.slice(2, 6).map((car) => car.registrationNumber)));
    expect(await text('feeds/storlager/reports/latest.txt')).toContain(
      'is closed on line 7, so lines 5–7 were read into that one cell',
    );
  });

  it('two uploads during a running import: the newest is imported before the lease is released, nothing waits', async () => {
    // Prepare: Wayke answers slowly, so the first run is still going when the uploads land.
    await upload('a.csv', csv(repriced(1000)));
    // Act
    const slow = await slowRunUnderway();
    await upload('b.csv', csv(repriced(2000)));
    await upload('c.csv', csv(repriced(3000)));
    const result = await slow.finished;
    // Assess: c.csv (the newest) is in Wayke, b.csv archived as superseded, inbound empty.
    expect(result.batchItemFailures).toEqual([]);
    expect(await keys('feeds/storlager/inbound/')).toEqual([]);
    expect(sim.state().adsByPlate[stock[0]!.registrationNumber]).toBeDefined();
    const run = await report();
    expect(run).toMatchObject({
      source: 'feeds/storlager/inbound/c.csv',
      updated: 8,
      superseded: ['feeds/storlager/inbound/b.csv'],
    });
    expect((await keys('feeds/storlager/archive/')).some((key) => key.endsWith('-superseded-b.csv'))).toBe(true);
    expect(await text('feeds/storlager/reports/latest.txt')).toContain(
      'superseded by this one and archived without import:\n  - b.csv',
    );
  });

  it('the same file name uploaded again during a running import: the new upload is imported, not archived unread', async () => {
    // Prepare: Wayke answers slowly, so the first run is still going when the DMS uploads again.
    const archivedBefore = new Set(await keys('feeds/storlager/archive/'));
    await upload('lager.csv', csv(repriced(4000)));
    // Act
    const slow = await slowRunUnderway();
    await upload('lager.csv', csv(repriced(5000)));
    const result = await slow.finished;
    // Assess: Wayke holds the second upload's prices, and each archived copy is what a run imported.
    expect(result.batchItemFailures).toEqual([]);
    expect(await keys('feeds/storlager/inbound/')).toEqual([]);
    const [first] = stock as [(typeof stock)[number]];
    const adId = sim.state().adsByPlate[first.registrationNumber]!.at(-1)!;
    expect(sim.state().ads[adId]?.ad.price).toBe(first.price + 5000);
    const archived = (await keys('feeds/storlager/archive/')).filter((key) => !archivedBefore.has(key));
    expect(archived).toHaveLength(1);
    expect(await text(archived[0]!)).toContain(String(first.price + 5000));
  });

  it('a file named "lager 100%+ny.csv" (or with a line break) is triggered, imported and archived', async () => {
    for (const [i, name] of ['lager 100%+ny.csv', 'lager\nny %zz.csv'].entries()) {
      // Prepare
      const key = `feeds/storlager/inbound/${name}`;
      await upload(name, csv(stock.map((car) => ({ ...car, mileage: car.mileage + 10 + i }))));
      // Act: the S3 event as EventBridge carries it (URL-encoded) → scheduler → worker.
      const messages = workMessagesFor(objectCreatedEvent({ bucket, key }), ['storlager']);
      expect(messages).toEqual([{ dealerId: 'storlager', trigger: 'upload', key }]);
      const result = await handler(sqsEvent(messages[0]), context);
      // Assess
      expect(result.batchItemFailures).toEqual([]);
      expect(await keys('feeds/storlager/inbound/')).toEqual([]);
      const run = await report();
      expect(run).toMatchObject({ source: key, updated: 8 });
      expect(run.movedTo).toMatch(
        new RegExp(`^feeds/storlager/archive/\\d{8}T\\d{9}Z-${name.replace(/[+%]/g, '\\$&')}$`),
      );
      expect(await keys(String(run.movedTo))).toEqual([run.movedTo]);
    }
  });
});
