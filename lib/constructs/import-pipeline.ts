import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DealerSecrets } from './dealer-secrets.js';
import type { FeedStorage } from './feed-storage.js';
import { deadLetterQueue, secureQueue } from './queues.js';
import { ServiceFunction, type ServiceFunctionDefaults } from './service-function.js';
import { functionTimeout, queueTiming, tableKeys } from './deployment-facts.js';
import { QUEUES } from '../../functions/core/deployment/runtime.js';
import { INBOUND_KEY_PATTERN } from '../../functions/core/feed-bucket.js';

/**
 * What DynamoSnapshotStore calls (snapshots, leases, approvals); no Scan, no streams, which
 * `grantReadWriteData` would add.
 */
export const SNAPSHOT_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:BatchWriteItem',
] as const;

export interface ImportPipelineProps {
  /** Stack-wide Lambda defaults. */
  readonly defaults: ServiceFunctionDefaults;
  /** Feed storage (the bucket has EventBridge notifications on). */
  readonly storage: FeedStorage;
  /** Dealer secrets (the worker reads Wayke credentials and DMS API tokens). */
  readonly secrets: DealerSecrets;
  /** Dealers imported at the same time (event source maxConcurrency). */
  readonly concurrency: number;
}

/**
 * Feed import: every hour, and at once when a dealer uploads a feed, the scheduler puts one work
 * message per dealer on the work queue; workers (up to `concurrency` at a time) import one dealer
 * each, recording what was sent to Wayke in the snapshot table.
 */
export class ImportPipeline extends Construct {
  /** Scheduler Lambda: schedule/upload event → work messages. */
  readonly scheduler: NodejsFunction;
  /** Worker Lambda: one dealer's import per message. */
  readonly worker: NodejsFunction;
  /** One message per dealer to import. */
  readonly workQueue: sqs.Queue;
  /** Work messages that failed `maxReceiveCount` times. */
  readonly workDeadLetterQueue: sqs.Queue;
  /** Triggers that could not reach the scheduler (rule target failures, failed async invocations). */
  readonly triggerDeadLetterQueue: sqs.Queue;
  /** Per-dealer snapshot of what Wayke holds, plus the per-dealer lease. */
  readonly snapshotTable: dynamodb.Table;
  /** The hourly rule. */
  readonly scheduleRule: events.Rule;
  /** The rule on `Object Created` under `feeds/<dealerId>/inbound/`. */
  readonly uploadRule: events.Rule;

  constructor(scope: Construct, id: string, props: ImportPipelineProps) {
    super(scope, id);

    this.snapshotTable = new dynamodb.Table(this, 'Snapshots', {
      ...tableKeys('snapshots'),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // What Wayke holds per dealer: lost, the next run would create every ad again.
      deletionProtection: true,
    });

    this.workDeadLetterQueue = deadLetterQueue(this, 'WorkDlq');
    this.workQueue = secureQueue(this, 'WorkQueue', {
      ...queueTiming('work'),
      deadLetterQueue: { queue: this.workDeadLetterQueue, maxReceiveCount: QUEUES.work.maxReceiveCount },
    });
    this.triggerDeadLetterQueue = deadLetterQueue(this, 'TriggerDlq');

    const scheduler = new ServiceFunction(this, 'Scheduler', {
      handler: 'import-scheduler',
      description: 'Hourly and on upload: one work message per dealer to import',
      defaults: props.defaults,
      memorySize: 256,
      timeout: functionTimeout('importScheduler'),
      invocation: { type: 'async', deadLetterQueue: this.triggerDeadLetterQueue },
      environment: { WORK_QUEUE_URL: this.workQueue.queueUrl },
    }).function;
    this.workQueue.grantSendMessages(scheduler);
    this.scheduler = scheduler;

    const worker = new ServiceFunction(this, 'Worker', {
      handler: 'import-worker',
      description: "Imports one dealer's feed into Wayke per work message",
      defaults: props.defaults,
      memorySize: 1024,
      timeout: functionTimeout('importWorker'),
      invocation: { type: 'sqs' },
      // The work queue too: a trigger that finds the dealer's lease held goes back, delayed.
      environment: {
        FEED_BUCKET: props.storage.bucket.bucketName,
        SNAPSHOT_TABLE: this.snapshotTable.tableName,
        WORK_QUEUE_URL: this.workQueue.queueUrl,
      },
    }).function;
    this.workQueue.grantSendMessages(worker);
    props.storage.grantImport(worker);
    this.snapshotTable.grant(worker, ...SNAPSHOT_TABLE_ACTIONS);
    props.secrets.grantReadCredentials(worker);
    worker.addEventSource(
      new SqsEventSource(this.workQueue, {
        batchSize: 1,
        maxConcurrency: props.concurrency,
        reportBatchItemFailures: true,
      }),
    );
    this.worker = worker;

    const target = new targets.LambdaFunction(scheduler, {
      deadLetterQueue: this.triggerDeadLetterQueue,
      retryAttempts: 4,
      maxEventAge: Duration.hours(1),
    });
    this.scheduleRule = new events.Rule(this, 'Hourly', {
      description: 'Imports every dealer once an hour',
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [target],
    });
    this.uploadRule = new events.Rule(this, 'OnUpload', {
      description: 'Imports a dealer at once when its feed lands in feeds/<dealerId>/inbound/',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.storage.bucket.bucketName] },
          object: { key: events.Match.wildcard(INBOUND_KEY_PATTERN) },
        },
      },
      targets: [target],
    });
  }
}
