/**
 * `wayke-dms replay` against the local engines, as after `wayke-dms dev`: the DMS writer delivers
 * events (s3rver archive, dynalite dedupe), then the command — given only `--data` — re-delivers
 * them from the archive to a signature-verifying DMS on 127.0.0.1 with their original webhook-ids.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryLog } from '../../functions/adapters/logger.js';
import { S3EventArchive } from '../../functions/adapters/s3-event-archive.js';
import { S3OutboxDmsSink } from '../../functions/adapters/s3-outbox-dms-sink.js';
import { deliveryId, eventId } from '../../functions/core/events/identity.js';
import { dealerIndex } from '../../functions/core/events/ingest-webhook.js';
import { eventMessageBody } from '../../functions/core/events/message.js';
import { run } from '../../functions/local/commands/replay.js';
import { startWaykeSimulator, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import {
  TEST_SIGNING_SECRET,
  createDedupeTable,
  dynamoClient,
  localS3Client,
  startDmsReceiver,
  startLocalDynamo,
  startLocalS3,
  type DmsReceiver,
} from '../support/webhooks.js';
import { publishAd, simulatorWaykeClient } from '../support/simulator-client.js';
import { DEALER_ID, fixedSecrets, testDelivery, webhookDealer } from '../support/delivery.js';
import { spawnCli } from '../support/cli-run.js';

const DEALER = DEALER_ID;
const BUCKET = 'wayke-dms-local';

let s3Server: { url: string; stop(): Promise<void> };
let dynamoServer: { url: string; stop(): Promise<void> };
let s3: S3Client;
let dynamo: DynamoDBClient;
let receiver: DmsReceiver;
let dataDir: string;
let now = new Date('2026-10-03T10:00:00.000Z');
const delivered: string[] = [];
const out: string[] = [];

let simulator: WaykeSimulator;

beforeAll(async () => {
  [s3Server, dynamoServer, receiver, simulator] = await Promise.all([
    startLocalS3({ directory: mkdtempSync(join(tmpdir(), 'replay-s3-')) }),
    startLocalDynamo(),
    startDmsReceiver(),
    startWaykeSimulator(),
  ]);
  const wayke = simulatorWaykeClient(simulator, { backoffBaseMs: 5 });
  const adAbc = await publishAd(wayke, { registrationNumber: 'ABC123', price: 99000, mileage: 12000 });
  const adXyz = await publishAd(wayke, { registrationNumber: 'XYZ789', price: 149000, mileage: 8000 });
  s3 = localS3Client(s3Server.url);
  dynamo = dynamoClient(dynamoServer.url);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await createDedupeTable(dynamo, 'replay-dedupe');
  const dealer = webhookDealer(receiver.url);

  // The data directory `wayke-dms dev` leaves: endpoints, the resolved dealers, the secrets.
  dataDir = mkdtempSync(join(tmpdir(), 'replay-data-'));
  writeFileSync(join(dataDir, 'endpoints.json'), JSON.stringify({ services: { s3: s3Server.url }, bucket: BUCKET }));
  writeFileSync(join(dataDir, 'dealers.json'), JSON.stringify({ dealers: [{ ...dealer, feed: { ...dealer.feed } }] }));
  writeFileSync(
    join(dataDir, 'secrets.json'),
    JSON.stringify({
      [DEALER]: {
        waykeClientId: 'c',
        waykeClientSecret: 's',
        webhookSecret: 'w',
        dmsSigningSecret: TEST_SIGNING_SECRET,
        sftpPassword: 'local-sftp-password',
      },
    }),
  );

  const clock = { now: () => now };
  const deliver = testDelivery({
    dealers: dealerIndex([dealer]),
    dynamo,
    table: 'replay-dedupe',
    secrets: fixedSecrets('w'),
    archive: new S3EventArchive({ client: s3, bucket: BUCKET }),
    outbox: new S3OutboxDmsSink({ client: s3, bucket: BUCKET }),
    wayke,
    deadLetters: { send: async () => undefined },
    clock,
    log: new MemoryLog(),
  });
  // Three events for ABC123 and one for XYZ789, an hour apart from 10:00.
  const payloads = [
    { id: adAbc, registrationNumber: 'ABC123', status: 'Published' },
    { id: adXyz, registrationNumber: 'XYZ789', status: 'Published' },
    { id: adAbc, registrationNumber: 'ABC123', status: 'Unpublished' },
    { id: adAbc, registrationNumber: 'ABC123', status: 'Published' },
  ];
  for (const [index, payload] of payloads.entries()) {
    const raw = JSON.stringify(payload);
    const receivedAt = now.toISOString();
    const id = deliveryId(eventId(DEALER, raw), receivedAt, `n${index}`);
    const body = eventMessageBody({ v: 2, id, bodyHash: eventId(DEALER, raw), dealerId: DEALER, receivedAt, payload });
    const report = await deliver([{ messageId: `m${index}`, body, groupId: `${DEALER}:${payload.id}` }]);
    expect(report.outcomes[0]!.outcome).toBe('delivered');
    delivered.push(id);
    now = new Date(now.getTime() + 3_600_000);
  }
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string) => {
    out.push(String(chunk));
    return true;
  }) as typeof process.stdout.write);
});

afterAll(async () => {
  vi.restoreAllMocks();
  s3?.destroy();
  dynamo?.destroy();
  await Promise.all([s3Server?.stop(), dynamoServer?.stop(), receiver?.stop(), simulator?.stop()]);
});

let first = true;
beforeEach(() => {
  // The first test compares with what the writer delivered in beforeAll.
  if (!first) receiver.deliveries.length = 0;
  first = false;
  receiver.respond = () => 200;
  out.length = 0;
});

afterEach(() => {
  expect(receiver.deliveries.flatMap((d) => d.schemaErrors)).toEqual([]);
});

describe('wayke-dms replay (local run, no AWS settings)', () => {
  it('re-delivers the window with the original webhook-ids and bodies, oldest first, signed', async () => {
    // Prepare
    const originals = new Map(receiver.deliveries.map((d) => [d.id, d.body]));
    receiver.deliveries.length = 0;
    // Act
    const code = await run([
      '--dealer',
      DEALER,
      '--since',
      '2026-10-03T00:00:00Z',
      '--until',
      '2026-10-04T00:00:00Z',
      '--data',
      dataDir,
    ]);
    // Assess
    expect(code).toBe(0);
    expect(receiver.deliveries.map((d) => d.id)).toEqual(delivered);
    expect(receiver.deliveries.every((d) => d.verified)).toBe(true);
    // Byte for byte the bodies first delivered (the vehicle as it was then, not as it is now).
    expect(receiver.deliveries.map((d) => d.body)).toEqual(delivered.map((id) => originals.get(id)));
    expect(JSON.parse(receiver.deliveries[0]!.body).vehicle).toMatchObject({
      registrationNumber: 'ABC123',
      make: expect.any(String),
      mileageKm: 12000,
    });
    expect(out.join('')).toContain('4 re-delivered, 0 failed, 0 skipped');
  });

  it('--vehicle and --until narrow the window', async () => {
    const code = await run([
      '--dealer',
      DEALER,
      '--since',
      '2026-10-03T10:30:00Z',
      '--until',
      '2026-10-03T12:30:00Z',
      '--vehicle',
      'abc 123',
      '--data',
      dataDir,
    ]);
    expect(code).toBe(0);
    expect(receiver.deliveries.map((d) => d.id)).toEqual([delivered[2]]);
  });

  it('a DMS refusing one event: exit 1, the later events of that vehicle skipped, the other vehicle delivered', async () => {
    receiver.respond = (envelope) => (envelope?.id === delivered[0] ? 503 : 200);
    const code = await run(['--dealer', DEALER, '--since', '2026-10-03T00:00:00Z', '--data', dataDir, '--json']);
    expect(code).toBe(1);
    const report = JSON.parse(out.join('')) as {
      events: Array<{ id: string; outcome: string }>;
      failed: number;
      skipped: number;
    };
    expect(report.events.map((e) => e.outcome)).toEqual(['failed', 'delivered', 'skipped', 'skipped']);
    expect(receiver.deliveries.map((d) => d.id)).toEqual([delivered[0], delivered[1]]);
  });

  it.each([
    [['--since', '2026-10-03T00:00:00Z'], '--dealer is required'],
    [['--dealer', DEALER, '--since', 'yesterday'], '--since must be an ISO-8601 time'],
    [
      ['--dealer', DEALER, '--since', '2026-10-03T00:00:00Z', '--until', '2026-10-02T00:00:00Z'],
      '--until must be later',
    ],
    [['--dealer', 'nobody', '--since', '2026-10-03T00:00:00Z'], `no dealer "nobody" in the local run of `],
    [['--dealer', `${DEALER}x`, '--since', '2026-10-03T00:00:00Z'], `(its dealers: ${DEALER})\n`],
    [['--dealer', DEALER, '--since', '2026-10-03T00:00:00Z', '--data', '/nonexistent/dir'], 'endpoints.json not found'],
  ])('%j → exit 2 with a clear message, nothing delivered', async (args, message) => {
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string) => {
      errors.push(String(chunk));
      return true;
    }) as typeof process.stderr.write);
    try {
      const code = await run([...args, ...(args.includes('--data') ? [] : ['--data', dataDir])]);
      expect(code).toBe(2);
      expect(errors.join('')).toContain(message);
      expect(receiver.deliveries).toHaveLength(0);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('wayke-dms replay against AWS, with AWS settings missing', () => {
  // The real command line with only PATH and an empty HOME: no profile, no AWS_* variables.
  const awsArgs = ['replay', '--dealer', 'motorcentrum', '--since', '2026-10-03T00:00:00Z', '--archive-bucket', 'b'];
  const config = fileURLToPath(new URL('../../config/dealers.example.json', import.meta.url));
  const bareEnv = (extra: NodeJS.ProcessEnv = {}) => ({
    PATH: process.env.PATH,
    HOME: mkdtempSync(join(tmpdir(), 'replay-home-')),
    ...extra,
  });

  it('no credentials: only the line saying what to set (no logged stack), exit 2', async () => {
    const result = await spawnCli([...awsArgs, '--config', config], bareEnv({ AWS_REGION: 'eu-north-1' }));
    expect(result.stderr).toBe(
      'wayke-dms replay: no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`)\n',
    );
    expect(result.status).toBe(2);
  });

  it('a --dealer the config does not name: exit 2, naming the config and its dealers, before any AWS call', async () => {
    const result = await spawnCli(
      [
        'replay',
        '--dealer',
        'bilhalen',
        '--since',
        '2026-10-03T00:00:00Z',
        '--archive-bucket',
        'b',
        '--config',
        config,
      ],
      bareEnv(),
    );
    expect(result.stderr).toBe(
      `wayke-dms replay: no dealer "bilhalen" in ${config} (its dealers: bilhallen, motorcentrum, autohuset)\n`,
    );
    expect(result.status).toBe(2);
  });

  it('no region: the line saying what to set, not "is wayke-dms dev running?", exit 2', async () => {
    const result = await spawnCli([...awsArgs, '--config', config], bareEnv());
    expect(result.stderr).toBe('wayke-dms replay: no AWS region (set AWS_REGION, or AWS_PROFILE with a region)\n');
    expect(result.status).toBe(2);
  });
});
