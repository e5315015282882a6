import * as iam from 'aws-cdk-lib/aws-iam';
import * as transfer from 'aws-cdk-lib/aws-transfer';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { dealerPrefix } from './feed-storage.js';

export interface DealerSftpUserProps {
  /** The dealer id: the SFTP user name and the `feeds/<dealerId>` prefix. */
  readonly dealerId: string;
  /** OpenSSH public key lines the dealer logs in with (none: the user exists but cannot log in yet). */
  readonly publicKeys: readonly string[];
  /** Transfer Family server id. */
  readonly serverId: string;
  /** Feed bucket name. */
  readonly bucketName: string;
  /** Feed bucket ARN. */
  readonly bucketArn: string;
  /**
   * How cdk-nag renders `bucketArn` in a finding (`<FeedBucketArn>` for a parameter), so the
   * wildcard findings on this dealer's own prefix can be acknowledged one by one.
   */
  readonly bucketArnInFindings: string;
}

/**
 * One dealer's SFTP access: a service-managed Transfer Family user whose logical home `/` is
 * `/<bucket>/feeds/<dealerId>`, and its own role: list only that prefix, read everything under it
 * (the dealer may fetch its import reports), write and delete only under `inbound/`.
 */
export class DealerSftpUser extends Construct {
  /** The Transfer Family user. */
  readonly user: transfer.CfnUser;
  /** The role the user works with. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: DealerSftpUserProps) {
    super(scope, id);
    const prefix = dealerPrefix(props.dealerId);
    const objects = (suffix: string) => `${props.bucketArn}/${prefix}/${suffix}`;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('transfer.amazonaws.com'),
      description: `SFTP access of dealer ${props.dealerId} to ${prefix}/ in the feed bucket`,
    });
    iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: ['s3:ListBucket'],
      resourceArns: [props.bucketArn],
      conditions: { StringLike: { 's3:prefix': [prefix, `${prefix}/*`] } },
    });
    iam.Grant.addToPrincipal({ grantee: this.role, actions: ['s3:GetBucketLocation'], resourceArns: [props.bucketArn] });
    iam.Grant.addToPrincipal({ grantee: this.role, actions: ['s3:GetObject', 's3:GetObjectVersion'], resourceArns: [objects('*')] });
    iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
      resourceArns: [objects('inbound/*')],
    });
    acknowledge(
      this.role,
      [`${prefix}/*`, `${prefix}/inbound/*`].map((suffix) => `AwsSolutions-IAM5[Resource::${props.bucketArnInFindings}/${suffix}]`),
      `The wildcard is the object key below this dealer's own prefix ${prefix}/ (S3 has no finer unit); other dealers' prefixes stay out of reach, and writes are limited to inbound/.`,
    );

    this.user = new transfer.CfnUser(this, 'User', {
      serverId: props.serverId,
      userName: props.dealerId,
      role: this.role.roleArn,
      homeDirectoryType: 'LOGICAL',
      homeDirectoryMappings: [{ entry: '/', target: `/${props.bucketName}/${prefix}` }],
      sshPublicKeys: props.publicKeys.length > 0 ? [...props.publicKeys] : undefined,
    });
  }
}
