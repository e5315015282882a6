/**
 * The import benchmark: a 10,000-vehicle dealer against the Wayke simulator (first import,
 * unchanged rerun, a 1% change), then 200 dealers × 50 vehicles through the fan-out (scheduler →
 * SQS → worker handler). The simulator and DynamoDB (dynalite) run in child processes so wall
 * time and peak memory are the importer's; a counting proxy in front of dynalite counts DynamoDB
 * operations. Prints calls per kind, DynamoDB operations, wall time and peak RSS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoSnapshotStore, ensureSnapshotTable } from '../functions/adapters/dynamo-snapshot-store.js';
import { bytesFeed } from '../functions/adapters/file-feed-source.js';
import { readFeed } from '../functions/core/feed/index.js';
import { makeImportDealer, planImport } from '../functions/core/import/index.js';
import type { Log } from '../functions/ports.js';
import type { Vehicle } from '../functions/core/vehicle.js';
import {
  ensureLocalResources,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localS3Client,
  startLocalS3,
  startLocalSqs,
} from '../functions/local/dev/engines.js';
import { DEFAULT_FEED_SETTINGS } from '../functions/core/dealer-config.js';
import { lambdaContext } from '../functions/local/dev/lambda.js';
import { startLocalSecretsManager } from '../functions/local/dev/secrets.js';
import { startSqsPoller } from '../functions/local/dev/sqs-poller.js';
import { simulatorWaykeClient } from '../test/support/simulator-client.js';
import { scheduledEvent } from '../functions/local/dev/events.js';

const BIG = Number(process.env.BENCH_VEHICLES ?? 10_000);
const DEALERS = Number(process.env.BENCH_DEALERS ?? 200);
const PER_DEALER = 50;
const CONCURRENCY = 16;

const silent: Log = { debug() {}, info() {}, warn() {}, error() {} };
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const peakRss = () => process.resourceUsage().maxRSS * 1024;
/** Heap still in use after a full GC (needs --expose-gc, as `npm run bench` runs): what a run retains. */
const liveHeap = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

// ───────────────────────────── engines in child processes ─────────────────────────────

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((child) => child.kill()));

async function startChild(args: string[], ready: RegExp): Promise<string> {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'ERROR', NODE_NO_WARNINGS: '1' },
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = ready.exec(out);
      if (match) resolve(match[0]);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

async function startDynalite(): Promise<string> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['node_modules/dynalite/cli.js', '--host', '127.0.0.1', '--port', String(port), '--createTableMs', '0'],
    { stdio: 'ignore' },
  );
  children.push(child);
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = request(
        { host: '127.0.0.1', port, method: 'GET', path: '/' },
        (res) => (res.resume(), resolve(true)),
      );
      req.on('error', () => resolve(false));
      req.end();
    });
    if (ok) return `http://127.0.0.1:${port}`;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('dynalite did not start');
}

/** A pass-through proxy in front of dynalite that counts operations by `X-Amz-Target`. */
async function countingProxy(target: string): Promise<{ url: string; counts: Map<string, number>; server: Server }> {
  const { hostname, port } = new URL(target);
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    const op = String(req.headers['x-amz-target'] ?? 'unknown')
      .split('.')
      .pop()!;
    counts.set(op, (counts.get(op) ?? 0) + 1);
    const upstream = request(
      { host: hostname, port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, counts, server };
}

interface SimUrls {
  url: string;
  authUrl: string;
  dealerApiUrl: string;
  mediaApiUrl: string;
}

async function simCalls(sim: SimUrls): Promise<Record<string, number>> {
  const state = (await (await fetch(`${sim.url}/_admin/state`)).json()) as { calls: Record<string, number> };
  return state.calls;
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, count] of Object.entries(after))
    if (count - (before[route] ?? 0) > 0) out[route] = count - (before[route] ?? 0);
  return out;
}
const writesOf = (calls: Record<string, number>) =>
  Object.entries(calls)
    .filter(([route]) => !route.startsWith('GET') && route !== 'POST /connect/token')
    .reduce((sum, [, n]) => sum + n, 0);

function snapshotCounts(counts: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...counts.entries()].sort());
}
function countsDiff(after: Record<string, number>, before: Record<string, number>) {
  return diff(after, before);
}

// ───────────────────────────── feeds ─────────────────────────────

