import { describe, expect, it } from 'vitest';
import { WEBHOOK_THROTTLE } from '../../lib/constructs/webhook-ingest.js';
import { DEFAULT_DMS_RETRY_SCHEDULE, eventsMaxReceiveCount } from '../../functions/core/events/retry-schedule.js';
import { logicalId, synth } from './synth.js';

const { template, stack } = synth();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
const eventsQueueId = logicalId(stack, stack.webhooks.eventsQueue);
const eventsDlqId = logicalId(stack, stack.webhooks.eventsDeadLetterQueue);
const webhookId = logicalId(stack, stack.webhooks.handler);
const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);

describe('HTTP API', () => {
  it('routes POST /webhooks/wayke/{dealerId} to the webhook Lambda', () => {
    // The Vehicle API's routes share the HTTP API (test/infra/vehicle-api.test.ts); this is the webhook's.
    const webhookRoutes = ofType('AWS::ApiGatewayV2::Route').filter((r) =>
      String(r.Properties.RouteKey).includes('/webhooks/'),
    );
    expect(webhookRoutes).toHaveLength(1);
    const [route] = webhookRoutes;
    expect(route!.Properties.RouteKey).toBe('POST /webhooks/wayke/{dealerId}');
    const integrationId = String(route!.Properties.Target['Fn::Join'][1][1].Ref);
    const integration = resources[integrationId];
    expect(integration!.Properties.IntegrationType).toBe('AWS_PROXY');
    expect(integration!.Properties.IntegrationUri).toEqual({ 'Fn::GetAtt': [webhookId, 'Arn'] });
    expect(integration!.Properties.PayloadFormatVersion).toBe('2.0');
  });

  it('throttles the stage and writes access logs without bodies or headers', () => {
    const [stage] = ofType('AWS::ApiGatewayV2::Stage');
    expect(stage!.Properties.StageName).toBe('$default');
    expect(stage!.Properties.AutoDeploy).toBe(true);
    expect(stage!.Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: WEBHOOK_THROTTLE.rateLimit,
      ThrottlingBurstLimit: WEBHOOK_THROTTLE.burstLimit,
    });
    const format = JSON.parse(stage!.Properties.AccessLogSettings.Format) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    expect(Object.values(format).join(' ')).not.toMatch(/body|header|authorization/i);
  });

  it('publishes the webhook URL as an output', () => {
    expect(JSON.stringify(outputs.WebhookUrl!.Value)).toContain('/webhooks/wayke/{dealerId}');
  });
});

describe('events queue', () => {
  const queue = resources[eventsQueueId]!.Properties;
  const dlq = resources[eventsDlqId]!.Properties;

  it('is FIFO with content-based deduplication off (the webhook sets the ids)', () => {
    expect(queue.FifoQueue).toBe(true);
    expect(queue.ContentBasedDeduplication).toBe(false);
    expect(queue.SqsManagedSseEnabled).toBe(true);
  });

  it('dead-letters to a FIFO DLQ after maxReceiveCount receives (the backstop behind the retry schedule)', () => {
    expect(dlq.FifoQueue).toBe(true);
    expect(dlq.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [eventsDlqId, 'Arn'] },
      maxReceiveCount: eventsMaxReceiveCount(DEFAULT_DMS_RETRY_SCHEDULE),
    });
  });

  it("keeps a message invisible for at least six times its consumer's timeout", () => {
    const mapping = ofType('AWS::Lambda::EventSourceMapping').find(
      (m) => JSON.stringify(m.Properties.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': [eventsQueueId, 'Arn'] }),
    )!;
    const consumer = resources[(mapping.Properties.FunctionName as { Ref: string }).Ref]!;
    expect(consumer.Properties.Timeout).toBeGreaterThan(0);
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * consumer.Properties.Timeout);
  });

  it('is what the webhook Lambda sends to (EVENTS_QUEUE_URL)', () => {
    expect(resources[webhookId]!.Properties.Environment.Variables.EVENTS_QUEUE_URL).toEqual({ Ref: eventsQueueId });
  });
});
