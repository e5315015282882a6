/**
 * `wayke-dms redrive [--queue <dlq-url> | --data <dir>] [--to <queue-url>] [--max N]`: moves
 * dead-lettered events back to the events queue once the DMS is fixed, keeping each message's FIFO
 * group id (so order per vehicle holds) and deduplication id. Works against AWS and, without
 * --queue, against the local run found through its state directory. Exit status: 0 done, 1 failed part-way, 2 bad arguments.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ListDeadLetterSourceQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type SQSClientConfig,
  type Message,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { createLogger } from '../../adapters/logger.js';
import { UsageError, awsSettingsProblem } from '../cli-support.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../dev/local-aws.js';
import { DEFAULT_STATE_DIR, localRunIsUp, readLocalRunEndpoints, stateLayout } from '../state-dir.js';

export const help = `Usage: wayke-dms redrive [--queue <dlq-url>] [--data <dir>] [--to <queue-url>] [--max N] [--fresh-dedupe-ids] [--json]

Moves messages from a dead-letter queue back to the queue they came from, oldest first, keeping
each message's MessageGroupId and MessageDeduplicationId. Events the DMS accepted before are not
delivered twice: the DMS writer checks its dedupe table.

Without --queue it redrives the events dead-letter queue of the local run (npm start) whose
state is in --data, finding its SQS from <data>/endpoints.json: no AWS settings needed.

Options:
  --queue <url>        the dead-letter queue (in AWS: the EventsDeadLetterQueueUrl output)
  --data <dir>         the local run's state directory (default ./.wayke-dms), when no --queue
  --to <url>           the queue to move them to (default: the one queue whose redrive policy
                       names the DLQ)
  --max <n>            move at most n messages (default: all)
  --fresh-dedupe-ids   give each message a new deduplication id; needed only when redriving
                       within 5 minutes of the original send, when SQS FIFO would drop the
                       message as a duplicate (safe: delivery is still deduplicated by event id)
  --json               print one JSON object: { moved, from, to }
  -h, --help           show this help

With --queue it uses the standard AWS configuration (AWS_REGION, AWS_PROFILE or the AWS_*
credential variables, SSO, AWS_ENDPOINT_URL_SQS); never the instance metadata service.`;

/** Attributes the DMS writer adds when it dead-letters an event; not carried back. */
const DEAD_LETTER_ATTRIBUTES = new Set(['reason', 'deadLetteredAt']);

function regionOf(queueUrl: string): string | undefined {
  return /sqs[.-]([a-z0-9-]+)\.amazonaws\.com/.exec(queueUrl)?.[1];
}

/**
 * A queue URL outside AWS (a local engine) is its own endpoint, unless AWS_ENDPOINT_URL_SQS names
 * one: left to the SDK, it would use the URL's host anyway and print a two-line warning saying so.
 */
function endpointOf(queueUrl: string): string | undefined {
  if (process.env.AWS_ENDPOINT_URL_SQS || process.env.AWS_ENDPOINT_URL) return undefined;
  // `URL.canParse`, not `URL.parse`: the engines field promises Node 20, and `parse` came in 20.18.
  if (!URL.canParse(queueUrl)) return undefined;
  const url = new URL(queueUrl);
  if (!/^https?:$/.test(url.protocol) || /(^|\.)amazonaws\.com(\.cn)?$/.test(url.hostname)) return undefined;
  return url.origin;
}

interface Connection {
  readonly client: SQSClientConfig;
  readonly queue: string;
  /** The queue to move to when --to is absent and the caller knows it (the local run does). */
  readonly to?: string;
}

/**
 * Where to redrive from: `--queue` in AWS (or wherever AWS_ENDPOINT_URL_SQS points), else the
 * local run of `--data`, from its endpoints.json, with the local engines' dummy credentials.
 */
async function connectionFor(options: ReturnType<typeof parse>): Promise<Connection> {
  if (options.queue) {
    const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? regionOf(options.queue) ?? LOCAL_REGION;
    return { client: { region, endpoint: endpointOf(options.queue) }, queue: options.queue };
  }
  const layout = stateLayout(options.data);
  const endpoints = readLocalRunEndpoints(layout);
  if (!endpoints) {
    throw new UsageError(
      `no local run has used ${layout.root} (no endpoints.json there): start one with \`npm start\`, pass --data <dir> of the one that runs, or --queue <dlq-url> for AWS`,
    );
  }
  if (!(await localRunIsUp(endpoints))) {
    throw new UsageError(
      `the local run of ${layout.root} is not running (${endpoints.services.health} does not answer); its queues live in its process: start it again with \`npm start\` (queued messages are kept across restarts)`,
    );
  }
  return {
    client: { endpoint: endpoints.services.sqs, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS },
    queue: endpoints.queues.eventsDlq,
    to: endpoints.queues.events,
  };
}

/** What a failed SQS call means when that is known (settings to fix, a wrong queue), else undefined. */
function knownSqsProblem(error: unknown, queue: string): string | undefined {
  const name = (error as Error).name;
  if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue')
    return `${name}: ${queue} does not exist`;
  return awsSettingsProblem(error);
}

