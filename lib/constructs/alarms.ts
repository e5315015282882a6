import { ArnFormat, Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Namespace of the Powertools metrics the Lambdas emit (`POWERTOOLS_METRICS_NAMESPACE`). */
export const METRICS_NAMESPACE = 'WaykeDms';

export interface OperationalAlarmsProps {
  /** Dead-letter queues by a short name; each alarms as soon as one message is in it. */
  readonly deadLetterQueues: Record<string, sqs.IQueue>;
  /** Functions by a short name; each alarms on any error. */
  readonly functions: Record<string, lambda.IFunction>;
  /** The work queue; alarms when imports fall behind the hourly schedule. */
  readonly workQueue: sqs.IQueue;
  /** The FIFO events queue; alarms when its oldest message waits (a message group is stuck). */
  readonly eventsQueue: sqs.IQueue;
  /** The webhook HTTP API; alarms on its 5xx rate. */
  readonly webhookApi: apigw.IHttpApi;
  /** E-mail subscribed to the topic, if any. */
  readonly email?: string;
}

/**
 * What tells the operator that something needs a human: one SNS topic, and alarms on every DLQ,
 * every function's errors, the import backlog, and the `ImportFailed` / `RemovalBlocked` metrics.
 */
export class OperationalAlarms extends Construct {
  /** Alarm notifications; subscribe e-mail, chat or paging here. */
  readonly topic: sns.Topic;
  /** Every alarm, by id. */
  readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;

  private readonly byId = new Map<string, cloudwatch.Alarm>();
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: OperationalAlarmsProps) {
    super(scope, id);
    this.topic = this.createTopic(props.email);
    this.action = new SnsAction(this.topic);
    this.alarms = this.byId;
    this.addDeadLetterAlarms(props.deadLetterQueues);
    this.addFunctionAlarms(props.functions);
    this.addBacklogAlarms(props);
    this.addMetricAlarms();
  }

  private createTopic(email: string | undefined): sns.Topic {
    const topic = new sns.Topic(this, 'Topic', { displayName: 'wayke-dms alarms', enforceSSL: true });
    allowAlarmsToPublish(topic);
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and the notifications carry only alarm names and metric values, no feed or personal data.',
    });
    if (email) {
      const subscription = topic.addSubscription(new subscriptions.EmailSubscription(email));
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'An e-mail that cannot be delivered has nothing worth redriving: the alarm itself stays in ALARM state in CloudWatch, and its state change history keeps the notification.',
      });
    }
    return topic;
  }

  /** Registers an alarm under `alarmId` and sends its ALARM and OK transitions to the topic. */
  private add(alarmId: string, alarm: cloudwatch.Alarm): void {
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.byId.set(alarmId, alarm);
  }

  private addDeadLetterAlarms(queues: Record<string, sqs.IQueue>): void {
    for (const [name, queue] of Object.entries(queues)) {
      this.add(
        `${name}Dlq`,
        queue
          .metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: cloudwatch.Stats.MAXIMUM,
          })
          .createAlarm(this, `${name}DlqNotEmpty`, {
            alarmDescription: `Messages in the ${name} dead-letter queue: inspect and redrive (wayke-dms redrive)`,
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
      );
    }
  }

  private addFunctionAlarms(functions: Record<string, lambda.IFunction>): void {
    for (const [name, fn] of Object.entries(functions)) {
      const watched = [
        ['Errors', fn.metricErrors.bind(fn), `The ${name} Lambda failed (errors or timeouts); see its log group`],
        [
          'Throttles',
          fn.metricThrottles.bind(fn),
          `The ${name} Lambda was throttled: the account's concurrency is exhausted or a reserved limit is too low`,
        ],
      ] as const;
      for (const [kind, metric, description] of watched) {
        this.add(
          `${name}${kind}`,
          metric({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }).createAlarm(this, `${name}${kind}`, {
            alarmDescription: description,
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
        );
      }
    }
  }

  private addBacklogAlarms(props: OperationalAlarmsProps): void {
    this.add(
      'ImportBacklog',
      props.workQueue
        .metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM })
        .createAlarm(this, 'ImportBacklog', {
          alarmDescription:
            'A dealer import has waited more than an hour: workers are failing or too few (context importConcurrency)',
          threshold: 3600,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    );

    this.add(
      'EventsBacklog',
      props.eventsQueue
        .metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM })
        .createAlarm(this, 'EventsBacklog', {
          alarmDescription: `A Wayke event has waited over ${EVENTS_BACKLOG_SECONDS / 60} minutes for its DMS: a message group is stuck behind a failing delivery, or the writer is down`,
          threshold: EVENTS_BACKLOG_SECONDS,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    );
    this.add(
      'Webhook5xx',
      apiServerErrorRate(props.webhookApi).createAlarm(this, 'Webhook5xxRate', {
        alarmDescription: `Over ${WEBHOOK_5XX_PERCENT} % of Wayke's webhook calls got a 5xx (queue or Secrets Manager outage): Wayke retries, but events wait`,
        threshold: WEBHOOK_5XX_PERCENT,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  private addMetricAlarms(): void {
    // Summed over every dimension set, so the alarm holds whatever dimensions the emitter adds
    // (service, dealer…): a Metrics Insights query, not a single metric.
    const customMetric = (metricName: string, description: string) =>
      new cloudwatch.MathExpression({
        expression: `SELECT SUM(${metricName}) FROM "${METRICS_NAMESPACE}"`,
        label: metricName,
        period: Duration.minutes(5),
      }).createAlarm(this, metricName, {
        alarmDescription: description,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.add(
      'ImportFailed',
      customMetric('ImportFailed', "A dealer's import failed; its report is in feeds/<dealerId>/reports/latest.txt"),
    );
    this.add(
      'RemovalBlocked',
      customMetric(
        'RemovalBlocked',
        'An import would remove more ads than the dealer allows; check the feed, then import with allowMassRemoval',
      ),
    );
    this.add(
      'WebhookFailed',
      customMetric(
        'WebhookFailed',
        'The webhook could not queue a Wayke event (answered 503 so Wayke retries); see the webhook log group',
      ),
    );
    // Summed over every dealer: one alarm whatever the number of dealers; the metric's `dealer`
    // dimension (CloudWatch console, or `SELECT SUM(DmsEndpointFailing) FROM "WaykeDms" GROUP BY dealer`) names them.
    this.add(
      'DmsEndpointFailing',
      customMetric(
        'DmsEndpointFailing',
        "A dealer's DMS endpoint keeps refusing or timing out; its events wait in order. Find the dealer by the metric's dealer dimension",
      ),
    );
  }
}

/** Age (s) of the oldest event in the FIFO events queue that means a stuck group. */
export const EVENTS_BACKLOG_SECONDS = 15 * 60;

/** Share (%) of webhook calls answered 5xx over 5 minutes, twice in a row, that alarms. */
export const WEBHOOK_5XX_PERCENT = 5;

/** 5xx share of the API's requests (0 when there were none), in percent. */
function apiServerErrorRate(api: apigw.IHttpApi): cloudwatch.MathExpression {
  const period = Duration.minutes(5);
  return new cloudwatch.MathExpression({
    expression: '100 * errors / MAX([requests, 1])',
    label: 'Webhook 5xx %',
    period,
    usingMetrics: {
      errors: api.metricServerError({ period, statistic: cloudwatch.Stats.SUM }),
      requests: api.metricCount({ period, statistic: cloudwatch.Stats.SUM }),
    },
  });
}

/**
 * A topic policy replaces SNS's default one, so CloudWatch must be allowed explicitly: only from
 * this account, and only for this stack's alarms (CloudFormation names them `<stack>-<id>-<suffix>`).
 */
function allowAlarmsToPublish(topic: sns.Topic): void {
  const stack = Stack.of(topic);
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: `${Aws.STACK_NAME}-*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
}
