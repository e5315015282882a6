import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DealerSecrets } from './dealer-secrets.js';
import type { FeedStorage } from './feed-storage.js';
import { grantObjectsUnder } from './bucket-grants.js';
import { ServiceFunction, type ServiceFunctionDefaults } from './service-function.js';
import { functionTimeout, tableKeys } from './deployment-facts.js';
import { EVENT_ARCHIVE_DAYS } from '../../functions/adapters/s3-event-archive.js';
import { DEFAULT_DMS_RETRY_SCHEDULE, formatRetrySchedule } from '../../functions/core/events/retry-schedule.js';

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
  /** The import's snapshot table: the writer reads a vehicle's entry (the dealer's stock number), nothing else. */
  readonly snapshotTable: dynamodb.ITable;
  /**
   * Delays after each failed delivery attempt, seconds; default
   * {@link DEFAULT_DMS_RETRY_SCHEDULE} (5 s … 10 h, 28.6 h in all). The events queue's
   * `maxReceiveCount` must follow it (`eventsMaxReceiveCount`).
   */
  readonly retrySchedule?: readonly number[];
}

/**
 * DMS delivery: the DMS writer consumes the FIFO events queue in order per message group, delivers
 * each event to the dealer's DMS (signed webhook, or the S3 outbox), remembers delivered events
 * in the dedupe table so a re-send is not delivered twice, retries a failed delivery by the retry
 * schedule (the event source's `ChangeMessageVisibility` grant) and archives what it delivered.
 */
export class DmsDelivery extends Construct {
  /** The DMS writer Lambda. */
  readonly writer: NodejsFunction;
  /** Delivered event ids (`pk`), expiring by `expiresAt`. */
  readonly dedupeTable: dynamodb.Table;
  /** Every delivered envelope, `events/<dealer>/…`, kept 30 days for `wayke-dms replay`. */
  readonly archiveBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: DmsDeliveryProps) {
    super(scope, id);

    this.dedupeTable = new dynamodb.Table(this, 'Dedupe', {
      ...tableKeys('dedupe'),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Without it a redelivered event would reach the DMS twice.
      deletionProtection: true,
    });

    this.archiveBucket = new s3.Bucket(this, 'EventArchive', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.storage.accessLogBucket,
      serverAccessLogsPrefix: 'event-archive/',
      // Events hold customers' personal data (orders, leads): kept for replay, then gone.
      lifecycleRules: [{ id: 'expire-delivered-events', expiration: Duration.days(EVENT_ARCHIVE_DAYS) }],
    });

    const writer = new ServiceFunction(this, 'Writer', {
      handler: 'dms-writer',
      description: "Delivers queued Wayke events to each dealer's DMS",
      defaults: props.defaults,
      memorySize: 512,
      timeout: functionTimeout('dmsWriter'),
      invocation: { type: 'sqs' },
      environment: {
        DEDUPE_TABLE: this.dedupeTable.tableName,
        FEED_BUCKET: props.storage.bucket.bucketName,
        EVENTS_DLQ_URL: props.eventsDeadLetterQueue.queueUrl,
        EVENTS_QUEUE_URL: props.eventsQueue.queueUrl,
        DMS_RETRY_SCHEDULE: formatRetrySchedule(props.retrySchedule ?? DEFAULT_DMS_RETRY_SCHEDULE),
        EVENT_ARCHIVE_BUCKET: this.archiveBucket.bucketName,
        SNAPSHOT_TABLE: props.snapshotTable.tableName,
      },
    }).function;
    // Only PutObject, only under events/ (the archive's layout): grantPut would add s3:Abort*.
    grantObjectsUnder(writer, {
      bucket: this.archiveBucket,
      actions: ['s3:PutObject'],
      pattern: 'events/*',
      reason:
        'The DMS writer archives every delivered event for replay; it may only put objects, and only under events/.',
    });
    props.eventsDeadLetterQueue.grantSendMessages(writer);
    this.dedupeTable.grant(writer, ...DEDUPE_TABLE_ACTIONS);
    // One GetItem per delivered vehicle event (SnapshotReader.entry): no Query, no writes.
    props.snapshotTable.grant(writer, 'dynamodb:GetItem');
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
