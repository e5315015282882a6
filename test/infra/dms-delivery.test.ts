import { describe, expect, it } from 'vitest';
import { DMS_WRITER_TIMEOUT } from '../../lib/constructs/dms-delivery.js';
import { logicalId, synth } from './synth.js';

const { template, stack } = synth();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;
const writerId = logicalId(stack, stack.delivery.writer);
const dedupeId = logicalId(stack, stack.delivery.dedupeTable);

describe('DMS writer', () => {
  it('consumes the FIFO events queue with partial batch failures, a batch size and maxConcurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack, stack.webhooks.eventsQueue), 'Arn'] },
      FunctionName: { Ref: writerId },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('has its timeout and the environment of the conventions', () => {
    expect(resources[writerId]!.Properties.Timeout).toBe(DMS_WRITER_TIMEOUT.toSeconds());
    expect(resources[writerId]!.Properties.Environment.Variables).toMatchObject({
      DEDUPE_TABLE: { Ref: dedupeId },
      FEED_BUCKET: { Ref: logicalId(stack, stack.storage.bucket) },
      EVENTS_DLQ_URL: { Ref: logicalId(stack, stack.webhooks.eventsDeadLetterQueue) },
    });
  });

  it('may send to the events DLQ (permanent refusals go there at once)', () => {
    const dlqArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack, stack.webhooks.eventsDeadLetterQueue), 'Arn'] });
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes('DmsDeliveryWriter'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
    expect(statements.some((s) => [s.Action].flat().includes('sqs:SendMessage') && JSON.stringify(s.Resource) === dlqArn)).toBe(true);
  });

  it("may write only into dealers' outbox/ of the feed bucket", () => {
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes('DmsDeliveryWriter'));
    const s3Statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>).filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('s3:')),
    );
    expect(s3Statements).toHaveLength(1);
    // PutObjectTagging: each outbox file is written with the tag its lifecycle rule expires by.
    expect(s3Statements[0]!.Action).toEqual(['s3:PutObject', 's3:PutObjectTagging']);
    expect(JSON.stringify(s3Statements[0]!.Resource)).toContain('/feeds/*/outbox/*');
  });
});

describe('dedupe table', () => {
  const table = resources[dedupeId]!;

  it('is on-demand with a string pk and TTL on expiresAt', () => {
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(table.Properties.AttributeDefinitions).toEqual([{ AttributeName: 'pk', AttributeType: 'S' }]);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('has point-in-time recovery and encryption at rest, and is retained', () => {
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
    expect(table.DeletionPolicy).toBe('Retain');
  });
});