function parse(args: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        queue: { type: 'string' },
        data: { type: 'string' },
        to: { type: 'string' },
        max: { type: 'string' },
        'fresh-dedupe-ids': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.queue && values.data)
    throw new UsageError(
      '--queue and --data exclude each other: --queue names a queue, --data the local run whose queue to use',
    );
  const max = values.max === undefined ? Number.POSITIVE_INFINITY : Number(values.max);
  if (!(max > 0) || (Number.isFinite(max) && !Number.isInteger(max)))
    throw new UsageError('--max must be a positive whole number');
  return {
    queue: values.queue,
    data: values.data ?? DEFAULT_STATE_DIR,
    to: values.to,
    max,
    freshDedupeIds: values['fresh-dedupe-ids'] ?? false,
    json: values.json ?? false,
  };
}

export async function run(args: string[]): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(args);
  } catch (error) {
    process.stderr.write(`wayke-dms redrive: ${(error as Error).message}\n\n${help}\n`);
    return 2;
  }
  const log = createLogger({ serviceName: 'wayke-dms-redrive', toStderr: true, level: 'WARN' });
  let connection: Connection;
  try {
    connection = await connectionFor(options);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`wayke-dms redrive: ${error.message}\n`);
    return 2;
  }
  const sqs = new SQSClient(connection.client);
  const queue = connection.queue;
  const progress = { moved: 0 };
  let target = options.to ?? connection.to;
  try {
    target ||= await dlqSource(sqs, queue);
    if (!target) return 2;
    await moveAll(
      sqs,
      { from: queue, target, max: options.max, freshDedupeIds: options.freshDedupeIds },
      progress,
      log,
    );
  } catch (error) {
    const known = knownSqsProblem(error, queue);
    // A known problem is said in words; only an unexplained one is worth the logged stack.
    if (known === undefined) log.error('redrive stopped', { moved: progress.moved, error: error as Error });
    process.stderr.write(
      `wayke-dms redrive: stopped after ${progress.moved} message(s): ${known ?? `${(error as Error).name}: ${(error as Error).message}`}\n`,
    );
    return 1;
  } finally {
    sqs.destroy();
  }
  const { moved } = progress;
  if (options.json) process.stdout.write(`${JSON.stringify({ moved, from: queue, to: target })}\n`);
  else process.stdout.write(`Moved ${moved} message(s) from ${queue} to ${target}\n`);
  return 0;
}

/** The one queue that names `queue` as its dead-letter queue, or undefined (after saying why) when not exactly one does. */
async function dlqSource(sqs: SQSClient, queue: string): Promise<string | undefined> {
  const sources = (await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: queue }))).queueUrls ?? [];
  if (sources.length === 1) return sources[0]!;
  process.stderr.write(
    `wayke-dms redrive: ${sources.length === 0 ? 'no queue names' : `${sources.length} queues name`} ${queue} as their DLQ; pass --to <queue-url>\n`,
  );
  return undefined;
}

/** Moves up to `max` messages, ten at a time; `progress.moved` counts them as they go, for the error message. */
async function moveAll(
  sqs: SQSClient,
  options: { from: string; target: string; max: number; freshDedupeIds: boolean },
  progress: { moved: number },
  log: ReturnType<typeof createLogger>,
): Promise<void> {
  const { from: queue, target } = options;
  const fifo = target.endsWith('.fifo');
  while (progress.moved < options.max) {
    const wanted = Math.min(10, options.max - progress.moved);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue,
        MaxNumberOfMessages: wanted,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return;
    for (const [index, message] of Messages.entries()) {
      try {
        await move(sqs, message, { target, fifo, from: queue, freshDedupeIds: options.freshDedupeIds });
      } catch (error) {
        // Release what was received but not moved, so nothing waits out the visibility timeout.
        await release(sqs, queue, Messages.slice(index));
        throw error;
      }
      progress.moved += 1;
      log.info('event redriven', { messageId: message.MessageId, groupId: message.Attributes?.MessageGroupId });
    }
  }
}

async function move(
  sqs: SQSClient,
  message: Message,
  options: { target: string; fifo: boolean; from: string; freshDedupeIds: boolean },
): Promise<void> {
  const attributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).filter(([name]) => !DEAD_LETTER_ATTRIBUTES.has(name)),
  ) as Record<string, MessageAttributeValue>;
  const groupId = message.Attributes?.MessageGroupId ?? message.MessageId!;
  const dedupeId = options.freshDedupeIds
    ? randomUUID()
    : (message.Attributes?.MessageDeduplicationId ?? message.MessageId!);
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: options.target,
      MessageBody: message.Body ?? '',
      ...(Object.keys(attributes).length ? { MessageAttributes: attributes } : {}),
      ...(options.fifo ? { MessageGroupId: groupId, MessageDeduplicationId: dedupeId } : {}),
    }),
  );
  // Deleted only after the target accepted it: a crash in between duplicates, never loses.
  await sqs.send(new DeleteMessageCommand({ QueueUrl: options.from, ReceiptHandle: message.ReceiptHandle! }));
}

async function release(sqs: SQSClient, queueUrl: string, messages: Message[]): Promise<void> {
  if (messages.length === 0) return;
  await sqs
    .send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle!,
          VisibilityTimeout: 0,
        })),
      }),
    )
    .catch(() => undefined);
}
