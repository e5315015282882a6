import { Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CHECK_MARK_ATTRIBUTES } from '../../functions/adapters/dynamo-snapshot-store.js';
import type { InboundAuthTable } from './inbound-auth.js';
import { deadLetterQueue, secureQueue } from './queues.js';
import { ServiceFunction, type ServiceFunctionDefaults } from './service-function.js';
import { functionTimeout, queueTiming } from './deployment-facts.js';

/** The route Wayke calls; `{dealerId}` is the dealer's config id. */
export const WEBHOOK_ROUTE_PATH = '/webhooks/wayke/{dealerId}';

/**
 * The one snapshot right of the internet-facing webhook: an UpdateItem that touches only the
 * check mark's attributes and returns nothing, so it can neither read an entry nor change what the
 * import relies on (hashes, ad ids, statuses).
 */
function checkMarkStatement(table: dynamodb.ITable): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['dynamodb:UpdateItem'],
    resources: [table.tableArn],
    conditions: {
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...CHECK_MARK_ATTRIBUTES] },
      StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
    },
  });
}

/** Stage throttling: Wayke's webhook traffic is far below this; it caps abuse and runaway retries. */
export const WEBHOOK_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

export interface WebhookIngestProps {
  /** Stack-wide Lambda defaults. */
  readonly defaults: ServiceFunctionDefaults;
  /** Inbound-key verifiers (the webhook verifies each dealer's shared secret against them). */
  readonly inboundAuth: InboundAuthTable;
  /** Retention of the API access log group. */
  readonly logRetention: logs.RetentionDays;
  /** Custom domain and its ACM certificate: the webhook URL then no longer depends on the API id. */
  readonly domain?: { readonly name: string; readonly certificateArn: string };
  /**
   * Receives before SQS moves an event to the DLQ. A backstop: the DMS writer dead-letters an
   * event itself once its retry schedule is used up, so the stack derives this from the schedule
   * (`eventsMaxReceiveCount`).
   */
  readonly eventsMaxReceiveCount: number;
  /** The import's snapshot table: a `vehicle-updated` marks the vehicle's entry for the next import's check. */
  readonly snapshotTable?: dynamodb.ITable;
}

/**
 * Webhook ingest: an HTTP API `POST /webhooks/wayke/{dealerId}` whose Lambda verifies, classifies
 * and enqueues each Wayke event on a FIFO queue (the Lambda sets group and deduplication ids; the
 * payloads carry none), answering 200 promptly as Wayke expects.
 */
export class WebhookIngest extends Construct {
  /** The HTTP API. */
  readonly api: apigw.HttpApi;
  /** Its `$default` stage, throttled and access-logged. */
  readonly stage: apigw.HttpStage;
  /** The webhook Lambda. */
  readonly handler: NodejsFunction;
  /** FIFO queue of accepted events, consumed by the DMS writer. */
  readonly eventsQueue: sqs.Queue;
  /** FIFO dead-letter queue of the events queue. */
  readonly eventsDeadLetterQueue: sqs.Queue;
  /** `https://…/webhooks/wayke/` — append the dealer id. */
  readonly webhookBaseUrl: string;
  /** The custom domain, if one is configured (point a CNAME/alias at its `regionalDomainName`). */
  readonly domainName?: apigw.DomainName;

  constructor(scope: Construct, id: string, props: WebhookIngestProps) {
    super(scope, id);

    this.eventsDeadLetterQueue = deadLetterQueue(this, 'EventsDlq', { fifo: true });
    this.eventsQueue = secureQueue(this, 'EventsQueue', {
      fifo: true,
      contentBasedDeduplication: false,
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      ...queueTiming('events'),
      deadLetterQueue: { queue: this.eventsDeadLetterQueue, maxReceiveCount: props.eventsMaxReceiveCount },
    });

    const handler = new ServiceFunction(this, 'Handler', {
      handler: 'webhook',
      description: 'Receives Wayke webhooks and queues them for the dealer DMS',
      defaults: props.defaults,
      memorySize: 256,
      timeout: functionTimeout('webhook'),
      invocation: { type: 'api' },
      environment: {
        EVENTS_QUEUE_URL: this.eventsQueue.queueUrl,
        INBOUND_AUTH_TABLE: props.inboundAuth.table.tableName,
        ...(props.snapshotTable ? { SNAPSHOT_TABLE: props.snapshotTable.tableName } : {}),
      },
    }).function;
    if (props.snapshotTable) handler.addToRolePolicy(checkMarkStatement(props.snapshotTable));
    this.eventsQueue.grantSendMessages(handler);
    props.inboundAuth.grantVerify(handler);
    this.handler = handler;

    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'Wayke webhooks',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: WEBHOOK_THROTTLE,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        // No bodies, no headers: payloads may hold personal data and the shared secret.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            sourceIp: '$context.identity.sourceIp',
            integrationStatus: '$context.integrationStatus',
            integrationError: '$context.integrationErrorMessage',
            latency: '$context.responseLatency',
          }),
        ),
      },
    });
    const route = this.api.addRoutes({
      path: WEBHOOK_ROUTE_PATH,
      methods: [apigw.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Webhook', handler),
    });
    for (const r of route) {
      Validations.of(r).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Wayke calls the webhook with a shared secret, not with IAM, JWT or a Lambda authorizer it could sign for; the webhook Lambda verifies the per-dealer secret (constant-time) before anything is queued.',
      });
    }
    if (props.domain) {
      this.domainName = new apigw.DomainName(this, 'Domain', {
        domainName: props.domain.name,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      });
      new apigw.ApiMapping(this, 'DomainMapping', { api: this.api, domainName: this.domainName, stage: this.stage });
      // Only the custom domain: the execute-api URL would bypass what the operator registered.
      (this.api.node.defaultChild as apigw.CfnApi).disableExecuteApiEndpoint = true;
    }
    this.webhookBaseUrl = props.domain
      ? `https://${props.domain.name}/webhooks/wayke/`
      : `${this.api.apiEndpoint}/webhooks/wayke/`;
  }
}
