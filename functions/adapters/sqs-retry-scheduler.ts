import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { RetryableError } from '../core/errors.js';
import type { RetryScheduler } from '../ports.js';

/**
 * {@link RetryScheduler} over SQS: hides a received message for the delay
 * (`ChangeMessageVisibility`). On a FIFO queue its group stays blocked meanwhile, so later events
 * of the same vehicle wait behind it while other groups flow.
 */
export class SqsRetryScheduler implements RetryScheduler {
  constructor(private readonly options: { readonly client: SQSClient; readonly queueUrl: string }) {}

  async retryAfter(receiptHandle: string, delaySeconds: number): Promise<void> {
    try {
      await this.options.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.options.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: delaySeconds,
        }),
      );
    } catch (error) {
      throw new RetryableError(
        `retry scheduling failed: ${(error as Error).name}`,
        { operation: 'ChangeMessageVisibility' },
        { cause: error },
      );
    }
  }
}
