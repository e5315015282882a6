import { describe, expect, it } from 'vitest';
import { EVENTS_BACKLOG_SECONDS, METRICS_NAMESPACE, WEBHOOK_5XX_PERCENT } from '../../lib/constructs/alarms.js';
import { ACCOUNT, REGION, allows, resolveCfn, type Statement } from './iam-eval.js';
import { logicalId, synth } from './synth.js';

const { template, stack } = synth({ context: { alarmEmail: 'ops@dealer-group.example' } });
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const alarms = Object.values(resources)
  .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
  .map((r) => r.Properties);
const topicId = logicalId(stack, stack.alarms.topic);

describe('alarms', () => {
  it('notify one SNS topic (alarm and OK), with the configured e-mail subscribed', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
    }
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@dealer-group.example',
      TopicArn: { Ref: topicId },
    });
  });

  it('watch every dead-letter queue for a single visible message', () => {
    const dlqs = [
      stack.imports.workDeadLetterQueue,
      stack.imports.triggerDeadLetterQueue,
      stack.webhooks.eventsDeadLetterQueue,
    ];
    for (const dlq of dlqs) {
      const queueName = { 'Fn::GetAtt': [logicalId(stack, dlq), 'QueueName'] };
      const alarm = alarms.find(
        (a) =>
          a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: queueName }]),
      );
      expect(alarm, logicalId(stack, dlq)).toBeDefined();
      expect(alarm).toMatchObject({
        Namespace: 'AWS/SQS',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it("watch every function's errors", () => {
    const functionIds = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id]) => id);
    expect(functionIds).toHaveLength(6);
    for (const id of functionIds) {
      expect(
        alarms.some(
          (a) =>
            a.MetricName === 'Errors' &&
            a.Namespace === 'AWS/Lambda' &&
            JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: id } }]),
        ),
        id,
      ).toBe(true);
    }
  });

  it(`watch the ${METRICS_NAMESPACE} ImportFailed and RemovalBlocked metrics over all their dimensions`, () => {
    for (const metric of ['ImportFailed', 'RemovalBlocked']) {
      const alarm = alarms.find((a) =>
        (a.Metrics as Array<{ Expression?: string }> | undefined)?.some((m) =>
          m.Expression?.includes(`SUM(${metric})`),
        ),
      );
      expect(alarm, metric).toBeDefined();
      expect(alarm!.Metrics[0].Expression).toBe(`SELECT SUM(${metric}) FROM "${METRICS_NAMESPACE}"`);
      expect(alarm!.Threshold).toBe(0);
      expect(alarm!.ComparisonOperator).toBe('GreaterThanThreshold');
    }
  });

  it('watch the age of the oldest import message', () => {
    expect(alarms.some((a) => a.MetricName === 'ApproximateAgeOfOldestMessage' && a.Threshold === 3600)).toBe(true);
  });

  describe('the topic accepts what CloudWatch publishes for this stack', () => {
    const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:WaykeDms-AlarmsTopic-ABC`;
    const policies = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::SNS::TopicPolicy' &&
        JSON.stringify(r.Properties.Topics) === JSON.stringify([{ Ref: topicId }]),
    );
    const statements = policies.flatMap(
      (p) => (resolveCfn(p.Properties.PolicyDocument, { [topicId]: topicArn }) as { Statement: Statement[] }).Statement,
    );
    const publish = (service: string, account: string, alarm: string, secure = 'true') =>
      allows(
        statements.filter(
          (s) => s.Effect === 'Deny' || JSON.stringify(s.Principal) === JSON.stringify({ Service: service }),
        ),
        {
          action: 'sns:Publish',
          resource: topicArn,
          context: {
            'aws:SourceAccount': account,
            'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${account}:alarm:${alarm}`,
            'aws:SecureTransport': secure,
          },
        },
      );

    it('CloudWatch may publish for an alarm of this stack (CloudFormation names it <stack>-<id>-<suffix>)', () => {
      expect(policies).toHaveLength(1);
      expect(publish('cloudwatch.amazonaws.com', ACCOUNT, 'WaykeDms-AlarmsWebhookFailed-1A2B3C4D')).toBe(true);
    });

    it('not for another account, another stack, another service, or without TLS', () => {
      expect(publish('cloudwatch.amazonaws.com', '999999999999', 'WaykeDms-AlarmsWebhookFailed-1A2B3C4D')).toBe(false);
      expect(publish('cloudwatch.amazonaws.com', ACCOUNT, 'OtherStack-Alarm-1A2B3C4D')).toBe(false);
      expect(publish('events.amazonaws.com', ACCOUNT, 'WaykeDms-AlarmsWebhookFailed-1A2B3C4D')).toBe(false);
      expect(publish('cloudwatch.amazonaws.com', ACCOUNT, 'WaykeDms-AlarmsWebhookFailed-1A2B3C4D', 'false')).toBe(
        false,
      );
    });
  });

  it("watch every function's throttles", () => {
    const functionIds = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id]) => id);
    for (const id of functionIds) {
      expect(
        alarms.some(
          (a) =>
            a.MetricName === 'Throttles' &&
            a.Namespace === 'AWS/Lambda' &&
            a.Threshold === 0 &&
            JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: id } }]),
        ),
        id,
      ).toBe(true);
    }
  });

  it('watch the age of the oldest event in the FIFO events queue (a stuck message group)', () => {
    const queueName = { 'Fn::GetAtt': [logicalId(stack, stack.webhooks.eventsQueue), 'QueueName'] };
    const alarm = alarms.find(
      (a) =>
        a.MetricName === 'ApproximateAgeOfOldestMessage' &&
        JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: queueName }]),
    );
    expect(alarm).toMatchObject({ Threshold: EVENTS_BACKLOG_SECONDS, Statistic: 'Maximum' });
  });

  it("watch the webhook API's 5xx share of requests", () => {
    const alarm = alarms.find((a) =>
      (a.Metrics as Array<{ Expression?: string }> | undefined)?.some(
        (m) => m.Expression === '100 * errors / MAX([requests, 1])',
      ),
    )!;
    expect(alarm).toBeDefined();
    const metrics = Object.fromEntries(
      (
        alarm.Metrics as Array<{
          Id: string;
          MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: unknown } };
        }>
      )
        .filter((m) => m.MetricStat)
        .map((m) => [m.Id, m.MetricStat!.Metric]),
    );
    expect(metrics.errors).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: logicalId(stack, stack.webhooks.api) } }],
    });
    expect(metrics.requests).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: 'Count' });
    expect(alarm.Threshold).toBe(WEBHOOK_5XX_PERCENT);
  });

  it('watch WebhookFailed and DmsEndpointFailing with one alarm each, whatever the number of dealers', () => {
    for (const metric of ['WebhookFailed', 'DmsEndpointFailing']) {
      const matching = alarms.filter((a) =>
        (a.Metrics as Array<{ Expression?: string }> | undefined)?.some(
          (m) => m.Expression === `SELECT SUM(${metric}) FROM "${METRICS_NAMESPACE}"`,
        ),
      );
      expect(matching, metric).toHaveLength(1);
    }
  });
});
