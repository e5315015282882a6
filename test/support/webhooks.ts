/**
 * Shared by the webhook-path tests and the benchmark: real engines on 127.0.0.1 (local-aws-sqs,
 * dynalite, s3rver via the local runtime's starters), a DMS receiver that verifies Standard
 * Webhooks signatures like any DMS would, and small SQS helpers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalDynamo, startLocalSqs } from '../../functions/local/dev/engines.js';
import { startWaykeSimulator, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import type { WaykeApi } from '../../functions/ports.js';
import { verifyWebhook } from '../../functions/core/events/signature.js';
import { DmsEnvelopeSchema, type DmsEnvelope } from '../../functions/core/events/envelope.js';
import { schemaErrors } from './event-schemas.js';

export {
  startLocalDynamo,
  startLocalS3,
  startLocalSqs,
  localS3Client,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
} from '../../functions/local/dev/engines.js';
import { simulatorWaykeClient } from './simulator-client.js';

export const FIXTURE_DIR = 'test/fixtures/wayke-events';
/** Every documented payload, raw text by name (file name without `.json`). */
export const FIXTURES: Readonly<Record<string, string>> = Object.fromEntries(
  readdirSync(FIXTURE_DIR).map((file) => [file.replace(/\.json$/, ''), readFileSync(`${FIXTURE_DIR}/${file}`, 'utf8')]),
);

export const sqsClient = (endpoint: string) =>
  new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
export const dynamoClient = (endpoint: string) =>
  new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });

