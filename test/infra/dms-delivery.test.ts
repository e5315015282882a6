import { describe, expect, it } from 'vitest';
import { FUNCTION_TIMEOUT_SECONDS } from '../../functions/core/deployment/runtime.js';
import {
  DEFAULT_DMS_RETRY_SCHEDULE,
  eventsMaxReceiveCount,
  formatRetrySchedule,
  nextRetryDelay,
  parseRetrySchedule,
} from '../../functions/core/events/retry-schedule.js';
import { ACCOUNT, REGION, allows, roleStatements } from './iam-eval.js';
import { logicalId, synth } from './synth.js';

const { template, stack } = synth();
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }
>;
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
    expect(resources[writerId]!.Properties.Timeout).toBe(FUNCTION_TIMEOUT_SECONDS.dmsWriter);
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
    expect(
      statements.some((s) => [s.Action].flat().includes('sqs:SendMessage') && JSON.stringify(s.Resource) === dlqArn),
    ).toBe(true);
  });

  it("may write only into dealers' outbox/ of the feed bucket", () => {
    const policies = Object.values(resources).filter(
      (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes('DmsDeliveryWriter'),
    );
    const s3Statements = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
      .filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
    const feedBucket = logicalId(stack, stack.storage.bucket);
    const onFeeds = s3Statements.filter((s) => JSON.stringify(s.Resource).includes(feedBucket));
    expect(onFeeds).toHaveLength(1);
    // PutObjectTagging: each outbox file is written with the tag its lifecycle rule expires by.
    expect(onFeeds[0]!.Action).toEqual(['s3:PutObject', 's3:PutObjectTagging']);
    expect(JSON.stringify(onFeeds[0]!.Resource)).toContain('/feeds/*/outbox/*');
  });
});

describe('retries through a day, and the archive for replay', () => {
  const queue = resources[logicalId(stack, stack.webhooks.eventsQueue)]!;
  const archiveId = logicalId(stack, stack.delivery.archiveBucket);
  const writerStatements = () =>
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes('DmsDeliveryWriter'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);

  it('hands the writer its schedule and the events queue, and may hide a received message (ChangeMessageVisibility)', () => {
    expect(resources[writerId]!.Properties.Environment.Variables).toMatchObject({
      EVENTS_QUEUE_URL: { Ref: logicalId(stack, stack.webhooks.eventsQueue) },
      DMS_RETRY_SCHEDULE: formatRetrySchedule(DEFAULT_DMS_RETRY_SCHEDULE),
      EVENT_ARCHIVE_BUCKET: { Ref: archiveId },
    });
    expect(parseRetrySchedule(resources[writerId]!.Properties.Environment.Variables.DMS_RETRY_SCHEDULE)).toEqual(
      DEFAULT_DMS_RETRY_SCHEDULE,
    );
    const queueArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack, stack.webhooks.eventsQueue), 'Arn'] });
    expect(
      writerStatements().some(
        (s) => [s.Action].flat().includes('sqs:ChangeMessageVisibility') && JSON.stringify(s.Resource) === queueArn,
      ),
    ).toBe(true);
  });

  it('lets an event live through its whole schedule: the redrive backstop and the retention outlast the retries', () => {
    expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(eventsMaxReceiveCount(DEFAULT_DMS_RETRY_SCHEDULE));
    expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBeGreaterThan(DEFAULT_DMS_RETRY_SCHEDULE.length + 1);
    // The longest the schedule can take (every delay at its full jitter) is within the retention.
    const longest = DEFAULT_DMS_RETRY_SCHEDULE.reduce(
      (sum, _, i) => sum + nextRetryDelay(DEFAULT_DMS_RETRY_SCHEDULE, i + 1, 0.999)!,
      0,
    );
    expect(queue.Properties.MessageRetentionPeriod).toBeGreaterThan(longest);
  });

  it('keeps delivered events 30 days in a private bucket the writer may only add to', () => {
    const bucket = resources[archiveId]!;
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({ ExpirationInDays: 30, Status: 'Enabled' }),
    ]);
    expect(bucket.Properties.PublicAccessBlockConfiguration).toMatchObject({
      BlockPublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const onArchive = writerStatements().filter((s) => JSON.stringify(s.Resource).includes(archiveId));
    expect(onArchive.flatMap((s) => [s.Action].flat())).toEqual(['s3:PutObject']);
    expect(JSON.stringify(onArchive[0]!.Resource)).toContain('/events/*');
  });

  it('takes the schedule from the dmsRetrySchedule context, and refuses one shorter than a day', () => {
    const custom = synth({ context: { dmsRetrySchedule: '10s,1m,10h,10h,10h' } });
    const writer = custom.template.toJSON().Resources[logicalId(custom.stack, custom.stack.delivery.writer)];
    expect(writer.Properties.Environment.Variables.DMS_RETRY_SCHEDULE).toBe('10s,1m,10h,10h,10h');
    expect(
      custom.template.toJSON().Resources[logicalId(custom.stack, custom.stack.webhooks.eventsQueue)].Properties
        .RedrivePolicy.maxReceiveCount,
    ).toBe(60);
    expect(() => synth({ context: { dmsRetrySchedule: '5s,30s,2m' } })).toThrow(/dmsRetrySchedule.*24 h/);
    expect(() => synth({ context: { dmsRetrySchedule: '5s,13h,13h' } })).toThrow(/dmsRetrySchedule/);
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

describe("DMS writer's read of the snapshot table (the dealer's stock number)", () => {
  const snapshotId = logicalId(stack, stack.imports.snapshotTable);
  const tableArn = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/wayke-dms-snapshots`;
  const writerRole = (resources[writerId]!.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements = roleStatements(resources, writerRole, { [`${snapshotId}.Arn`]: tableArn });
  const can = (action: string, resource = tableArn) => allows(statements, { action, resource });

  it('gets SNAPSHOT_TABLE in its environment', () => {
    expect(resources[writerId]!.Properties.Environment.Variables.SNAPSHOT_TABLE).toEqual({ Ref: snapshotId });
  });

  it('may GetItem on the snapshot table', () => {
    expect(can('dynamodb:GetItem')).toBe(true);
  });

  it('cannot write, Query, Scan or batch-read the snapshot table, nor touch its indexes', () => {
    for (const action of [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
    ]) {
      expect(can(action), action).toBe(false);
    }
    expect(can('dynamodb:Query', `${tableArn}/index/any`)).toBe(false);
  });
});
