import { Duration, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { VEHICLE_API_ROUTES } from '../../functions/adapters/vehicle-api-http.js';
import { grantObjectsUnder } from './bucket-grants.js';
import type { DealerSecrets } from './dealer-secrets.js';
import type { InboundAuthTable } from './inbound-auth.js';
import { SNAPSHOT_TABLE_ACTIONS } from './import-pipeline.js';
import { deadLetterQueue, secureQueue } from './queues.js';
import { ServiceFunction, type ServiceFunctionDefaults } from './service-function.js';
import { functionTimeout, queueTiming } from './deployment-facts.js';
import { QUEUES } from '../../functions/core/deployment/runtime.js';

/** A change waiting longer than this on the vehicle queue raises an alarm (pushes apply within seconds). */
export const VEHICLE_QUEUE_AGE_ALARM_SECONDS = 15 * 60;
/**
 * Route throttle of the Vehicle API on the shared stage (whose default is the webhook's). Each
 * dealer is held to its own rate by the Lambda (default 10/s); this caps the sum of all dealers.
 */
export const VEHICLE_API_THROTTLE = { rateLimit: 500, burstLimit: 1000 } as const;

export interface VehicleApiProps {
  /** Stack-wide Lambda defaults. */
  readonly defaults: ServiceFunctionDefaults;
  /** The HTTP API of the webhook ingest: the Vehicle API's routes are added to it. */
  readonly httpApi: apigw.HttpApi;
  /** Dealer secrets (the worker reads Wayke credentials). */
  readonly secrets: DealerSecrets;
  /** Inbound-key verifiers (the API verifies each dealer's `dmsApiKey` against them). */
  readonly inboundAuth: InboundAuthTable;
  /** The import's snapshot table: shared snapshot, lease and the API's per-plate status. */
  readonly snapshotTable: dynamodb.ITable;
  /** Table with `pk` + TTL `expiresAt`: idempotency records and rate-limit buckets. */
  readonly dedupeTable: dynamodb.ITable;
  /** The feed bucket: `reports/latest.json` is read, held removals are reported. */
  readonly bucket: s3.IBucket;
  /** The HTTP API's stage: the Vehicle API's routes get their own throttle on it. */
  readonly stage: apigw.HttpStage;
  /** Dealers whose changes are applied at once (the worker's maximum concurrency). @default 20 */
  readonly concurrency?: number;
}

/**
 * The Vehicle API: the DMS's real-time path. Routes on the shared HTTP API → one Lambda that
 * authenticates, validates and queues; a FIFO queue per dealer + plate → the vehicle worker that
 * applies the changes with the import's planner under the dealer's lease.
 */
export class VehicleApi extends Construct {
  /** The API Lambda. */
  readonly handler: NodejsFunction;
  /** The worker Lambda. */
  readonly worker: NodejsFunction;
  /** FIFO queue of accepted changes (group = dealer + plate). */
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /** `https://…` — the API's base URL (routes under `/dealers/…` and `/openapi.json`). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: VehicleApiProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(this, 'ChangesDlq', { fifo: true });
    this.queue = secureQueue(this, 'ChangesQueue', {
      fifo: true,
      contentBasedDeduplication: false,
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      ...queueTiming('vehicle'),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: QUEUES.vehicle.maxReceiveCount },
    });

    this.handler = this.apiFunction(props);
    this.worker = this.workerFunction(props);
    this.url = props.httpApi.apiEndpoint;
    this.addRoutes(props.httpApi, props.stage);
  }

  private apiFunction(props: VehicleApiProps): NodejsFunction {
    const fn = new ServiceFunction(this, 'Handler', {
      handler: 'vehicle-api',
      description: 'Vehicle API: DMS pushes of vehicles, their status, validation and the OpenAPI document',
      defaults: props.defaults,
      memorySize: 512,
      timeout: functionTimeout('vehicleApi'),
      invocation: { type: 'api' },
      environment: {
        VEHICLE_QUEUE_URL: this.queue.queueUrl,
        SNAPSHOT_TABLE: props.snapshotTable.tableName,
        DEDUPE_TABLE: props.dedupeTable.tableName,
        FEED_BUCKET: props.bucket.bucketName,
        VEHICLE_API_URL: props.httpApi.apiEndpoint,
        INBOUND_AUTH_TABLE: props.inboundAuth.table.tableName,
      },
    }).function;
    this.queue.grantSendMessages(fn);
    props.snapshotTable.grant(fn, ...SNAPSHOT_TABLE_ACTIONS);
    // The rate limiter's token buckets and Powertools idempotency records; no Scan, no streams.
    props.dedupeTable.grant(fn, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
    props.inboundAuth.grantVerify(fn);
    // Reports only: the latest one is read back, a held removal writes one. Never the feeds themselves.
    grantObjectsUnder(fn, {
      bucket: props.bucket,
      actions: ['s3:GetObject', 's3:PutObject'],
      pattern: 'feeds/*/reports/*',
      reason:
        "The Vehicle API serves every dealer: it reads and writes run reports under any dealer's reports/, and nothing else in the bucket.",
    });
    return fn;
  }

  private workerFunction(props: VehicleApiProps): NodejsFunction {
    const fn = new ServiceFunction(this, 'Worker', {
      handler: 'vehicle-worker',
      description: 'Applies Vehicle API changes to Wayke with the import planner, per dealer under its lease',
      defaults: props.defaults,
      memorySize: 512,
      timeout: functionTimeout('vehicleWorker'),
      invocation: { type: 'sqs' },
      environment: { SNAPSHOT_TABLE: props.snapshotTable.tableName },
    }).function;
    props.snapshotTable.grant(fn, ...SNAPSHOT_TABLE_ACTIONS);
    props.secrets.grantReadCredentials(fn);
    fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        maxConcurrency: props.concurrency ?? 20,
        reportBatchItemFailures: true,
      }),
    );
    return fn;
  }

  private addRoutes(httpApi: apigw.HttpApi, stage: apigw.HttpStage): void {
    const integration = new HttpLambdaIntegration('VehicleApi', this.handler);
    // The L2 stage has one throttle for all routes; per-route settings exist only on the L1.
    (stage.node.defaultChild as apigw.CfnStage).addPropertyOverride(
      'RouteSettings',
      Object.fromEntries(
        Object.values(VEHICLE_API_ROUTES).map((routeKey) => [
          routeKey,
          {
            ThrottlingRateLimit: VEHICLE_API_THROTTLE.rateLimit,
            ThrottlingBurstLimit: VEHICLE_API_THROTTLE.burstLimit,
          },
        ]),
      ),
    );
    for (const routeKey of Object.values(VEHICLE_API_ROUTES)) {
      const [method, path] = routeKey.split(' ') as [keyof typeof apigw.HttpMethod, string];
      for (const route of httpApi.addRoutes({ path, methods: [apigw.HttpMethod[method]], integration })) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'DMS vendors authenticate with a per-dealer bearer key (constant-time compared in the Vehicle API Lambda before anything is read or queued); /openapi.json is public on purpose. An IAM, JWT or Lambda authorizer would need credentials the DMS vendors do not have.',
        });
      }
    }
  }

  /**
   * The API's own alarms on the stack's topic: any 5xx answer, and a change waiting on the queue
   * for over {@link VEHICLE_QUEUE_AGE_ALARM_SECONDS}. (Lambda errors and the DLQ are alarmed with the others.)
   */
  addAlarms(httpApi: apigw.HttpApi, action: SnsAction): ReadonlyMap<string, cloudwatch.Alarm> {
    const alarms = new Map<string, cloudwatch.Alarm>();
    const serverErrors = new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName: '5xx',
      dimensionsMap: { ApiId: httpApi.apiId },
      period: Duration.minutes(5),
      statistic: cloudwatch.Stats.SUM,
    }).createAlarm(this, 'Api5xx', {
      alarmDescription:
        'The HTTP API (Vehicle API and webhooks) answered 5xx: see the vehicle-api and webhook log groups',
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const age = this.queue
      .metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM })
      .createAlarm(this, 'ChangesBacklog', {
        alarmDescription:
          'A Vehicle API change has waited over 15 minutes: the vehicle worker is failing, or an import holds the dealer lease',
        threshold: VEHICLE_QUEUE_AGE_ALARM_SECONDS,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    for (const [name, alarm] of [
      ['VehicleApi5xx', serverErrors],
      ['VehicleChangesBacklog', age],
    ] as const) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      alarms.set(name, alarm);
    }
    return alarms;
  }
}