/** A FIFO queue (content-based dedupe off) with a FIFO DLQ after `maxReceiveCount` receives. */
export async function createFifoPair(
  sqs: SQSClient,
  name: string,
  options: { maxReceiveCount?: number; visibilitySeconds?: number } = {},
) {
  const dlqUrl = (
    await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq.fifo`, Attributes: { FifoQueue: 'true' } }))
  ).QueueUrl!;
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] })))
    .Attributes!.QueueArn!;
  const queueUrl = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: `${name}.fifo`,
        Attributes: {
          FifoQueue: 'true',
          ContentBasedDeduplication: 'false',
          VisibilityTimeout: String(options.visibilitySeconds ?? 30),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount ?? 3 }),
        },
      }),
    )
  ).QueueUrl!;
  return { queueUrl, dlqUrl };
}

/** One receive of up to ten visible messages, without waiting, with all system and message attributes. */
export async function receiveBatch(
  sqs: SQSClient,
  queueUrl: string,
  options: { visibilityTimeout?: number } = {},
): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      AttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
      ...(options.visibilityTimeout !== undefined ? { VisibilityTimeout: options.visibilityTimeout } : {}),
    }),
  );
  return Messages;
}

/** Receives (and by default deletes) every visible message, with all system and message attributes. */
export async function drainQueue(
  sqs: SQSClient,
  queueUrl: string,
  options: { keep?: boolean; visibilityTimeout?: number } = {},
): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const messages = await receiveBatch(sqs, queueUrl, options);
    if (messages.length === 0) return all;
    all.push(...messages);
    if (!options.keep)
      await Promise.all(
        messages.map((m) =>
          sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! })),
        ),
      );
  }
}

export async function createDedupeTable(dynamo: DynamoDBClient, name: string): Promise<void> {
  await dynamo.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
}

export const TEST_SIGNING_SECRET = `whsec_${Buffer.from('wayke-dms test signing key 32 b!').toString('base64')}`;

export interface ReceivedDelivery {
  readonly id: string;
  readonly timestamp: string;
  readonly body: string;
  readonly verified: boolean;
  readonly status: number;
  readonly envelope: DmsEnvelope | null;
  /** Where the body breaks the published schema of its type (`docs/events/`); `[]` when it matches. */
  readonly schemaErrors: readonly string[];
}

export interface DmsReceiver {
  readonly url: string;
  readonly deliveries: ReceivedDelivery[];
  /** Deliveries answered 2xx. */
  accepted(): ReceivedDelivery[];
  /** Decides the answer of the nth call (0-based) for an envelope; default 200. */
  respond: (envelope: DmsEnvelope | null, call: number) => number;
  stop(): Promise<void>;
}

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });

/**
 * A DMS on 127.0.0.1 that verifies each delivery's Standard Webhooks signature (a bad one is
 * answered 401, as a real DMS would) and records it.
 */
export async function startDmsReceiver(secret: string = TEST_SIGNING_SECRET): Promise<DmsReceiver> {
  let calls = 0;
  const receiver: DmsReceiver = {
    url: '',
    deliveries: [],
    accepted: () => receiver.deliveries.filter((d) => d.status >= 200 && d.status < 300),
    respond: () => 200,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((request, response) => void answer(request, response));
  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const id = String(request.headers['webhook-id'] ?? '');
    const timestamp = String(request.headers['webhook-timestamp'] ?? '');
    const verified = verifyWebhook({
      id,
      timestamp,
      signatureHeader: String(request.headers['webhook-signature'] ?? ''),
      body,
      secret,
      nowSeconds: Number(timestamp),
    });
    let envelope: DmsEnvelope | null;
    try {
      const parsed = DmsEnvelopeSchema.safeParse(JSON.parse(body));
      envelope = parsed.success ? parsed.data : null;
    } catch {
      envelope = null;
    }
    const status = verified ? receiver.respond(envelope, calls++) : 401;
    let problems: string[];
    try {
      problems = schemaErrors(body);
    } catch {
      problems = ['body is not JSON'];
    }
    receiver.deliveries.push({ id, timestamp, body, verified, status, envelope, schemaErrors: problems });
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status < 300 }));
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (receiver as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wayke-events`;
  return receiver;
}

/** Personal data in the fixtures: every e-mail, phone number and Luhn-valid personal identity number. */
export function personalDataInFixtures(): string[] {
  const text = Object.values(FIXTURES).join('\n');
  const emails = text.match(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g) ?? [];
  const phones =
    text
      .match(/\+?\d[\d -]{8,}\d/g)
      ?.filter((p) => /^(\+46|0)7\d/.test(p.replace(/[ -]/g, '')) || p.startsWith('+46')) ?? [];
  const pins = (text.match(/\b(19|20)?\d{6}[-+]?\d{4}\b/g) ?? []).filter(isLuhnValidPersonalNumber);
  return [...new Set([...emails, ...phones, ...pins])];
}

/** Luhn check of a Swedish personal identity number in any format (YYYYMMDD-NNNN, YYMMDDNNNN, …). */
export function isLuhnValidPersonalNumber(raw: string): boolean {
  const digits = raw.replace(/\D/g, '');
  const ten = digits.length === 12 ? digits.slice(2) : digits;
  if (ten.length !== 10) return false;
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    let d = Number(ten[i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return sum % 10 === 0;
}

/** Every format a personal identity number can be written in. */
export function personalNumberFormats(pin12: string): string[] {
  const ten = pin12.slice(2);
  return [
    pin12,
    `${pin12.slice(0, 8)}-${pin12.slice(8)}`,
    ten,
    `${ten.slice(0, 6)}-${ten.slice(6)}`,
    `${ten.slice(0, 6)}+${ten.slice(6)}`,
  ];
}

/** Finds Luhn-valid personal numbers, e-mails and phone numbers in text (the log-capture check). */
export function findPersonalData(text: string, known: readonly string[]): string[] {
  const found = known.filter((value) => {
    if (/^\d{12}$/.test(value)) return personalNumberFormats(value).some((format) => text.includes(format));
    return text.includes(value) || text.includes(value.replace(/^\+46/, '0'));
  });
  const pins = (text.match(/(?<![\w.])(19|20)?\d{6}[-+]?\d{4}(?![\w.])/g) ?? []).filter(isLuhnValidPersonalNumber);
  return [...new Set([...found, ...pins])];
}

/** The engines a delivery test runs on: SQS (a FIFO queue and its DLQ), DynamoDB (the dedupe table), Wayke, a DMS. */
export interface DeliveryEngines {
  readonly sqsServer: { url: string; stop(): Promise<void> };
  readonly dynamoServer: { url: string; stop(): Promise<void> };
  readonly simulator: WaykeSimulator;
  readonly receiver: DmsReceiver;
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBClient;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  /** A Wayke client on the simulator's default credentials, with short back-offs. */
  readonly wayke: WaykeApi;
  /** Closes the clients and stops every engine. */
  stop(): Promise<void>;
}

/** Starts the engines of a delivery test, the FIFO pair `<name>`/`<name>-dlq` and the dedupe table `dedupeTable`. */
export async function startDeliveryEngines(
  name: string,
  dedupeTable: string,
  queue: { visibilitySeconds: number; maxReceiveCount: number },
): Promise<DeliveryEngines> {
  const [sqsServer, dynamoServer, simulator, receiver] = await Promise.all([
    startLocalSqs(),
    startLocalDynamo(),
    startWaykeSimulator(),
    startDmsReceiver(),
  ]);
  const sqs = sqsClient(sqsServer.url);
  const dynamo = dynamoClient(dynamoServer.url);
  const { queueUrl, dlqUrl } = await createFifoPair(sqs, name, queue);
  await createDedupeTable(dynamo, dedupeTable);
  const wayke = simulatorWaykeClient(simulator, { backoffBaseMs: 5 });
  const stop = async () => {
    sqs.destroy();
    dynamo.destroy();
    await Promise.all([sqsServer.stop(), dynamoServer.stop(), simulator.stop(), receiver.stop()]);
  };
  return { sqsServer, dynamoServer, simulator, receiver, sqs, dynamo, queueUrl, dlqUrl, wayke, stop };
}
