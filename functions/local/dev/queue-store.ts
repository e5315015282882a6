/**
 * The local SQS engine keeps messages in memory. So that Ctrl-C loses nothing, the messages still
 * waiting in the queues when the stack stops are written to `<data>/queues.json` and sent again
 * on the next start (FIFO group and deduplication ids kept, in order). Messages in flight after a
 * failed attempt are made visible again by their pollers as they stop (`SqsPoller.stop`), before
 * the save, so they are kept too.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

interface SavedMessage {
  readonly body: string;
  readonly groupId?: string;
  readonly deduplicationId?: string;
}

type SavedQueues = Record<string, SavedMessage[]>;

/** Takes every visible message out of the named queues and writes them to `path` (nothing: no file). */
export async function saveQueues(sqs: SQSClient, queues: Record<string, string>, path: string): Promise<number> {
  const saved: SavedQueues = {};
  let total = 0;
  for (const [name, queueUrl] of Object.entries(queues)) {
    const messages: SavedMessage[] = [];
    for (;;) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 60,
          AttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const batch = out.Messages ?? [];
      if (batch.length === 0) break;
      for (const message of batch) {
        const attributes = (message.Attributes ?? {}) as Record<string, string>;
        messages.push({
          body: message.Body ?? '',
          ...(attributes.MessageGroupId ? { groupId: attributes.MessageGroupId } : {}),
          ...(attributes.MessageDeduplicationId ? { deduplicationId: attributes.MessageDeduplicationId } : {}),
        });
      }
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
        }),
      );
    }
    if (messages.length) saved[name] = messages;
    total += messages.length;
  }
  if (total > 0) writeFileSync(path, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  return total;
}

/** Sends the messages saved at the last stop back to their queues and removes the file. */
export async function restoreQueues(sqs: SQSClient, queues: Record<string, string>, path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  const saved = JSON.parse(readFileSync(path, 'utf8')) as SavedQueues;
  let total = 0;
  for (const [name, messages] of Object.entries(saved)) {
    const queueUrl = queues[name];
    if (!queueUrl) continue;
    // One by one, in the saved order: FIFO order within each group is what matters.
    for (const message of messages) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: message.body,
          ...(message.groupId ? { MessageGroupId: message.groupId } : {}),
          ...(message.deduplicationId ? { MessageDeduplicationId: message.deduplicationId } : {}),
        }),
      );
      total += 1;
    }
  }
  rmSync(path);
  return total;
}
