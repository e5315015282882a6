import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { RetryableError } from '../core/errors.js';
import type { EventQueue, EventQueueMessage } from '../ports.js';

export interface SqsEventQueueOptions {
  readonly client: SQSClient;
  /** URL of a FIFO queue (content-based deduplication off: the ids come from the message). */
  readonly queueUrl: string;
}

/** The {@link EventQueue} port over an SQS FIFO queue (the events queue or its DLQ). */
export class SqsEventQueue implements EventQueue {
  constructor(private readonly options: SqsEventQueueOptions) {}

  async send(message: EventQueueMessage): Promise<void> {
    const attributes = Object.entries(message.attributes ?? {});
    try {
      await this.options.client.send(
        new SendMessageCommand({
          QueueUrl: this.options.queueUrl,
          MessageBody: message.body,
          MessageGroupId: message.groupId,
          MessageDeduplicationId: message.deduplicationId,
          ...(attributes.length
            ? {
                MessageAttributes: Object.fromEntries(
                  attributes.map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
                ),
              }
            : {}),
        }),
      );
    } catch (error) {
      throw new RetryableError(
        `SQS SendMessage failed: ${(error as Error).name}`,
        { operation: 'SendMessage', queue: queueName(this.options.queueUrl) },
        { cause: error },
      );
    }
  }
}

/** The queue's name (last path segment of its URL), for error context. */
export function queueName(queueUrl: string): string {
  return queueUrl.split('/').filter(Boolean).pop() ?? queueUrl;
}
