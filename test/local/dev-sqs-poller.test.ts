import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startLocalSqs,
  type RunningServer,
} from '../../functions/local/dev/engines.js';
import { startSqsPoller, type SqsPollerOptions } from '../../functions/local/dev/sqs-poller.js';
import { restoreQueues, saveQueues } from '../../functions/local/dev/queue-store.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let server: RunningServer;
let sqs: SQSClient;
let counter = 0;

beforeAll(async () => {
  server = await startLocalSqs();
  sqs = new SQSClient({ endpoint: server.url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
});
afterAll(async () => {
  sqs?.destroy();
  await server?.stop();
});

async function queuePair(fifo: boolean, visibility = 1, maxReceiveCount = 2) {
  const suffix = `${++counter}${fifo ? '.fifo' : ''}`;
  const fifoAttributes: Record<string, string> = fifo ? { FifoQueue: 'true' } : {};
  const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `dlq-${suffix}`, Attributes: fifoAttributes })))
    .QueueUrl!;
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] })))
    .Attributes!.QueueArn!;
  const queueUrl = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: `q-${suffix}`,
        Attributes: {
          ...fifoAttributes,
          VisibilityTimeout: String(visibility),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
        },
      }),
    )
  ).QueueUrl!;
  return { queueUrl, dlqUrl };
}

/** A poller on `queueUrl` that never long-polls, so each test moves at the queue's pace. */
const pollQueue = (queueUrl: string, options: Omit<SqsPollerOptions, 'sqs' | 'queueUrl' | 'waitSeconds'>) =>
  startSqsPoller({ sqs, queueUrl, waitSeconds: 0, ...options });

const waitFor = async (predicate: () => boolean, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

describe('SQS poller (local event source mapping)', () => {
  it('hands Lambda-shaped records, deletes the successes, retries the reported failures after the visibility timeout', async () => {
    const { queueUrl } = await queuePair(false, 1, 5);
    const seen: Array<{ body: string; receiveCount: string }> = [];
    const failedOnce = new Set<string>();
    const poller = pollQueue(queueUrl, {
      handler: async (event: SQSEvent) => {
        for (const record of event.Records) {
          expect(record.eventSource).toBe('aws:sqs');
          expect(record.eventSourceARN).toMatch(/^arn:aws:sqs:.*:q-/);
          expect(record.receiptHandle).toBeTruthy();
          seen.push({ body: record.body, receiveCount: record.attributes.ApproximateReceiveCount });
        }
        const failures = event.Records.filter((record) => record.body === 'b' && !failedOnce.has(record.body));
        failures.forEach((record) => failedOnce.add(record.body));
        return { batchItemFailures: failures.map((record) => ({ itemIdentifier: record.messageId })) };
      },
    });
    try {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: ['a', 'b', 'c'].map((body, index) => ({ Id: String(index), MessageBody: body })),
        }),
      );
      await waitFor(() => seen.filter((entry) => entry.body === 'b').length === 2);
      expect(await poller.drained({ timeoutMs: 10_000 })).toBe(true);
      expect(seen.filter((entry) => entry.body === 'a')).toHaveLength(1);
      expect(seen.filter((entry) => entry.body === 'c')).toHaveLength(1);
      expect(seen.filter((entry) => entry.body === 'b').map((entry) => entry.receiveCount)).toEqual(['1', '2']);
    } finally {
      await poller.stop();
    }
  });

  it('moves a message that keeps failing (or throws) to the DLQ after maxReceiveCount', async () => {
    const { queueUrl, dlqUrl } = await queuePair(false, 1, 2);
    let calls = 0;
    const poller = pollQueue(queueUrl, {
      handler: async () => {
        calls += 1;
        throw new Error('DMS down');
      },
    });
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'poison' }));
      let inDlq: string[] = [];
      await waitFor(() => calls >= 2);
      const deadline = Date.now() + 10_000;
      while (inDlq.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const attributes = (
          await sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
          )
        ).Attributes;
        if (Number(attributes?.ApproximateNumberOfMessages) > 0) {
          inDlq = ((await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl }))).Messages ?? []).map(
            (message) => message.Body ?? '',
          );
        }
      }
      expect(inDlq).toEqual(['poison']);
      expect(calls).toBe(2);
    } finally {
      await poller.stop();
    }
  });

  it('keeps each FIFO group in order when a record fails and the rest of its group is returned', async () => {
    const { queueUrl } = await queuePair(true, 1, 5);
    const processed: string[] = [];
    let failedOnce = false;
    const poller = pollQueue(queueUrl, {
      concurrency: 2,
      handler: async (event: SQSEvent) => {
        // A FIFO consumer as the DMS writer is: stop a group at its first failure.
        const failures: string[] = [];
        const stopped = new Set<string>();
        for (const record of event.Records) {
          const group = record.attributes.MessageGroupId!;
          if (stopped.has(group)) {
            failures.push(record.messageId);
            continue;
          }
          if (record.body === 'g1-2' && !failedOnce) {
            failedOnce = true;
            stopped.add(group);
            failures.push(record.messageId);
            continue;
          }
          processed.push(record.body);
        }
        return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
      },
    });
    try {
      const entries = [1, 2, 3, 4].flatMap((n) =>
        ['g1', 'g2'].map((group) => ({
          Id: `${group}-${n}`,
          MessageBody: `${group}-${n}`,
          MessageGroupId: group,
          MessageDeduplicationId: `${group}-${n}`,
        })),
      );
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      await waitFor(() => processed.length === 8);
      expect(await poller.drained({ timeoutMs: 10_000 })).toBe(true);
      expect(processed.filter((body) => body.startsWith('g1'))).toEqual(['g1-1', 'g1-2', 'g1-3', 'g1-4']);
      expect(processed.filter((body) => body.startsWith('g2'))).toEqual(['g2-1', 'g2-2', 'g2-3', 'g2-4']);
    } finally {
      await poller.stop();
    }
  });
});

