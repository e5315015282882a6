/**
 * The README's receiver ("For DMS vendors"), exactly as printed: type-checked under `strict` with
 * Node's ES module resolution, compiled, and run as its own process with the official
 * `standardwebhooks` library and the published schemas. It receives a purchase through the real
 * delivery path (ingest → local-aws-sqs FIFO → DMS writer with dynalite and the Wayke simulator)
 * and creates the car with make, model, VIN and images; a forged call gets 401, a repeat no car.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Webhook } from 'standardwebhooks';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLog } from '../../functions/adapters/logger.js';
import { SqsEventQueue } from '../../functions/adapters/sqs-event-queue.js';
import { dealerIndex, makeIngestWebhook } from '../../functions/core/events/ingest-webhook.js';
import {
  FIXTURES,
  TEST_SIGNING_SECRET,
  type DeliveryEngines,
  drainQueue,
  startDeliveryEngines,
} from '../support/webhooks.js';
import { publishAd } from '../support/simulator-client.js';
import { BRANCH } from '../support/import-harness.js';
import { DEALER_ID, fixedSecrets, testDelivery, webhookDealer, webhookHeaders } from '../support/delivery.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** Inside node_modules, so the receiver resolves `standardwebhooks` and `ajv` as a vendor's project would. */
const WORK = join(ROOT, 'node_modules', '.cache', `readme-receiver-${process.pid}`);

/** The first ```ts block after the "For DMS vendors" heading. */
function readmeReceiver(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## For DMS vendors: receiving events'));
  const block = /```ts\n([\s\S]*?)\n```/.exec(section);
  if (!block?.[1]) throw new Error('README: no ```ts block in "For DMS vendors: receiving events"');
  return block[1];
}

/** What `tsc --strict` says of the file, with Node's ES module resolution (empty: it compiles). */
function typeErrors(file: string): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.start ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** Runs the compiled receiver; resolves once it listens. */
async function startReceiver(file: string, port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [file], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, DMS_SIGNING_SECRET: TEST_SIGNING_SECRET, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  await new Promise<void>((done, fail) => {
    const timer = setInterval(() => {
      if (output.includes(`listening on ${port}`)) {
        clearInterval(timer);
        done();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        fail(new Error(`the README receiver exited ${child.exitCode}: ${output}`));
      }
    }, 50);
  });
  return { child, output: () => output };
}

/** The cars the receiver created, from its `new car {…}` lines. */
const carsOf = (output: string) =>
  [...output.matchAll(/^new car (.*)$/gm)].map((line) => JSON.parse(line[1] as string) as Record<string, unknown>);

// The engines' own signature-checking DMS stays idle: the vendor's receiver is what is under test.
let engines: DeliveryEngines;
let vendor: Awaited<ReturnType<typeof startReceiver>>;
let url: string;
let compileErrors: string[];

beforeAll(async () => {
  mkdirSync(WORK, { recursive: true });
  const source = join(WORK, 'receiver.ts');
  writeFileSync(source, readmeReceiver());
  compileErrors = typeErrors(source);
  const compiled = join(WORK, 'receiver.mjs');
  const js = ts.transpileModule(readmeReceiver(), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  writeFileSync(compiled, js.outputText);
  engines = await startDeliveryEngines('readme-events', 'readme-dedupe', { visibilitySeconds: 30, maxReceiveCount: 3 });
  const port = await freePort();
  vendor = await startReceiver(compiled, port);
  url = `http://127.0.0.1:${port}/wayke`;
}, 60_000);

afterAll(async () => {
  vendor?.child.kill('SIGKILL');
  await engines?.stop();
  rmSync(WORK, { recursive: true, force: true });
});

describe("the README's receiver", () => {
  it('type-checks under strict with Node ES module resolution, as printed', () => {
    expect(compileErrors).toEqual([]);
  });

  it('answers 401 to a call without a valid signature, and creates nothing', async () => {
    const forged = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'msg_forged',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}`,
      },
      body: JSON.stringify({ id: 'x', type: 'vehicle.purchased', vehicle: { registrationNumber: 'ABC123' } }),
    });
    expect(forged.status).toBe(401);
    expect(carsOf(vendor.output())).toEqual([]);
  });

  it('creates a car once when the same delivery id arrives twice (a retry after a timeout)', async () => {
    const example = readFileSync(join(ROOT, 'docs/events/vehicle.purchased.example.json'), 'utf8');
    const { id, vehicle } = JSON.parse(example) as { id: string; vehicle: { registrationNumber: string } };
    const signer = new Webhook(TEST_SIGNING_SECRET);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const at = new Date();
      const answer = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(id, at, example),
        },
        body: example,
      });
      expect(answer.status).toBe(204);
    }
    await expect.poll(() => carsOf(vendor.output()).length).toBe(1);
    expect(carsOf(vendor.output())[0]).toMatchObject({ registrationNumber: vehicle.registrationNumber });
  });

  it('creates the purchased car with make, model, VIN and images', async () => {
    // Prepare
    const { sqs, dynamo, queueUrl, dlqUrl, wayke } = engines;
    const image = await wayke.uploadImageBytes({
      branchId: BRANCH,
      bytes: Buffer.from('89504e470d0a1a0a', 'hex'),
      fileName: 'front.png',
      contentType: 'image/png',
      sortOrder: 0,
    });
    const adId = await publishAd(
      wayke,
      { registrationNumber: 'KLM482', price: 389900, mileage: 43100, modelYear: 2022 },
      { mediaUrls: [image.url] },
    );
    const dealers = dealerIndex([webhookDealer(url)]);
    const secrets = fixedSecrets('w');
    const clock = { now: () => new Date() };
    const log = new MemoryLog();
    const ingest = makeIngestWebhook({
      dealers,
      secrets,
      queue: new SqsEventQueue({ client: sqs, queueUrl }),
      clock,
      log,
    });
    const deliver = testDelivery({
      dealers,
      dynamo,
      table: 'readme-dedupe',
      secrets,
      wayke,
      deadLetters: new SqsEventQueue({ client: sqs, queueUrl: dlqUrl }),
      clock,
      log,
    });
    const before = carsOf(vendor.output()).length;
    // Act
    const purchase = FIXTURES['purchase-contract-completed']!.replace('5f1c2b7e-0a4d-4c1e-9a57-3e2f1d9b8c01', adId);
    expect(
      (
        await ingest({
          dealerId: DEALER_ID,
          headers: webhookHeaders('w'),
          body: Buffer.from(purchase),
        })
      ).outcome,
    ).toBe('queued');
    const messages = await drainQueue(sqs, queueUrl);
    const report = await deliver(
      messages.map((m) => ({ messageId: m.MessageId!, body: m.Body!, groupId: m.Attributes!.MessageGroupId! })),
    );
    // Assess
    expect(report.outcomes.map((o) => o.outcome)).toEqual(['delivered']);
    const expected = {
      registrationNumber: 'KLM482',
      make: expect.any(String),
      model: expect.any(String),
      vin: expect.stringMatching(/^[A-HJ-NPR-Z0-9]{17}$/),
      images: [image.url],
    };
    await expect.poll(() => carsOf(vendor.output()).slice(before)).toEqual([expect.objectContaining(expected)]);
  });
});
