import { describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../lib/constructs/alarms.js';
import { logicalId, synth } from './synth.js';

const { template, stack } = synth({ context: { alarmEmail: 'ops@dealer-group.example' } });
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties);
const topicId = logicalId(stack, stack.alarms.topic);

describe('alarms', () => {
  it('notify one SNS topic (alarm and OK), with the configured e-mail subscribed', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
    }
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@dealer-group.example', TopicArn: { Ref: topicId } });
  });

  it('watch every dead-letter queue for a single visible message', () => {
    const dlqs = [stack.imports.workDeadLetterQueue, stack.imports.triggerDeadLetterQueue, stack.webhooks.eventsDeadLetterQueue];
    for (const dlq of dlqs) {
      const queueName = { 'Fn::GetAtt': [logicalId(stack, dlq), 'QueueName'] };
      const alarm = alarms.find((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible' && JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: queueName }]));
      expect(alarm, logicalId(stack, dlq)).toBeDefined();
      expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    }
  });

  it("watch every function's errors", () => {
    const functionIds = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function').map(([id]) => id);
    expect(functionIds).toHaveLength(6);
    for (const id of functionIds) {
      expect(
        alarms.some((a) => a.MetricName === 'Errors' && a.Namespace === 'AWS/Lambda' && JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: id } }])),
        id,
      ).toBe(true);
    }
  });

  it(`watch the ${METRICS_NAMESPACE} ImportFailed and RemovalBlocked metrics over all their dimensions`, () => {
    for (const metric of ['ImportFailed', 'RemovalBlocked']) {
      const alarm = alarms.find((a) => (a.Metrics as Array<{ Expression?: string }> | undefined)?.some((m) => m.Expression?.includes(`SUM(${metric})`)));
      expect(alarm, metric).toBeDefined();
      expect(alarm!.Metrics[0].Expression).toBe(`SELECT SUM(${metric}) FROM "${METRICS_NAMESPACE}"`);
      expect(alarm!.Threshold).toBe(0);
      expect(alarm!.ComparisonOperator).toBe('GreaterThanThreshold');
    }
  });

  it('watch the age of the oldest import message', () => {
    expect(alarms.some((a) => a.MetricName === 'ApproximateAgeOfOldestMessage' && a.Threshold === 3600)).toBe(true);
  });
});
