/**
 * `wayke-dms redrive --queue <dlq-url> [--to <queue-url>] [--max N]`: moves dead-lettered events
 * back to the events queue once the DMS is fixed, keeping each message's FIFO group id (so order
 * per vehicle holds) and deduplication id. Works against AWS and, through `AWS_ENDPOINT_URL_SQS`,
 * against the local stack. Exit status: 0 done, 1 failed part-way, 2 bad arguments.
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
  type Message,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { createLogger } from '../../adapters/logger.js';
import { UsageError } from '../cli-support.js';

export const summary = 'Move dead-lettered webhook events back to the events queue (keeps FIFO group and dedupe ids)';

export const help = `Usage: wayke-dms redrive --queue <dlq-url> [--to <queue-url>] [--max N] [--fresh-dedupe-ids] [--json]

Moves messages from a dead-letter queue back to the queue they came from, oldest first, keeping
each message's MessageGroupId and MessageDeduplicationId. Events the DMS accepted before are not
delivered twice: the DMS writer checks its dedupe table.

Options:
  --queue <url>        the dead-letter queue (required)
  --to <url>           the queue to move them to (default: the one queue whose redrive policy
                       names the DLQ)
  --max <n>            move at most n messages (default: all)
  --fresh-dedupe-ids   give each message a new deduplication id; needed only when redriving
                       within 5 minutes of the original send, when SQS FIFO would drop the
                       message as a duplicate (safe: delivery is still deduplicated by event id)
  --json               print one JSON object: { moved, from, to }
  -h, --help           show this help

Uses the standard AWS configuration (AWS_REGION, credentials, AWS_ENDPOINT_URL_SQS).`;


/** Attributes the DMS writer adds when it dead-letters an event; not carried back. */
const DEAD_LETTER_ATTRIBUTES = new Set(['reason', 'deadLetteredAt']);

function regionOf(queueUrl: string): string | undefined {
  return /sqs[.-]([a-z0-9-]+)\.amazonaws\.com/.exec(queueUrl)?.[1];
}

function parse(args: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        queue: { type: 'string' },
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
  if (!values.queue) throw new UsageError('--queue <dlq-url> is required');
  const max = values.max === undefined ? Number.POSITIVE_INFINITY : Number(values.max);
  if (!(max > 0) || (Number.isFinite(max) && !Number.isInteger(max))) throw new UsageError('--max must be a positive whole number');
  return { queue: values.queue, to: values.to, max, freshDedupeIds: values['fresh-dedupe-ids'] ?? false, json: values.json ?? false };
}

export async function run(args: string[]): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(args);
  } catch (error) {
    process.stderr.write(`wayke-dms redrive: ${(error as Error).message}\n\n${help}\n`);
    return 2;
  }
  const log = createLogger({ serviceName: 'wayke-dms-redrive', toStderr: true });
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? regionOf(options.queue) ?? 'eu-north-1';
  const sqs = new SQSClient({ region });
  let moved = 0;
  let target = options.to;
  try {
    if (!target) {
      const sources = (await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: options.queue }))).queueUrls ?? [];
      if (sources.length !== 1) {
        process.stderr.write(`wayke-dms redrive: ${sources.length === 0 ? 'no queue names' : `${sources.length} queues name`} ${options.queue} as their DLQ; pass --to <queue-url>\n`);
        return 2;
      }
      target = sources[0]!;
    }
    const fifo = target.endsWith('.fifo');
    while (moved < options.max) {
      const wanted = Math.min(10, options.max - moved);
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.queue,
          MaxNumberOfMessages: wanted,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 60,
          AttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) break;
      for (const [index, message] of Messages.entries()) {
        try {
          await move(sqs, message, { target, fifo, from: options.queue, freshDedupeIds: options.freshDedupeIds });
        } catch (error) {
          // Release what was received but not moved, so nothing waits out the visibility timeout.
          await release(sqs, options.queue, Messages.slice(index));
          throw error;
        }
        moved += 1;
        log.info('event redriven', { messageId: message.MessageId, groupId: message.Attributes?.MessageGroupId });
      }
    }
  } catch (error) {
    log.error('redrive stopped', { moved, error: (error as Error).name, message: (error as Error).message });
    process.stderr.write(`wayke-dms redrive: stopped after ${moved} message(s): ${(error as Error).name}\n`);
    return 1;
  } finally {
    sqs.destroy();
  }
  if (options.json) process.stdout.write(`${JSON.stringify({ moved, from: options.queue, to: target })}\n`);
  else process.stdout.write(`Moved ${moved} message(s) from ${options.queue} to ${target}\n`);
  return 0;
}

async function move(sqs: SQSClient, message: Message, options: { target: string; fifo: boolean; from: string; freshDedupeIds: boolean }): Promise<void> {
  const attributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).filter(([name]) => !DEAD_LETTER_ATTRIBUTES.has(name)),
  ) as Record<string, MessageAttributeValue>;
  const groupId = message.Attributes?.MessageGroupId ?? message.MessageId!;
  const dedupeId = options.freshDedupeIds ? randomUUID() : (message.Attributes?.MessageDeduplicationId ?? message.MessageId!);
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
        Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 })),
      }),
    )
    .catch(() => undefined);
}
