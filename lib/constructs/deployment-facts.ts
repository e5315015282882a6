/**
 * The CDK side of the facts in `functions/core/deployment/`: table key schemas, function
 * timeouts and queue settings turned into construct props. The values live there, once; this
 * module only converts them, so the stack and the local run cannot drift apart.
 */
import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  DEAD_LETTER_RETENTION_SECONDS,
  FUNCTION_TIMEOUT_SECONDS,
  type FunctionName,
  QUEUES,
  type QueueName,
  visibilityTimeoutSeconds,
} from '../../functions/core/deployment/runtime.js';
import { TABLES, type TableDefinition, type TableKind } from '../../functions/core/deployment/tables.js';

/** A function's timeout. */
export function functionTimeout(name: FunctionName): Duration {
  return Duration.seconds(FUNCTION_TIMEOUT_SECONDS[name]);
}

/** How long a dead-letter queue keeps a message. */
export const DEAD_LETTER_RETENTION = Duration.seconds(DEAD_LETTER_RETENTION_SECONDS);

/** Visibility timeout and retention of a queue (its DLQ and FIFO options are the construct's). */
export function queueTiming(name: QueueName): Pick<sqs.QueueProps, 'visibilityTimeout' | 'retentionPeriod'> {
  return {
    visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(name)),
    retentionPeriod: Duration.seconds(QUEUES[name].retentionSeconds),
  };
}

/** Key schema and TTL attribute of a table, as `dynamodb.Table` props. */
export function tableKeys(
  kind: TableKind,
): Pick<dynamodb.TableProps, 'partitionKey' | 'sortKey' | 'timeToLiveAttribute'> {
  const table: TableDefinition = TABLES[kind];
  return {
    partitionKey: { name: table.partitionKey, type: dynamodb.AttributeType.STRING },
    ...(table.sortKey ? { sortKey: { name: table.sortKey, type: dynamodb.AttributeType.STRING } } : {}),
    ...(table.ttlAttribute ? { timeToLiveAttribute: table.ttlAttribute } : {}),
  };
}
