import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ARCHIVED_TAG, SFTP_SECURITY_POLICY } from '../../lib/constructs/feed-storage.js';
import { logicalId, shardsTemplate, synth } from './synth.js';

const { template, stack } = synth({ context: { archiveRetentionDays: '45', noncurrentVersionRetentionDays: 20 } });
const feedBucketId = logicalId(stack, stack.storage.bucket);
// The per-dealer users live in the dealer shards (nested stacks), with bucket and server as parameters.
const shardTemplate = shardsTemplate(stack);
const shardStackResources = Object.values(template.findResources('AWS::CloudFormation::Stack'));

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
const actions = (statement: Statement) => [statement.Action].flat();

/** The statements of the IAM policies attached to a role (in the shard). */
function statementsOf(roleId: string): Statement[] {
  const policies = shardTemplate.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

describe('feed bucket', () => {
  const bucket = template.toJSON().Resources[feedBucketId];

  it('is encrypted, private, versioned, and logs access to the access-log bucket', () => {
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logicalId(stack, stack.storage.accessLogBucket) });
  });

  it('denies every request without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: feedBucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('sends its events to EventBridge through its own CloudFormation property (no custom resource)', () => {
    expect(bucket.Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
  });

  it('expires archived feeds by tag after the configured days, and old versions', () => {
    const rules = bucket.Properties.LifecycleConfiguration.Rules as Array<Record<string, unknown>>;
    expect(rules).toContainEqual(
      expect.objectContaining({ Status: 'Enabled', ExpirationInDays: 45, TagFilters: [{ Key: ARCHIVED_TAG.key, Value: ARCHIVED_TAG.value }] }),
    );
    expect(rules).toContainEqual(
      expect.objectContaining({
        Status: 'Enabled',
        NoncurrentVersionExpiration: { NoncurrentDays: 20 },
        ExpiredObjectDeleteMarker: true,
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      }),
    );
  });
});

describe('SFTP server', () => {
  it('is a public SFTP-only server with service-managed users, an explicit security policy and logging', () => {
    template.resourceCountIs('AWS::Transfer::Server', 1);
    template.hasResourceProperties('AWS::Transfer::Server', {
      Protocols: ['SFTP'],
      IdentityProviderType: 'SERVICE_MANAGED',
      EndpointType: 'PUBLIC',
      Domain: 'S3',
      SecurityPolicyName: SFTP_SECURITY_POLICY,
      LoggingRole: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
      StructuredLogDestinations: [{ 'Fn::GetAtt': [Match.anyValue(), 'Arn'] }],
    });
  });

  it('passes bucket and server to every dealer shard', () => {
    expect(shardStackResources).toHaveLength(stack.dealerShards.length);
    for (const shardStack of shardStackResources) {
      expect(shardStack.Properties.Parameters).toEqual({
        FeedBucketName: { Ref: feedBucketId },
        FeedBucketArn: { 'Fn::GetAtt': [feedBucketId, 'Arn'] },
        SftpServerId: { 'Fn::GetAtt': [logicalId(stack, stack.storage.server), 'ServerId'] },
      });
    }
  });

  it('has one user per dealer with an sftp block, named by dealer id, with its keys', () => {
    template.resourceCountIs('AWS::Transfer::User', 0);
    const users = Object.values(shardTemplate.findResources('AWS::Transfer::User')).map((user) => user.Properties);
    expect(users.map((user) => user.UserName).sort()).toEqual(['alpha-bil', 'beta']);
    const alpha = users.find((user) => user.UserName === 'alpha-bil');
    expect(alpha.SshPublicKeys).toHaveLength(2);
    expect(alpha.SshPublicKeys[0]).toMatch(/^ssh-ed25519 .* alpha@dms$/);
    expect(alpha.ServerId).toEqual({ Ref: 'SftpServerId' });
  });

  it("maps each user's logical home / to /<bucket>/feeds/<dealerId>", () => {
    for (const dealerId of ['alpha-bil', 'beta']) {
      shardTemplate.hasResourceProperties('AWS::Transfer::User', {
        UserName: dealerId,
        HomeDirectoryType: 'LOGICAL',
        HomeDirectoryMappings: [{ Entry: '/', Target: { 'Fn::Join': ['', ['/', { Ref: 'FeedBucketName' }, `/feeds/${dealerId}`]] } }],
      });
    }
  });

  it("gives each dealer a role that reaches only its own prefix, writing only to inbound/", () => {
    for (const dealerId of ['alpha-bil', 'beta']) {
      const role = stack.sftpUser(dealerId)!.role;
      const roleId = Stack.of(role).resolve((role.node.defaultChild as CfnElement).logicalId) as string;
      const user = Object.values(shardTemplate.findResources('AWS::Transfer::User', { Properties: { UserName: dealerId } }))[0]!;
      expect(user.Properties.Role).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
      shardTemplate.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'transfer.amazonaws.com' } })] },
      });

      const statements = statementsOf(roleId);
      const objectResources = statements
        .filter((s) => actions(s).some((a) => a.includes('Object') || a.includes('Multipart')))
        .map((s) => JSON.stringify(s.Resource));
      expect(objectResources.length).toBeGreaterThan(0);
      for (const resource of objectResources) expect(resource).toContain(`/feeds/${dealerId}/`);

      const writes = statements.filter((s) => actions(s).some((a) => a === 's3:PutObject' || a === 's3:DeleteObject'));
      expect(writes.map((s) => JSON.stringify(s.Resource))).toEqual([expect.stringContaining(`/feeds/${dealerId}/inbound/*`)]);

      const list = statements.find((s) => actions(s).includes('s3:ListBucket'))!;
      expect(list.Condition).toEqual({ StringLike: { 's3:prefix': [`feeds/${dealerId}`, `feeds/${dealerId}/*`] } });
    }
  });

  it('creates no user for a dealer without an sftp block', () => {
    expect(stack.sftpUser('gamma')).toBeUndefined();
    shardTemplate.resourcePropertiesCountIs('AWS::Transfer::User', { UserName: 'gamma' }, 0);
  });
});
