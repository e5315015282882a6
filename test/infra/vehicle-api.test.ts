import { FUNCTION_TIMEOUT_SECONDS } from '../../functions/core/deployment/runtime.js';
import { describe, expect, it } from 'vitest';
import { VEHICLE_API_ROUTES } from '../../functions/adapters/vehicle-api-http.js';
import { VEHICLE_API_THROTTLE, VEHICLE_QUEUE_AGE_ALARM_SECONDS } from '../../lib/constructs/vehicle-api.js';
import { logicalId, synth } from './synth.js';

const { template, stack } = synth();
type Resource = { Type: string; Properties: Record<string, any> };
const resources = template.toJSON().Resources as Record<string, Resource>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const apiFnId = logicalId(stack, stack.vehicleApi.handler);
const workerFnId = logicalId(stack, stack.vehicleApi.worker);
const queueId = logicalId(stack, stack.vehicleApi.queue);
const dlqId = logicalId(stack, stack.vehicleApi.deadLetterQueue);
const topicId = logicalId(stack, stack.alarms.topic);

/** Every Allow statement of the policies attached to a function's role. */
function allowsOf(functionId: string): Array<{ actions: string[]; resources: string }> {
  const roleRef = resources[functionId]!.Properties.Role['Fn::GetAtt'][0];
  return ofType('AWS::IAM::Policy')
    .filter(([, policy]) => (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleRef))
    .flatMap(
      ([, policy]) =>
        policy.Properties.PolicyDocument.Statement as Array<{
          Effect: string;
          Action: string | string[];
          Resource: unknown;
        }>,
    )
    .filter((statement) => statement.Effect === 'Allow')
    .map((statement) => ({ actions: [statement.Action].flat(), resources: JSON.stringify(statement.Resource) }));
}
const may = (functionId: string, action: string, resourceId: string) =>
  allowsOf(functionId).some((s) => s.actions.includes(action) && s.resources.includes(resourceId));

describe('Vehicle API routes', () => {
  it('adds every route to the webhook HTTP API, integrated with the Vehicle API Lambda', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    for (const routeKey of Object.values(VEHICLE_API_ROUTES)) {
      const route = routes.find((r) => r.RouteKey === routeKey);
      expect(route, routeKey).toBeDefined();
      expect(route!.ApiId).toEqual({ Ref: logicalId(stack, stack.webhooks.api) });
      const integration = resources[route!.Target['Fn::Join'][1][1].Ref]!.Properties;
      expect(integration.IntegrationUri).toEqual({ 'Fn::GetAtt': [apiFnId, 'Arn'] });
    }
  });

  it('throttles the Vehicle API routes on their own, above the webhook default', () => {
    const [, stage] = ofType('AWS::ApiGatewayV2::Stage')[0]!;
    for (const routeKey of Object.values(VEHICLE_API_ROUTES)) {
      expect(stage.Properties.RouteSettings[routeKey]).toEqual({
        ThrottlingRateLimit: VEHICLE_API_THROTTLE.rateLimit,
        ThrottlingBurstLimit: VEHICLE_API_THROTTLE.burstLimit,
      });
    }
  });
});

describe('the vehicle queue', () => {
  it('is FIFO per message group with a FIFO DLQ after 5 receives and 6× the worker timeout as visibility', () => {
    const queue = resources[queueId]!.Properties;
    expect(queue).toMatchObject({
      FifoQueue: true,
      ContentBasedDeduplication: false,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      VisibilityTimeout: FUNCTION_TIMEOUT_SECONDS.vehicleWorker * 6,
    });
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 });
    expect(resources[dlqId]!.Properties.FifoQueue).toBe(true);
  });

  it('feeds the vehicle worker in batches of 10 with partial batch failures', () => {
    const mapping = ofType('AWS::Lambda::EventSourceMapping')
      .map(([, r]) => r.Properties)
      .find((m) => JSON.stringify(m.EventSourceArn).includes(queueId));
    expect(mapping).toMatchObject({
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FunctionName: { Ref: workerFnId },
    });
  });
});

describe('least privilege', () => {
  it('lets the API queue changes, keep status and idempotency, and nothing on the queue for the worker', () => {
    expect(may(apiFnId, 'sqs:SendMessage', queueId)).toBe(true);
    expect(may(apiFnId, 'dynamodb:PutItem', logicalId(stack, stack.imports.snapshotTable))).toBe(true);
    expect(may(apiFnId, 'dynamodb:UpdateItem', logicalId(stack, stack.delivery.dedupeTable))).toBe(true);
    expect(may(workerFnId, 'sqs:SendMessage', queueId)).toBe(false);
    expect(may(workerFnId, 'dynamodb:PutItem', logicalId(stack, stack.delivery.dedupeTable))).toBe(false);
  });

  it('lets the API reach run reports only in the bucket, and the worker not at all', () => {
    const bucketId = logicalId(stack, stack.storage.bucket);
    const apiOnBucket = allowsOf(apiFnId).filter((s) => s.resources.includes(bucketId));
    expect(apiOnBucket.length).toBeGreaterThan(0);
    for (const statement of apiOnBucket) {
      expect(statement.resources).toContain('/feeds/*/reports/*');
      expect(statement.actions.every((action) => action === 's3:GetObject' || action === 's3:PutObject')).toBe(true);
    }
    expect(allowsOf(workerFnId).some((s) => s.resources.includes(bucketId))).toBe(false);
  });
});

describe('alarms', () => {
  const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);

  it('alarm on any 5xx of the HTTP API, notifying the topic', () => {
    const alarm = alarms.find((a) => a.Namespace === 'AWS/ApiGateway' && a.MetricName === '5xx');
    expect(alarm).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: topicId }],
      Dimensions: [{ Name: 'ApiId', Value: { Ref: logicalId(stack, stack.webhooks.api) } }],
    });
  });

  it("alarm when a change waits too long, and on the vehicle DLQ and both functions' errors", () => {
    const age = alarms.find(
      (a) => a.MetricName === 'ApproximateAgeOfOldestMessage' && JSON.stringify(a.Dimensions).includes(queueId),
    );
    expect(age).toMatchObject({ Threshold: VEHICLE_QUEUE_AGE_ALARM_SECONDS, AlarmActions: [{ Ref: topicId }] });
    expect(
      alarms.some(
        (a) => a.MetricName === 'ApproximateNumberOfMessagesVisible' && JSON.stringify(a.Dimensions).includes(dlqId),
      ),
    ).toBe(true);
    for (const id of [apiFnId, workerFnId])
      expect(
        alarms.some((a) => a.MetricName === 'Errors' && JSON.stringify(a.Dimensions).includes(id)),
        id,
      ).toBe(true);
  });
});
