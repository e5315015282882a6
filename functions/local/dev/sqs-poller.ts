/**
 * The local SQS → Lambda event source mapping: long-polls a queue, hands batches to a handler as
 * `SQSEvent`s and, like Lambda with `ReportBatchItemFailures`, deletes only the records not listed
 * in `batchItemFailures` (a thrown error fails the whole batch). Failed records stay in flight
 * until the queue's visibility timeout ends, then come back; after `maxReceiveCount` receives the
 * queue's redrive policy moves them to the DLQ. On a FIFO queue each group is processed strictly
 * in order: local-aws-sqs hands out a group's later messages while an earlier one is in flight,
 * so a {@link FifoGroupGate} holds them back as SQS would.
 */
import type { SQSEvent, SQSRecord, SQSBatchResponse } from 'aws-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Log } from '../../ports.js';
import { FifoGroupGate } from './fifo-group-gate.js';
import { LOCAL_REGION } from './engines.js';

export interface SqsPollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Handler invoked with each batch (`SQSEvent`); may return a partial batch response. */
  readonly handler: (event: SQSEvent) => Promise<SQSBatchResponse | void | undefined | null>;
  readonly batchSize?: number;
  /** Batches in flight at once (Lambda's concurrency for this mapping). */
  readonly concurrency?: number;
  /** Long-poll wait per receive, seconds (short in tests so stop() is quick). */
  readonly waitSeconds?: number;
  readonly log?: Log;
  /** Called after each batch with what happened to it. */
  readonly onBatch?: (outcome: BatchOutcome) => void;
  /**
   * Seconds until a failed record is received again; without it, the queue's visibility
   * timeout (as Lambda leaves it). The receive still counts towards the redrive policy.
   */
  readonly retryFailedAfterSeconds?: number;
}

export interface BatchOutcome {
  readonly records: readonly SQSRecord[];
  readonly failed: readonly string[];
  readonly error?: Error;
}

export interface SqsPoller {
  /** Resolves once the queue holds no visible or in-flight message and no batch is running. */
  drained(options?: { timeoutMs?: number; pollMs?: number }): Promise<boolean>;
  /**
   * Stops polling, then makes the records that failed and still wait out their visibility
   * visible again, so that whoever saves the queue next (the local run at Ctrl-C) sees them.
   */
  stop(): Promise<void>;
}

function arnOfQueueUrl(queueUrl: string): string {
  const [account = '123456789012', name = ''] = new URL(queueUrl).pathname.split('/').filter(Boolean);
  return `arn:aws:sqs:${LOCAL_REGION}:${account}:${name}`;
}

/** Converts a received message to the record Lambda hands the function. */
export function toSqsRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = (message.Attributes ?? {}) as Record<string, string>;
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
      ...(attributes.MessageDeduplicationId ? { MessageDeduplicationId: attributes.MessageDeduplicationId } : {}),
      ...(attributes.SequenceNumber ? { SequenceNumber: attributes.SequenceNumber } : {}),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? 'String',
          ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
          ...(value.BinaryValue !== undefined
            ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }
            : {}),
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: LOCAL_REGION,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const setVisibility = (options: SqsPollerOptions, receiptHandle: string, seconds: number) =>
  options.sqs
    .send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: options.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: seconds,
      }),
    )
    .then(
      () => true,
      // The message came back (and has a new receipt handle) or is gone: nothing to change.
      () => false,
    );

/** The failed records still in flight, by message id (shortened retry, release at stop). */
function failedRecords(options: SqsPollerOptions) {
  const handles = new Map<string, string>();
  return {
    /** Records received again: their old receipt handles are spent. */
    received(records: readonly SQSRecord[]): void {
      for (const record of records) handles.delete(record.messageId);
    },
    async add(records: readonly SQSRecord[]): Promise<void> {
      for (const record of records) {
        handles.set(record.messageId, record.receiptHandle);
        if (options.retryFailedAfterSeconds !== undefined)
          await setVisibility(options, record.receiptHandle, options.retryFailedAfterSeconds);
      }
    },
    async release(): Promise<void> {
      for (const handle of handles.values()) await setVisibility(options, handle, 0);
      handles.clear();
    },
  };
}

