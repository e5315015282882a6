import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DealerSecrets } from './dealer-secrets.js';
import type { FeedStorage } from './feed-storage.js';
import { ServiceFunction, type ServiceFunctionDefaults } from './service-function.js';

/** Timeout of the DMS writer; the events queue's visibility timeout is six times this. */
export const DMS_WRITER_TIMEOUT = Duration.seconds(30);

/** What DynamoDedupeStore calls; no Scan, no streams, no deletes (entries expire by TTL). */
export const DEDUPE_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'] as const;

export interface DmsDeliveryProps {
  /** Stack-wide Lambda defaults. */
  readonly defaults: ServiceFunctionDefaults;
  /** The FIFO events queue fed by the webhook. */
  readonly eventsQueue: sqs.IQueue;
  /** Its FIFO dead-letter queue: the writer moves an event the DMS refuses for good there at once. */
  readonly eventsDeadLetterQueue: sqs.IQueue;
  /** Feed storage (outbox dealers get their events under `feeds/<dealerId>/outbox/`). */
  readonly storage: FeedStorage;
  /** Dealer secrets (the DMS signing secret). */
  readonly secrets: DealerSecrets;
}

/**
 * DMS delivery: the DMS writer consumes the FIFO events queue in order per message group, delivers
 * each event to the dealer's DMS (signed webhook, or the S3 outbox) and remembers delivered events
 * in the dedupe table so a redelivery is not sent twice.
 */
export class DmsDelivery extends Construct {
  /** The DMS writer Lambda. */
  readonly writer: NodejsFunction;
  /** Delivered event ids (`pk`), expiring by `expiresAt`. */
  readonly dedupeTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: DmsDeliveryProps) {
    super(scope, id);

    this.dedupeTable = new dynamodb.Table(this, 'Dedupe', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
      // Without it a redelivered event would reach the DMS twice.
      deletionProtection: true,
    });

    const writer = new ServiceFunction(this, 'Writer', {
      handler: 'dms-writer',
      description: "Delivers queued Wayke events to each dealer's DMS",
      defaults: props.defaults,
      memorySize: 512,
      timeout: DMS_WRITER_TIMEOUT,
      invocation: { type: 'sqs' },
      environment: {
        DEDUPE_TABLE: this.dedupeTable.tableName,
        FEED_BUCKET: props.storage.bucket.bucketName,
        EVENTS_DLQ_URL: props.eventsDeadLetterQueue.queueUrl,
      },
    }).function;
    props.eventsDeadLetterQueue.grantSendMessages(writer);
    this.dedupeTable.grant(writer, ...DEDUPE_TABLE_ACTIONS);
    props.storage.grantOutboxWrite(writer);
    props.secrets.grantReadCredentials(writer);
    writer.addEventSource(
      new SqsEventSource(props.eventsQueue, {
        batchSize: 10,
        maxConcurrency: 10,
        reportBatchItemFailures: true,
      }),
    );
    this.writer = writer;
  }
}
