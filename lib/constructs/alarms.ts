import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
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

  constructor(scope: Construct, id: string, props: OperationalAlarmsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'wayke-dms alarms', enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and the notifications carry only alarm names and metric values, no feed or personal data.',
    });
    if (props.email) {
      const subscription = this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'An e-mail that cannot be delivered has nothing worth redriving: the alarm itself stays in ALARM state in CloudWatch, and its state change history keeps the notification.',
      });
    }

    const alarms = new Map<string, cloudwatch.Alarm>();
    const action = new SnsAction(this.topic);
    const add = (alarmId: string, alarm: cloudwatch.Alarm) => {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      alarms.set(alarmId, alarm);
    };

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      add(
        `${name}Dlq`,
        queue
          .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM })
          .createAlarm(this, `${name}DlqNotEmpty`, {
            alarmDescription: `Messages in the ${name} dead-letter queue: inspect and redrive (wayke-dms redrive)`,
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
      );
    }

    for (const [name, fn] of Object.entries(props.functions)) {
      add(
        `${name}Errors`,
        fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }).createAlarm(this, `${name}Errors`, {
          alarmDescription: `The ${name} Lambda failed (errors or timeouts); see its log group`,
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    add(
      'ImportBacklog',
      props.workQueue
        .metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM })
        .createAlarm(this, 'ImportBacklog', {
          alarmDescription: 'A dealer import has waited more than an hour: workers are failing or too few (context importConcurrency)',
          threshold: 3600,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    );

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
    add('ImportFailed', customMetric('ImportFailed', "A dealer's import failed; its report is in feeds/<dealerId>/reports/latest.txt"));
    add(
      'RemovalBlocked',
      customMetric('RemovalBlocked', 'An import would remove more ads than the dealer allows; check the feed, then import with allowMassRemoval'),
    );
    this.alarms = alarms;
  }
}