/** Invokes the handler; which records failed (all when it threw or named unknown ones), and the error. */
async function invokeBatch(
  options: SqsPollerOptions,
  records: SQSRecord[],
  queueArn: string,
): Promise<{ failed: string[]; error?: Error }> {
  const known = new Set(records.map((record) => record.messageId));
  try {
    const response = await options.handler({ Records: records });
    const failed = (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
    // Lambda treats an unknown or empty identifier as a failure of the whole batch.
    return { failed: failed.some((id) => !id || !known.has(id)) ? [...known] : failed };
  } catch (caught) {
    const error = caught as Error;
    options.log?.error('Handler failed the whole batch', {
      queue: queueArn,
      error: error.message,
      records: records.length,
    });
    return { failed: [...known], error };
  }
}

async function deleteDone(options: SqsPollerOptions, done: readonly SQSRecord[]): Promise<void> {
  for (let i = 0; i < done.length; i += 10) {
    const slice = done.slice(i, i + 10);
    await options.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: slice.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
      }),
    );
  }
}

/** Visible, in-flight and delayed messages of the queue. */
async function pendingCount(options: SqsPollerOptions): Promise<number> {
  const out = await options.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: options.queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const attributes = out.Attributes ?? {};
  return (
    Number(attributes.ApproximateNumberOfMessages ?? 0) +
    Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** Starts polling; call `stop()` to finish the running batches and end. */
export function startSqsPoller(options: SqsPollerOptions): SqsPoller {
  const queueArn = arnOfQueueUrl(options.queueUrl);
  const batchSize = options.batchSize ?? 10;
  const waitSeconds = options.waitSeconds ?? 1;
  let running = true;
  let busy = 0;
  const abort = new AbortController();

  const gate = new FifoGroupGate();
  const waitingRetry = failedRecords(options);
  // Parked messages stay in flight while they wait (the handler never saw them).
  const keepParked = setInterval(() => {
    for (const message of gate.waiting()) {
      void options.sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: options.queueUrl,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 300,
          }),
        )
        .catch(() => undefined);
    }
  }, 60_000);
  keepParked.unref();

  const processBatch = async (received: Message[]): Promise<void> => {
    const messages = gate.admit(received);
    if (messages.length === 0) return;
    const records = messages.map((message) => toSqsRecord(message, queueArn));
    const { failed, error } = await invokeBatch(options, records, queueArn);
    waitingRetry.received(records);
    await deleteDone(
      options,
      records.filter((record) => !failed.includes(record.messageId)),
    );
    options.onBatch?.({ records, failed, ...(error ? { error } : {}) });
    await waitingRetry.add(records.filter((record) => failed.includes(record.messageId)));
    const released = gate.settle(messages, new Set(failed));
    if (released.length > 0) await processBatch(released);
  };

  const loop = async (): Promise<void> => {
    while (running) {
      let messages: Message[];
      try {
        const out = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitSeconds,
            AttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        messages = out.Messages ?? [];
      } catch (error) {
        if (!running) return;
        options.log?.warn('Receive failed; retrying', { queue: queueArn, error: (error as Error).message });
        await sleep(500);
        continue;
      }
      if (messages.length === 0) continue;
      busy += 1;
      try {
        await processBatch(messages);
      } catch (error) {
        options.log?.error('Deleting processed messages failed', { queue: queueArn, error: (error as Error).message });
      } finally {
        busy -= 1;
      }
    }
  };

  const loops = Array.from({ length: options.concurrency ?? 1 }, () => loop());

  return {
    async drained({ timeoutMs = 60_000, pollMs = 100 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const pending = await pendingCount(options);
        if (pending === 0 && busy === 0 && gate.size === 0) return true;
        if (Date.now() + pollMs > deadline) return false;
        await sleep(pollMs);
      }
    },
    async stop() {
      running = false;
      clearInterval(keepParked);
      abort.abort();
      await Promise.allSettled(loops);
      await waitingRetry.release();
    },
  };
}
