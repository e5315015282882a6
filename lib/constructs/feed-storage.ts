import { Duration, RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as transfer from 'aws-cdk-lib/aws-transfer';
import { Construct } from 'constructs';
import { ARCHIVED_TAG, OUTBOX_TAG, REPORT_TAG, type ObjectTag } from '../../functions/core/storage-tags.js';
import { acknowledgeOnPrincipal, arnFinding } from '../nag.js';
import { grantObjectsUnder } from './bucket-grants.js';
import { SftpVpcEndpoint } from './sftp-network.js';
import { SftpUserRole } from './sftp-user-role.js';

/** The Transfer Family security policy: SSH algorithms without SHA-1 or CBC. */
export const SFTP_SECURITY_POLICY = 'TransferSecurityPolicy-2024-01';

export interface FeedStorageProps {
  /** Days archived feeds are kept before the lifecycle rule deletes them. */
  readonly archiveRetentionDays: number;
  /** Days replaced or deleted object versions are kept. */
  readonly noncurrentVersionRetentionDays: number;
  /** Days a timestamped run report (`reports/<ts>.json`) is kept; `latest.*` stay. */
  readonly reportRetentionDays: number;
  /** Days an outbox event file is kept if the dealer has not deleted it. */
  readonly outboxRetentionDays: number;
  /**
   * Name or ARN of a Secrets Manager secret holding the server's SSH host private key (OpenSSH
   * format). Set it to keep the host key dealers have pinned when the server must be recreated.
   */
  readonly sftpHostKeySecret?: string;
  /** `public` (AWS's addresses) or `vpc` (an internet-facing VPC endpoint on Elastic IPs dealers can allow-list). */
  readonly sftpEndpointType: 'public' | 'vpc';
  /** With `vpc`: IPv4 ranges allowed to reach port 22. */
  readonly sftpAllowedCidrs: readonly string[];
  /**
   * Host name dealers use instead of the server's AWS name; with `hostedZoneId` a CNAME record in
   * that Route 53 zone is created, otherwise the operator creates it.
   */
  readonly sftpHostname?: { readonly name: string; readonly hostedZoneId?: string };
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
  /** Host name dealers connect to (`sftpHostname`, or the server's AWS name). */
  readonly sftpEndpoint: string;
  /** The server's own AWS host name (what a custom host name points at). */
  readonly sftpServerHost: string;
  /** The VPC endpoint, with `sftpEndpointType: 'vpc'`. */
  readonly vpcEndpoint?: SftpVpcEndpoint;
  /** The one role every dealer's SFTP user works with (scoped per user by its session policy). */
  readonly sftpUserRole: SftpUserRole;

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
      reason:
        'This bucket is the destination of the feed bucket access logs; logging it would need yet another bucket and adds nothing an auditor uses.',
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
        expireTagged('expire-archived-feeds', ARCHIVED_TAG, props.archiveRetentionDays),
        expireTagged('expire-reports', REPORT_TAG, props.reportRetentionDays),
        expireTagged('expire-outbox', OUTBOX_TAG, props.outboxRetentionDays),
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

    // Structured logging only: with a LoggingRole as well, Transfer Family also writes role-based
    // logs to /aws/transfer/<server-id>, a group this stack neither creates nor retains.
    const serverLogs = new logs.LogGroup(this, 'SftpLogs', { retention: props.logRetention });
    if (props.sftpEndpointType === 'vpc') {
      this.vpcEndpoint = new SftpVpcEndpoint(this, 'SftpNetwork', {
        allowedCidrs: props.sftpAllowedCidrs,
        logRetention: props.logRetention,
      });
    }
    this.server = new transfer.CfnServer(this, 'SftpServer', {
      protocols: ['SFTP'],
      domain: 'S3',
      endpointType: this.vpcEndpoint ? 'VPC' : 'PUBLIC',
      endpointDetails: this.vpcEndpoint?.endpointDetails(),
      identityProviderType: 'SERVICE_MANAGED',
      securityPolicyName: SFTP_SECURITY_POLICY,
      structuredLogDestinations: [serverLogs.logGroupArn],
      // WinSCP and many DMS exporters send SETSTAT (times, permissions) after an upload; S3 has no
      // such attributes, and without NO_OP the client reports the upload as failed.
      protocolDetails: { setStatOption: 'ENABLE_NO_OP' },
    });
    // Every dealer's DMS is configured with this host and has pinned its host key: a stack
    // replacement must not take them away.
    this.server.applyRemovalPolicy(RemovalPolicy.RETAIN);
    serverLogs.applyRemovalPolicy(RemovalPolicy.RETAIN);
    if (props.sftpHostKeySecret) {
      const hostKey = new transfer.CfnHostKey(this, 'SftpHostKey', {
        serverId: this.server.attrServerId,
        description: 'Imported host key (kept across server replacement)',
        hostKeyBody: SecretValue.secretsManager(props.sftpHostKeySecret).unsafeUnwrap(),
      });
      hostKey.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }
    this.sftpUserRole = new SftpUserRole(this, 'SftpUserRole', {
      bucket: this.bucket,
      serverId: this.server.attrServerId,
    });
    this.sftpServerHost = `${this.server.attrServerId}.server.transfer.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`;
    this.sftpEndpoint = props.sftpHostname?.name ?? this.sftpServerHost;
    if (props.sftpHostname?.hostedZoneId) {
      new route53.CfnRecordSet(this, 'SftpHostname', {
        hostedZoneId: props.sftpHostname.hostedZoneId,
        name: `${props.sftpHostname.name}.`,
        type: 'CNAME',
        ttl: '300',
        resourceRecords: [this.sftpServerHost],
      });
    }
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
      actions: ['s3:GetObject', 's3:GetObjectTagging', 's3:PutObject', 's3:PutObjectTagging'],
      resourceArns: [this.bucket.arnForObjects('feeds/*')],
    });
    // Moving a feed to archive/ or rejected/ deletes it from inbound/; nothing else is ever deleted.
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:DeleteObject'],
      resourceArns: [this.bucket.arnForObjects('feeds/*/inbound/*')],
    });
    acknowledgeOnPrincipal(
      grantee,
      [
        arnFinding(this.bucket.node.defaultChild as s3.CfnBucket, '/feeds/*'),
        arnFinding(this.bucket.node.defaultChild as s3.CfnBucket, '/feeds/*/inbound/*'),
      ],
      'The import worker serves every dealer, so it works under feeds/<any dealer>/ (deleting only under inbound/); the bucket holds nothing else it could reach.',
    );
  }

  /**
   * What the DMS writer needs: write events into each outbox dealer's `feeds/<dealerId>/outbox/`,
   * tagged to expire (PutObject with `Tagging` needs PutObjectTagging too).
   */
  grantOutboxWrite(grantee: iam.IGrantable): void {
    grantObjectsUnder(grantee, {
      bucket: this.bucket,
      actions: ['s3:PutObject', 's3:PutObjectTagging'],
      pattern: 'feeds/*/outbox/*',
      reason:
        "The DMS writer delivers for every outbox dealer; it may only put objects, and only under a dealer's outbox/.",
    });
  }
}

/** A lifecycle rule expiring objects that carry `tag` after `days`. */
function expireTagged(id: string, tag: ObjectTag, days: number): s3.LifecycleRule {
  return { id, tagFilters: { [tag.Key]: tag.Value }, expiration: Duration.days(days) };
}

/** `feeds/<dealerId>`: the dealer's prefix in the feed bucket. */
export function dealerPrefix(dealerId: string): string {
  return `feeds/${dealerId}`;
}
