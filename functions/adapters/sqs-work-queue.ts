import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { RetryableError } from '../core/errors.js';
import type { WorkMessage, WorkQueue } from '../ports.js';

/** The import work queue on SQS: batches of ten, failed entries retried, then reported. */
export class SqsWorkQueue implements WorkQueue {
  constructor(private readonly options: { client: SQSClient; queueUrl: string; maxAttempts?: number }) {}

  async send(messages: readonly WorkMessage[], options: { readonly delaySeconds?: number } = {}): Promise<void> {
    const delay =
      options.delaySeconds === undefined
        ? {}
        : { DelaySeconds: Math.min(900, Math.max(0, Math.round(options.delaySeconds))) };
    const maxAttempts = this.options.maxAttempts ?? 4;
    for (let offset = 0; offset < messages.length; offset += 10) {
      let entries = messages
        .slice(offset, offset + 10)
        .map((message, index) => ({ Id: String(index), MessageBody: JSON.stringify(message), ...delay }));
      for (let attempt = 1; entries.length > 0; attempt++) {
        const answer = await this.options.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: entries }),
        );
        const failed = new Set((answer.Failed ?? []).map((f) => f.Id));
        const permanent = (answer.Failed ?? []).filter((f) => f.SenderFault);
        if (permanent.length > 0) {
          throw new RetryableError(
            `SQS refused ${permanent.length} work messages (${permanent.map((f) => f.Code).join(', ')})`,
            { operation: 'SendMessageBatch' },
          );
        }
        entries = entries.filter((entry) => failed.has(entry.Id));
        if (entries.length > 0 && attempt >= maxAttempts) {
          throw new RetryableError(`SQS did not take ${entries.length} work messages`, {
            operation: 'SendMessageBatch',
            attempts: attempt,
          });
        }
        if (entries.length > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** attempt));
      }
    }
  }
}
