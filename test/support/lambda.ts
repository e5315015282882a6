/**
 * Factories for what Lambda hands a handler: a context that counts down like the real one, and
 * SQS events whose records look like the service's (standard or FIFO). Handler tests build these
 * instead of hand-writing partial objects.
 */
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';

/** A Lambda context for `functionName` whose remaining time counts down from `timeoutMs`. */
export function lambdaContext(functionName = 'test-function', timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-north-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface SqsRecordInput {
  readonly body: unknown;
  readonly messageId?: string;
  readonly receiptHandle?: string;
  readonly receiveCount?: number;
  /** FIFO queues only. */
  readonly messageGroupId?: string;
  readonly messageDeduplicationId?: string;
}

let messageNo = 0;

/** One SQS record; a body that is not a string is sent as JSON. */
export function sqsRecord(input: SqsRecordInput, queueArn = 'arn:aws:sqs:eu-north-1:123456789012:queue'): SQSRecord {
  const id = input.messageId ?? `m-${++messageNo}`;
  return {
    messageId: id,
    receiptHandle: input.receiptHandle ?? `r-${id}`,
    body: typeof input.body === 'string' ? input.body : JSON.stringify(input.body),
    attributes: {
      ApproximateReceiveCount: String(input.receiveCount ?? 1),
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDATEST',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      ...(input.messageGroupId ? { MessageGroupId: input.messageGroupId } : {}),
      ...(input.messageDeduplicationId ? { MessageDeduplicationId: input.messageDeduplicationId } : {}),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'eu-north-1',
  };
}

/** An SQS event of records with these bodies (standard queue). */
export function sqsEvent(bodies: readonly unknown[], queueArn?: string): SQSEvent {
  return { Records: bodies.map((body) => sqsRecord({ body }, queueArn)) };
}