describe('queued messages across a restart', () => {
  it('saves what waits in the queues at stop and sends it back in order, FIFO ids kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dev-queues-'));
    try {
      const { queueUrl: fifoUrl } = await queuePair(true, 30, 5);
      const { queueUrl: plainUrl } = await queuePair(false, 30, 5);
      const bodies = ['g1-1', 'g2-1', 'g1-2', 'g1-3', 'g2-2'];
      for (const body of bodies) {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: fifoUrl,
            MessageBody: body,
            MessageGroupId: body.slice(0, 2),
            MessageDeduplicationId: `d-${body}`,
          }),
        );
      }
      await sqs.send(new SendMessageCommand({ QueueUrl: plainUrl, MessageBody: '{"dealerId":"bilhallen"}' }));
      const file = join(dir, 'queues.json');
      expect(await saveQueues(sqs, { events: fifoUrl, work: plainUrl }, file)).toBe(6);
      expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: fifoUrl }))).Messages ?? []).toHaveLength(0);

      // "next start": fresh queues of the same roles
      const { queueUrl: newFifo } = await queuePair(true, 30, 5);
      const { queueUrl: newPlain } = await queuePair(false, 30, 5);
      expect(await restoreQueues(sqs, { events: newFifo, work: newPlain }, file)).toBe(6);
      expect(existsSync(file)).toBe(false);
      const received: Array<{ body: string; group?: string; dedupe?: string }> = [];
      for (;;) {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: newFifo, MaxNumberOfMessages: 10, AttributeNames: ['All'] }),
        );
        if (!out.Messages?.length) break;
        for (const message of out.Messages) {
          received.push({
            body: message.Body!,
            group: message.Attributes?.MessageGroupId,
            dedupe: message.Attributes?.MessageDeduplicationId,
          });
          await sqs.send(new DeleteMessageCommand({ QueueUrl: newFifo, ReceiptHandle: message.ReceiptHandle! }));
        }
      }
      expect(received.filter((entry) => entry.group === 'g1').map((entry) => entry.body)).toEqual([
        'g1-1',
        'g1-2',
        'g1-3',
      ]);
      expect(received.filter((entry) => entry.group === 'g2').map((entry) => entry.body)).toEqual(['g2-1', 'g2-2']);
      expect(received.find((entry) => entry.body === 'g1-2')?.dedupe).toBe('d-g1-2');
      expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: newPlain }))).Messages?.[0]?.Body).toBe(
        '{"dealerId":"bilhallen"}',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with retryFailedAfterSeconds, a failed record comes back soon although the queue keeps it an hour', async () => {
    const { queueUrl } = await queuePair(false, 3600, 5);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'retry-me' }));
    const receives: string[] = [];
    const poller = pollQueue(queueUrl, {
      retryFailedAfterSeconds: 1,
      handler: async (event: SQSEvent) => {
        receives.push(event.Records[0]!.attributes.ApproximateReceiveCount);
        return receives.length === 1
          ? { batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] }
          : { batchItemFailures: [] };
      },
    });
    await waitFor(() => receives.length === 2);
    await poller.stop();
    // local-aws-sqs counts the visibility change as a receive too, so the count jumps by two.
    expect(receives[0]).toBe('1');
    expect(Number(receives[1])).toBeGreaterThan(1);
  });
});
