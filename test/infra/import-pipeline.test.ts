import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FUNCTION_TIMEOUT_SECONDS } from '../../functions/core/deployment/runtime.js';
import { INBOUND_KEY_PATTERN } from '../../functions/core/feed-bucket.js';
import { logicalId, synth } from './synth.js';

const { template, stack } = synth({ context: { importConcurrency: '25' } });
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const schedulerId = logicalId(stack, stack.imports.scheduler);
const workerId = logicalId(stack, stack.imports.worker);
const workQueueId = logicalId(stack, stack.imports.workQueue);
const bucketId = logicalId(stack, stack.storage.bucket);

/** Matches a key against an EventBridge wildcard pattern (`*` = any run of characters, `/` included). */
function wildcardMatches(pattern: string, key: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(key);
}

describe('triggers', () => {
  it('runs the scheduler every hour', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [schedulerId, 'Arn'] },
          DeadLetterConfig: Match.anyValue(),
          RetryPolicy: Match.anyValue(),
        }),
      ],
    });
  });

  it("runs the scheduler on S3 'Object Created' of this bucket under feeds/*/inbound/ only", () => {
    const rule = Object.values(resources).find((r) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern)!;
    const pattern = rule.Properties.EventPattern;
    expect(pattern.source).toEqual(['aws.s3']);
    expect(pattern['detail-type']).toEqual(['Object Created']);
    expect(pattern.detail.bucket.name).toEqual([{ Ref: bucketId }]);
    expect(pattern.detail.object.key).toEqual([{ wildcard: INBOUND_KEY_PATTERN }]);
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [schedulerId, 'Arn'] });

    const wildcard = pattern.detail.object.key[0].wildcard as string;
    expect(wildcardMatches(wildcard, 'feeds/bilhallen/inbound/lager.csv')).toBe(true);
    for (const key of [
      'feeds/bilhallen/archive/20250101T000000000Z-lager.csv',
      'feeds/bilhallen/reports/latest.json',
      'feeds/bilhallen/outbox/e.json',
      'other/inbound/x.csv',
    ]) {
      expect(wildcardMatches(wildcard, key), key).toBe(false);
    }
  });

  it('lets EventBridge invoke the scheduler from both rules', () => {
    const permissions = Object.values(resources).filter(
      (r) => r.Type === 'AWS::Lambda::Permission' && r.Properties.Principal === 'events.amazonaws.com',
    );
    expect(permissions).toHaveLength(2);
    for (const permission of permissions)
      expect(permission.Properties.FunctionName).toEqual({ 'Fn::GetAtt': [schedulerId, 'Arn'] });
  });

  it("sends the scheduler's failed asynchronous invocations to the trigger DLQ", () => {
    expect(resources[schedulerId]!.Properties.DeadLetterConfig).toEqual({
      TargetArn: { 'Fn::GetAtt': [logicalId(stack, stack.imports.triggerDeadLetterQueue), 'Arn'] },
    });
  });
});

describe('work queue and worker', () => {
  const queue = resources[workQueueId]!.Properties;

  it('has a dead-letter queue with maxReceiveCount', () => {
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, stack.imports.workDeadLetterQueue), 'Arn'] },
      maxReceiveCount: 3,
    });
    expect(queue.SqsManagedSseEnabled).toBe(true);
  });

  it("keeps a message invisible for at least six times the worker's timeout", () => {
    const workerTimeout = resources[workerId]!.Properties.Timeout as number;
    expect(workerTimeout).toBe(FUNCTION_TIMEOUT_SECONDS.importWorker);
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * workerTimeout);
  });

  it('feeds the worker one dealer per message, reporting partial batch failures, at bounded concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [workQueueId, 'Arn'] },
      FunctionName: { Ref: workerId },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 25 },
    });
  });

  it('gives scheduler and worker the environment of the conventions', () => {
    expect(resources[schedulerId]!.Properties.Environment.Variables).toMatchObject({
      WORK_QUEUE_URL: { Ref: workQueueId },
    });
    expect(resources[workerId]!.Properties.Environment.Variables).toMatchObject({
      FEED_BUCKET: { Ref: bucketId },
      SNAPSHOT_TABLE: { Ref: logicalId(stack, stack.imports.snapshotTable) },
    });
  });
});

describe('snapshot table', () => {
  const table = resources[logicalId(stack, stack.imports.snapshotTable)]!.Properties;

  it('is on-demand with string pk/sk and TTL on expiresAt', () => {
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table.AttributeDefinitions).toEqual([
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ]);
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('has point-in-time recovery and encryption at rest', () => {
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.SSESpecification).toEqual({ SSEEnabled: true });
  });

  it('is kept when the stack is deleted', () => {
    expect(template.toJSON().Resources[logicalId(stack, stack.imports.snapshotTable)].DeletionPolicy).toBe('Retain');
  });
});
