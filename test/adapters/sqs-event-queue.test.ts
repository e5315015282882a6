import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsEventQueue, queueName } from '../../functions/adapters/sqs-event-queue.js';
import { RetryableError } from '../../functions/core/errors.js';
import { createFifoPair, drainQueue, sqsClient, startLocalSqs } from '../support/webhooks.js';

let server: { url: string; stop(): Promise<void> };
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  server = await startLocalSqs();
  sqs = sqsClient(server.url);
  ({ queueUrl } = await createFifoPair(sqs, 'adapter-events'));
});
afterAll(async () => {
  sqs.destroy();
  await server.stop();
});

describe('SqsEventQueue (local-aws-sqs FIFO)', () => {
  it('sends with group id, deduplication id and string attributes; a repeated id is deduplicated', async () => {
    const queue = new SqsEventQueue({ client: sqs, queueUrl });
    await queue.send({ body: '{"a":1}', groupId: 'd1:ad-1', deduplicationId: 'e1', attributes: { reason: 'why' } });
    await queue.send({ body: '{"a":1}', groupId: 'd1:ad-1', deduplicationId: 'e1' });
    await queue.send({ body: '{"a":2}', groupId: 'd1:ad-1', deduplicationId: 'e2' });
    const messages = await drainQueue(sqs, queueUrl);
    expect(messages.map((m) => [m.Body, m.Attributes?.MessageGroupId, m.Attributes?.MessageDeduplicationId])).toEqual([
      ['{"a":1}', 'd1:ad-1', 'e1'],
      ['{"a":2}', 'd1:ad-1', 'e2'],
    ]);
    expect(messages[0]!.MessageAttributes?.reason?.StringValue).toBe('why');
  });

  it('a failed send is retryable and names the queue, not the body', async () => {
    const queue = new SqsEventQueue({ client: sqs, queueUrl: `${server.url}/123456789012/missing.fifo` });
    const error = await queue
      .send({ body: '{"email":"erik@example.test"}', groupId: 'g', deduplicationId: 'd' })
      .catch((e: unknown) => e as RetryableError);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error!.context.queue).toBe('missing.fifo');
    expect(error!.message).not.toContain('erik@example.test');
    expect(queueName('https://sqs.eu-north-1.amazonaws.com/1/x.fifo')).toBe('x.fifo');
  });
});