const EQUIPMENT = [
  'Dragkrok',
  'Navigation',
  'Backkamera',
  'Parkeringssensorer',
  'Farthållare',
  'Adaptiv farthållare',
  'Motorvärmare',
  'Kupévärmare',
  'Rattvärme',
  'Stolsvärme',
  'LED-strålkastare',
  'Klimatanläggning',
  'Apple CarPlay',
  'Android Auto',
  'Bluetooth',
  'Keyless',
  'Elbaklucka',
  'Panoramatak',
  'Sommarhjul',
  'Vinterhjul',
];

function makeVehicle(plateNo: number, prefix = 'B'): Vehicle {
  const plate = `${prefix}${String(plateNo).padStart(5, '0')}`;
  return {
    registrationNumber: plate,
    price: 95_000 + (plateNo % 400) * 1000,
    mileage: 5_000 + (plateNo % 300) * 700,
    modelYear: 2012 + (plateNo % 13),
    shortDescription: `Volvo V60 D4 Momentum ${plateNo}`,
    description: `Välvårdad bil i mycket fint skick, servad enligt serviceprogram. Nybesiktigad och klar för leverans. Finansiering och inbyte ordnas enkelt. Bilen har ${EQUIPMENT.length} tillval och två hjulsatser. Ring eller mejla för provkörning – välkommen in till oss! Referens ${plate}.`,
    images: Array.from({ length: 10 }, (_, i) => `https://images.example.test/${plate}/${i}.jpg`),
    equipment: EQUIPMENT,
  };
}

