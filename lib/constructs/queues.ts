import { RemovalPolicy } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { DEAD_LETTER_RETENTION } from './deployment-facts.js';

/** Settings shared by every queue of the stack: SSE, TLS only. */
const SECURE = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true } as const;

/** A dead-letter queue keeping failed messages for `DEAD_LETTER_RETENTION_SECONDS`. */
export function deadLetterQueue(scope: Construct, id: string, options: { fifo?: boolean } = {}): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    ...SECURE,
    fifo: options.fifo || undefined,
    retentionPeriod: DEAD_LETTER_RETENTION,
    // Failed work waiting for an operator outlives the stack that failed it.
    removalPolicy: RemovalPolicy.RETAIN,
  });
  acknowledge(
    queue,
    ['Serverless-SQSRedrivePolicy'],
    'This queue is itself a dead-letter queue; its messages wait for an operator (alarmed) and are redriven by hand.',
  );
  return queue;
}

/** A queue with the house security settings; `props` adds the rest (DLQ, visibility, FIFO…). */
export function secureQueue(scope: Construct, id: string, props: sqs.QueueProps): sqs.Queue {
  return new sqs.Queue(scope, id, { ...SECURE, ...props });
}
