import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, arnFinding } from '../nag.js';

/** Transfer Family's policy variable for the logged-in user (= the dealer id). */
const USER = '${transfer:UserName}';

export interface SftpUserRoleProps {
  /** The feed bucket (dealer homes are `feeds/<dealerId>`). */
  readonly bucket: s3.IBucket;
  /** The SFTP server whose users may assume the role (trust policy source condition). */
  readonly serverId: string;
}

/**
 * The one IAM role every dealer's SFTP user works with, so IAM roles never grow with the number
 * of dealers (the account's default quota is 1,000 roles). The role reaches `feeds/*` as a whole;
 * each user's session policy ({@link sftpSessionPolicy}) narrows it to
 * `feeds/${transfer:UserName}/`, and the effective access is the intersection of the two: list and
 * read the dealer's own folder, write only to `inbound/`, delete only in `inbound/` and `outbox/`.
 */
export class SftpUserRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SftpUserRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const bucketArn = props.bucket.bucketArn;
    this.role = new iam.Role(this, 'Role', {
      // Only this account's server, only for its users (confused-deputy guard).
      assumedBy: new iam.ServicePrincipal('transfer.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'transfer',
              resource: 'user',
              resourceName: `${props.serverId}/*`,
            }),
          },
        },
      }),
      description: 'SFTP access of the dealers to feeds/<dealerId>/ (narrowed per user by its session policy)',
    });
    for (const statement of dealerStatements(bucketArn, '*'))
      this.role.addToPrincipalPolicy(iam.PolicyStatement.fromJson(statement));
    const bucket = props.bucket.node.defaultChild as s3.CfnBucket;
    acknowledge(
      this.role,
      ['/feeds/*/*', '/feeds/*/inbound/*', '/feeds/*/outbox/*'].map((suffix) => arnFinding(bucket, suffix)),
      "The role serves every dealer's SFTP user; each user's session policy narrows it to feeds/${transfer:UserName}/, and Transfer Family's logical home keeps the user inside that folder too.",
    );
  }
}

/**
 * The session policy of every dealer's SFTP user (one JSON string, the same for all, under the
 * 2,048 characters Transfer Family allows), built in `scope`'s stack from `bucketArn`.
 */
export function sftpSessionPolicy(scope: Construct, bucketArn: string): string {
  return Stack.of(scope).toJsonString({ Version: '2012-10-17', Statement: dealerStatements(bucketArn, USER) });
}

/**
 * What a dealer may do in `feeds/<dealer>/`: the role uses `*` for every dealer, the session
 * policy `${transfer:UserName}` for the one logged in. One function, so the two never drift.
 */
function dealerStatements(bucketArn: string, dealer: string): Array<Record<string, unknown>> {
  const home = `feeds/${dealer}`;
  return [
    {
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: bucketArn,
      Condition: { StringLike: { 's3:prefix': [home, `${home}/*`] } },
    },
    { Effect: 'Allow', Action: ['s3:GetBucketLocation'], Resource: bucketArn },
    { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: `${bucketArn}/${home}/*` },
    {
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
      Resource: `${bucketArn}/${home}/inbound/*`,
    },
    // A dealer removes an upload it regrets, and what it fetched from its outbox.
    {
      Effect: 'Allow',
      Action: ['s3:DeleteObject'],
      Resource: [`${bucketArn}/${home}/inbound/*`, `${bucketArn}/${home}/outbox/*`],
    },
  ];
}