const cell = (value: string) => (/[",\n;|]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
function csv(vehicles: readonly Vehicle[]): Uint8Array {
  const lines = ['registrationNumber,price,mileage,modelYear,shortDescription,description,images,equipment'];
  for (const v of vehicles) {
    lines.push(
      [
        v.registrationNumber,
        v.price,
        v.mileage,
        v.modelYear ?? '',
        cell(v.shortDescription ?? ''),
        cell(v.description ?? ''),
        cell((v.images ?? []).join('|')),
        cell((v.equipment ?? []).join('|')),
      ].join(','),
    );
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

// ───────────────────────────── part A: one big dealer ─────────────────────────────

async function bigDealer(sim: SimUrls, dynamoUrl: string, counts: Map<string, number>) {
  const client = new DynamoDBClient({ endpoint: dynamoUrl, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  await ensureSnapshotTable(client, 'bench-snapshots');
  const store = new DynamoSnapshotStore({ client, tableName: 'bench-snapshots' });
  const wayke = simulatorWaykeClient(sim, { maxConcurrency: CONCURRENCY });
  const importDealer = makeImportDealer({
    snapshots: store,
    wayke,
    clock: { now: () => new Date() },
    log: silent,
    concurrency: CONCURRENCY,
  });
  const dealer = {
    id: 'big-dealer',
    branchId: '11111111-2222-4333-8444-555555555555',
    feed: DEFAULT_FEED_SETTINGS,
  };
  const vehicles = Array.from({ length: BIG }, (_, i) => makeVehicle(i + 1));

  async function step(label: string, feed: readonly Vehicle[], expectedWrites?: number) {
    const bytes = csv(feed);
    const callsBefore = await simCalls(sim);
    const dynBefore = snapshotCounts(counts);
    const started = performance.now();
    const outcome = await importDealer({ dealer, trigger: 'manual', feed: bytesFeed('bench.csv', bytes) });
    const wall = performance.now() - started;
    const calls = diff(await simCalls(sim), callsBefore);
    const writes = writesOf(calls);
    const summary = outcome.status === 'applied' ? outcome.summary : null;
    console.log(`\n${label}: ${BIG.toLocaleString('en')} vehicles, feed ${mb(bytes.length)}`);
    console.log(`  wall ${seconds(wall)} · peak RSS so far ${mb(peakRss())} · live heap after GC ${mb(liveHeap())}`);
    console.log(
      `  result: created ${summary?.created} · updated ${summary?.updated} · removed ${summary?.removed} · unchanged ${summary?.unchanged} · failed ${summary?.failed.length}`,
    );
    console.log(`  Wayke calls: ${JSON.stringify(calls)}`);
    console.log(
      `  Wayke write calls: ${writes}${expectedWrites !== undefined ? ` (expected exactly ${expectedWrites}: ${writes === expectedWrites ? 'OK' : 'MISMATCH'})` : ''}`,
    );
    console.log(`  DynamoDB operations: ${JSON.stringify(countsDiff(snapshotCounts(counts), dynBefore))}`);
    return { wall, writes };
  }

  await step('First import', vehicles);
  const firstRerun = await step('Unchanged rerun (right after the first import)', vehicles, 0);
  const rerun = await step('Unchanged rerun (again)', vehicles, 0);
  const bestRerun = Math.min(firstRerun.wall, rerun.wall);
  // Where an unchanged run's time goes (each part measured alone, same feed and snapshot).
  {
    const bytes = csv(vehicles);
    let t = performance.now();
    const read = readFeed(bytes, { now: new Date() });
    const readMs = performance.now() - t;
    t = performance.now();
    const snapshot = await store.load(dealer.id);
    const loadMs = performance.now() - t;
    t = performance.now();
    planImport({ vehicles: read.vehicles.map((v) => v.vehicle), snapshot });
    const planMs = performance.now() - t;
    console.log(
      `  breakdown: read + validate the feed ${readMs.toFixed(0)} ms · load the snapshot (paged Query) ${loadMs.toFixed(0)} ms · plan ${planMs.toFixed(0)} ms`,
    );
  }
  console.log(
    `  target: zero writes, < 2 s → ${firstRerun.writes === 0 && rerun.writes === 0 && bestRerun < 2000 ? 'met' : 'NOT met'} (best ${seconds(bestRerun)})`,
  );
  // 1%: 60 price changes, 20 vehicles with one of ten images replaced, 20 vehicles sold (left the feed).
  const onePercent = Math.max(5, Math.floor(BIG / 100));
  const priceN = Math.round(onePercent * 0.6);
  const imageN = Math.round(onePercent * 0.2);
  const goneN = onePercent - priceN - imageN;
  const changed = vehicles
    .map((v, i) => {
      if (i < priceN) return { ...v, price: v.price - 2000 };
      if (i < priceN + imageN) return { ...v, images: v.images!.map((url, n) => (n === 3 ? `${url}?v=2` : url)) };
      return v;
    })
    .slice(0, BIG - goneN);
  // Minimal calls: one PATCH per price change; one upload + one media update per replaced image; one status per removal.
  await step(`1% change (${priceN} prices, ${imageN} images, ${goneN} removals)`, changed, priceN + imageN * 2 + goneN);
  client.destroy();
}

// ───────────────────────────── part B: the fan-out ─────────────────────────────

async function fanOut(sim: SimUrls, dynamoUrl: string, counts: Map<string, number>) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-fanout-'));
  const [s3, sqs] = await Promise.all([startLocalS3({ directory: join(dir, 's3') }), startLocalSqs()]);
  const resources = await ensureLocalResources({ s3: s3.url, dynamodb: dynamoUrl, sqs: sqs.url });
  const dealerIds = Array.from({ length: DEALERS }, (_, i) => `dealer-${String(i).padStart(3, '0')}`);
  const secretsFile = Object.fromEntries(
    dealerIds.map((id) => [
      id,
      {
        waykeClientId: 'sim-client',
        waykeClientSecret: 'sim-secret',
        webhookSecret: 'bench-webhook-secret',
        dmsSigningSecret: 'whsec_YmVuY2gtc2lnbmluZy1zZWNyZXQ=',
      },
    ]),
  );
  const secrets = await startLocalSecretsManager({
    prefix: 'wayke-dms/',
    region: LOCAL_REGION,
    getSecrets: () => secretsFile,
  });
  const dealers = dealerIds.map((id, i) => ({
    id,
    name: id,
    branchId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    feed: { removalStatus: 'Unpublished', maxRemovalShare: 0.25, minRemovalLimit: 3 },
  }));
  writeFileSync(join(dir, 'dealers.json'), JSON.stringify({ dealers }));

  const s3Client = localS3Client(s3.url);
  for (const [i, id] of dealerIds.entries()) {
    const feed = csv(Array.from({ length: PER_DEALER }, (_, n) => makeVehicle(i * PER_DEALER + n + 1, 'F')));
    await s3Client.send(
      new PutObjectCommand({ Bucket: resources.bucket, Key: `feeds/${id}/inbound/lager.csv`, Body: feed }),
    );
  }

  Object.assign(process.env, {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
    AWS_ENDPOINT_URL_SQS: sqs.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    WORK_QUEUE_URL: resources.workQueueUrl,
    FEED_BUCKET: resources.bucket,
    SNAPSHOT_TABLE: resources.snapshotTable,
    DEALERS_FILE: join(dir, 'dealers.json'),
    SECRET_PREFIX: 'wayke-dms/',
    WAYKE_AUTH_URL: sim.authUrl,
    WAYKE_DEALER_API_URL: sim.dealerApiUrl,
    WAYKE_MEDIA_API_URL: sim.mediaApiUrl,
    LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const scheduler = (await import('../functions/handlers/import-scheduler.js')).handler as unknown as (
    e: unknown,
    c: unknown,
  ) => Promise<{ sent: number }>;
  const worker = (await import('../functions/handlers/import-worker.js')).handler as unknown as (
    e: unknown,
    c: unknown,
  ) => Promise<{ batchItemFailures: unknown[] }>;

  const callsBefore = await simCalls(sim);
  const dynBefore = snapshotCounts(counts);
  const started = performance.now();
  const scheduled = await scheduler(scheduledEvent(), lambdaContext('import-scheduler', 60_000));
  let failures = 0;
  const sqsClient = new SQSClient({ endpoint: sqs.url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  // Ten workers at a time (the pipeline's maxConcurrency), one message per invocation as in the stack.
  const poller = startSqsPoller({
    sqs: sqsClient,
    queueUrl: resources.workQueueUrl,
    batchSize: 1,
    concurrency: 10,
    waitSeconds: 0,
    handler: async (event) => {
      const result = await worker(event, lambdaContext('import-worker', 600_000));
      failures += result.batchItemFailures.length;
      return result as never;
    },
  });
  await poller.drained({ timeoutMs: 30 * 60_000, pollMs: 200 });
  const wall = performance.now() - started;
  await poller.stop();
  const calls = diff(await simCalls(sim), callsBefore);
  console.log(`\nFan-out: ${DEALERS} dealers × ${PER_DEALER} vehicles (scheduler → SQS → worker, 10 at a time)`);
  console.log(`  work messages ${scheduled.sent} · failed messages ${failures}`);
  console.log(
    `  wall ${seconds(wall)} (${(wall / DEALERS).toFixed(0)} ms per dealer) · peak RSS so far ${mb(peakRss())}`,
  );
  console.log(`  Wayke calls: ${JSON.stringify(calls)}`);
  console.log(`  DynamoDB operations: ${JSON.stringify(countsDiff(snapshotCounts(counts), dynBefore))}`);

  // The hourly run again: no new files, nothing failed → nothing to do for any dealer.
  const again = performance.now();
  const before2 = await simCalls(sim);
  await scheduler(scheduledEvent(), lambdaContext('import-scheduler', 60_000));
  const poller2 = startSqsPoller({
    sqs: sqsClient,
    queueUrl: resources.workQueueUrl,
    batchSize: 1,
    concurrency: 10,
    waitSeconds: 0,
    handler: async (event) => worker(event, lambdaContext('import-worker', 600_000)) as never,
  });
  await poller2.drained({ timeoutMs: 10 * 60_000, pollMs: 200 });
  await poller2.stop();
  console.log(
    `  next hourly run (no new files): wall ${seconds(performance.now() - again)} · Wayke calls ${JSON.stringify(diff(await simCalls(sim), before2))}`,
  );
  sqsClient.destroy();
  await Promise.all([s3.stop(), sqs.stop(), secrets.stop()]);
}

// ───────────────────────────── main ─────────────────────────────

const simJson = await startChild(['bin/wayke-dms.js', 'simulate-wayke', '--port', '0', '--json'], /\{.*\}/);
const sim = JSON.parse(simJson) as SimUrls;
const dynalite = await startDynalite();
const proxy = await countingProxy(dynalite);
// Powertools warns on every invocation without application metrics; that is noise here.
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (String(args[0]).startsWith('No application metrics to publish')) return;
  warn(...args);
};
console.log(
  `Import benchmark (node ${process.version}, simulator and dynalite in child processes, concurrency ${CONCURRENCY}; load average ${loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')} on this machine)`,
);
await bigDealer(sim, proxy.url, proxy.counts);
await fanOut(sim, proxy.url, proxy.counts);
console.log(
  `\nPeak RSS of the importer process: ${mb(peakRss())} · load average now ${loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')}`,
);
proxy.server.close();
children.forEach((child) => child.kill());
process.exit(0);
