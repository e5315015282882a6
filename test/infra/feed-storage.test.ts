import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SFTP_SECURITY_POLICY } from '../../lib/constructs/feed-storage.js';
import { ARCHIVED_TAG, OUTBOX_TAG, REPORT_TAG, type ObjectTag } from '../../functions/core/storage-tags.js';
import { ACCOUNT, REGION, allows, resolveCfn, roleStatements, type Statement } from './iam-eval.js';
import { logicalId, shardsTemplate, synth } from './synth.js';

const { template, stack } = synth({
  context: {
    archiveRetentionDays: '45',
    noncurrentVersionRetentionDays: 20,
    reportRetentionDays: 10,
    outboxRetentionDays: '7',
  },
});
const feedBucketId = logicalId(stack, stack.storage.bucket);
const serverId = logicalId(stack, stack.storage.server);
// The per-dealer users live in the dealer shards (nested stacks), with bucket and server as parameters.
const shardTemplate = shardsTemplate(stack);
const shardStackResources = Object.values(template.findResources('AWS::CloudFormation::Stack'));

describe('feed bucket', () => {
  const bucket = template.toJSON().Resources[feedBucketId];

  it('is encrypted, private, versioned, and logs access to the access-log bucket', () => {
    expect(
      bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault
        .SSEAlgorithm,
    ).toBe('AES256');
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.LoggingConfiguration.DestinationBucketName).toEqual({
      Ref: logicalId(stack, stack.storage.accessLogBucket),
    });
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
    expect(bucket.Properties.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
  });

  const lifecycleRules = () => bucket.Properties.LifecycleConfiguration.Rules as Array<Record<string, unknown>>;
  /** An enabled rule expiring objects that carry `tag` after `days`. */
  const tagExpiry = (tag: ObjectTag, days: number) =>
    expect.objectContaining({
      Status: 'Enabled',
      ExpirationInDays: days,
      TagFilters: [{ Key: tag.Key, Value: tag.Value }],
    });

  it('expires timestamped reports and outbox files by the tags their writers set, after the configured days', () => {
    const rules = lifecycleRules();
    expect(rules).toContainEqual(tagExpiry(REPORT_TAG, 10));
    expect(rules).toContainEqual(tagExpiry(OUTBOX_TAG, 7));
    // No rule without a tag filter expires current objects: reports/latest.* and inbound/ stay.
    for (const rule of rules.filter((r) => r.ExpirationInDays !== undefined)) expect(rule.TagFilters).toBeDefined();
  });

  it('expires archived feeds by tag after the configured days, and old versions', () => {
    const rules = lifecycleRules();
    expect(rules).toContainEqual(tagExpiry(ARCHIVED_TAG, 45));
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
      StructuredLogDestinations: [{ 'Fn::GetAtt': [Match.anyValue(), 'Arn'] }],
    });
  });

  it('logs only to its structured log group: no LoggingRole writing role-based logs to a group the stack does not own', () => {
    const server = Object.values(template.findResources('AWS::Transfer::Server'))[0]!;
    expect(server.Properties.LoggingRole).toBeUndefined();
    const [groupId] = server.Properties.StructuredLogDestinations[0]['Fn::GetAtt'];
    expect(template.toJSON().Resources[groupId].Type).toBe('AWS::Logs::LogGroup');
  });

  it('ignores SETSTAT after uploads (WinSCP and many DMS exporters send it; S3 cannot apply it)', () => {
    template.hasResourceProperties('AWS::Transfer::Server', { ProtocolDetails: { SetStatOption: 'ENABLE_NO_OP' } });
  });

  it('is kept, with its log group, when the stack is deleted or the resource replaced (host name and key stay)', () => {
    template.hasResource('AWS::Transfer::Server', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.resourceCountIs('AWS::Transfer::HostKey', 0);
  });

  it('passes bucket and server to every dealer shard', () => {
    expect(shardStackResources).toHaveLength(stack.dealerShards.length);
    for (const shardStack of shardStackResources) {
      expect(shardStack.Properties.Parameters).toEqual({
        FeedBucketName: { Ref: feedBucketId },
        FeedBucketArn: { 'Fn::GetAtt': [feedBucketId, 'Arn'] },
        SftpServerId: { 'Fn::GetAtt': [logicalId(stack, stack.storage.server), 'ServerId'] },
        SftpUserRoleArn: { 'Fn::GetAtt': [logicalId(stack, stack.storage.sftpUserRole.role), 'Arn'] },
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
        HomeDirectoryMappings: [
          { Entry: '/', Target: { 'Fn::Join': ['', ['/', { Ref: 'FeedBucketName' }, `/feeds/${dealerId}`]] } },
        ],
      });
    }
  });

  it('creates no IAM role per dealer: every user works with the one shared role', () => {
    shardTemplate.resourceCountIs('AWS::IAM::Role', 0);
    shardTemplate.resourceCountIs('AWS::IAM::Policy', 0);
    const roles = Object.values(shardTemplate.findResources('AWS::Transfer::User')).map((user) => user.Properties.Role);
    expect(roles).toEqual(roles.map(() => ({ Ref: 'SftpUserRoleArn' })));
  });

  it("lets only this account's SFTP server assume the shared role (source conditions)", () => {
    const roleId = logicalId(stack, stack.storage.sftpUserRole.role);
    const trust = resolveCfn(template.toJSON().Resources[roleId].Properties.AssumeRolePolicyDocument, {
      [`${serverId}.ServerId`]: 's-0123456789abcdef0',
    }) as { Statement: Statement[] };
    const assume = (account: string, server: string) =>
      allows(trust.Statement, {
        action: 'sts:AssumeRole',
        resource: '*',
        context: {
          'aws:SourceAccount': account,
          'aws:SourceArn': `arn:aws:transfer:${REGION}:${account}:user/${server}/alpha-bil`,
        },
      });
    expect(trust.Statement.map((s) => s.Principal)).toEqual([{ Service: 'transfer.amazonaws.com' }]);
    // The evaluator ignores Resource for trust documents: let every statement apply to "*".
    for (const statement of trust.Statement) (statement as { Resource?: string }).Resource = '*';
    expect(assume(ACCOUNT, 's-0123456789abcdef0')).toBe(true);
    expect(assume('999999999999', 's-0123456789abcdef0')).toBe(false);
    expect(assume(ACCOUNT, 's-ffffffffffffffff0')).toBe(false);
  });

  describe("each dealer's effective access (shared role ∩ its session policy)", () => {
    const bucket = 'wayke-dms-feeds-0123456789ab';
    const bucketArn = `arn:aws:s3:::${bucket}`;
    const roleId = logicalId(stack, stack.storage.sftpUserRole.role);
    const role = roleStatements(template.toJSON().Resources, roleId, { [`${feedBucketId}.Arn`]: bucketArn });
    const user = (dealerId: string) =>
      Object.values(shardTemplate.findResources('AWS::Transfer::User', { Properties: { UserName: dealerId } }))[0]!;
    const session = (dealerId: string) => {
      const text = resolveCfn(user(dealerId).Properties.Policy, { FeedBucketArn: bucketArn }) as string;
      return { text, statements: (JSON.parse(text) as { Statement: Statement[] }).Statement };
    };
    const may = (dealerId: string, action: string, key: string, context: Record<string, string> = {}) => {
      const request = {
        action,
        resource: key === '' ? bucketArn : `${bucketArn}/${key}`,
        context,
        vars: { 'transfer:UserName': dealerId },
      };
      return allows(role, request) && allows(session(dealerId).statements, request);
    };

    it('reads and lists only its own folder', () => {
      expect(may('alpha-bil', 's3:GetObject', 'feeds/alpha-bil/reports/latest.txt')).toBe(true);
      expect(may('alpha-bil', 's3:GetObject', 'feeds/beta/reports/latest.txt')).toBe(false);
      expect(may('alpha-bil', 's3:ListBucket', '', { 's3:prefix': 'feeds/alpha-bil/' })).toBe(true);
      expect(may('alpha-bil', 's3:ListBucket', '', { 's3:prefix': 'feeds/beta/' })).toBe(false);
      expect(may('alpha-bil', 's3:ListBucket', '', { 's3:prefix': 'feeds/' })).toBe(false);
    });

    it('writes only to its own inbound/', () => {
      expect(may('beta', 's3:PutObject', 'feeds/beta/inbound/lager.csv')).toBe(true);
      expect(may('beta', 's3:PutObject', 'feeds/alpha-bil/inbound/lager.csv')).toBe(false);
      for (const folder of ['reports', 'archive', 'rejected', 'outbox'])
        expect(may('beta', 's3:PutObject', `feeds/beta/${folder}/x.json`), folder).toBe(false);
    });

    it('deletes only in its own inbound/ and outbox/ (what it fetched), never reports or archive', () => {
      expect(may('beta', 's3:DeleteObject', 'feeds/beta/outbox/20261201T101010000Z-order.created-abc.json')).toBe(true);
      expect(may('beta', 's3:DeleteObject', 'feeds/beta/inbound/lager.csv')).toBe(true);
      expect(may('beta', 's3:DeleteObject', 'feeds/alpha-bil/outbox/x.json')).toBe(false);
      for (const folder of ['reports', 'archive', 'rejected'])
        expect(may('beta', 's3:DeleteObject', `feeds/beta/${folder}/x.json`), folder).toBe(false);
    });

    it("the session policy is the same text for every user and fits Transfer Family's 2,048 characters", () => {
      expect(session('alpha-bil').text).toBe(session('beta').text);
      expect(session('beta').text.length).toBeLessThan(2048);
    });
  });

  it('creates no user for a dealer without an sftp block', () => {
    expect(stack.sftpUser('gamma')).toBeUndefined();
    shardTemplate.resourcePropertiesCountIs('AWS::Transfer::User', { UserName: 'gamma' }, 0);
  });
});
