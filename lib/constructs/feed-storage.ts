import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as transfer from 'aws-cdk-lib/aws-transfer';
import { Construct } from 'constructs';
import { acknowledgeOnPrincipal, arnFinding } from '../nag.js';

/** The tag the import worker puts on archived feeds; the lifecycle rule expires by it. */
export const ARCHIVED_TAG = { key: 'wayke-dms:archived', value: 'true' } as const;

/** The Transfer Family security policy: SSH algorithms without SHA-1 or CBC. */
export const SFTP_SECURITY_POLICY = 'TransferSecurityPolicy-2024-01';

export interface FeedStorageProps {
  /** Days archived feeds are kept before the lifecycle rule deletes them. */
  readonly archiveRetentionDays: number;
  /** Days replaced or deleted object versions are kept. */
  readonly noncurrentVersionRetentionDays: number;
  /** Retention of the SFTP server's log group. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * Where dealer feeds land and live: the versioned feed bucket (layout `feeds/<dealerId>/…`, see
 * TEAM conventions) with EventBridge notifications on, its access-log bucket, and the Transfer
 * Family SFTP server. The per-dealer users ({@link DealerSftpUser}) live in the dealer shards.
 */
export class FeedStorage extends Construct {
  /** The feed bucket. */
  readonly bucket: s3.Bucket;
  /** Bucket receiving the feed bucket's server access logs. */
  readonly accessLogBucket: s3.Bucket;
  /** The SFTP server. */
  readonly server: transfer.CfnServer;
  /** Host name dealers connect to. */
  readonly sftpEndpoint: string;

  constructor(scope: Construct, id: string, props: FeedStorageProps) {
    super(scope, id);

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is the destination of the feed bucket access logs; logging it would need yet another bucket and adds nothing an auditor uses.',
    });

    this.bucket = new s3.Bucket(this, 'Feeds', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'feeds-bucket/',
      lifecycleRules: [
        {
          id: 'expire-archived-feeds',
          tagFilters: { [ARCHIVED_TAG.key]: ARCHIVED_TAG.value },
          expiration: Duration.days(props.archiveRetentionDays),
        },
        {
          id: 'expire-old-versions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionRetentionDays),
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });

    // EventBridge notifications through the bucket's own CloudFormation property rather than
    // `eventBridgeEnabled`, which deploys a custom-resource Lambda with s3:PutBucketNotification on *.
    (this.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };

    const serverLogs = new logs.LogGroup(this, 'SftpLogs', { retention: props.logRetention });
    const loggingRole = new iam.Role(this, 'SftpLoggingRole', {
      assumedBy: new iam.ServicePrincipal('transfer.amazonaws.com'),
      description: 'Lets the SFTP server write its logs',
    });
    serverLogs.grantWrite(loggingRole);

    this.server = new transfer.CfnServer(this, 'SftpServer', {
      protocols: ['SFTP'],
      domain: 'S3',
      endpointType: 'PUBLIC',
      identityProviderType: 'SERVICE_MANAGED',
      securityPolicyName: SFTP_SECURITY_POLICY,
      loggingRole: loggingRole.roleArn,
      structuredLogDestinations: [serverLogs.logGroupArn],
    });
    this.sftpEndpoint = `${this.server.attrServerId}.server.transfer.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`;
  }

  /**
   * What the import worker needs on every dealer's feeds: list, read, move (copy + delete) from
   * `inbound/` to `archive/` or `rejected/` with the archive tag, and write reports.
   */
  grantImport(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:ListBucket'],
      resourceArns: [this.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': ['feeds/*'] } },
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject', 's3:GetObjectTagging', 's3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject'],
      resourceArns: [this.bucket.arnForObjects('feeds/*')],
    });
    acknowledgeOnPrincipal(
      grantee,
      [arnFinding(this.bucket.node.defaultChild as s3.CfnBucket, '/feeds/*')],
      'The import worker serves every dealer, so it works under feeds/<any dealer>/; the bucket holds nothing else it could reach.',
    );
  }

  /** What the DMS writer needs: write events into each outbox dealer's `feeds/<dealerId>/outbox/`. */
  grantOutboxWrite(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.bucket.arnForObjects('feeds/*/outbox/*')] });
    acknowledgeOnPrincipal(
      grantee,
      [arnFinding(this.bucket.node.defaultChild as s3.CfnBucket, '/feeds/*/outbox/*')],
      "The DMS writer delivers for every outbox dealer; it may only put objects, and only under a dealer's outbox/.",
    );
  }
}

/** `feeds/<dealerId>`: the dealer's prefix in the feed bucket. */
export function dealerPrefix(dealerId: string): string {
  return `feeds/${dealerId}`;
}
