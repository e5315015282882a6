import { CfnParameter, NestedStack } from 'aws-cdk-lib';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { Dealer } from '../../functions/core/dealer-config.js';
import type { DealerSecrets } from './dealer-secrets.js';
import { DealerSftpUser } from './dealer-sftp-user.js';
import type { FeedStorage } from './feed-storage.js';

/**
 * Dealers per shard. A dealer costs up to four resources (secret, SFTP user, role, policy), and a
 * CloudFormation stack holds at most 500: 100 dealers fill a shard to 400.
 */
export const DEALERS_PER_SHARD = 100;

export interface DealerShardProps {
  /** At most {@link DEALERS_PER_SHARD} dealers. */
  readonly dealers: readonly Dealer[];
  /** Feed storage (bucket and SFTP server the users belong to). */
  readonly storage: FeedStorage;
  /** Dealer secrets (name prefix). */
  readonly secrets: DealerSecrets;
}

/**
 * The per-dealer resources of a slice of dealers — secret, SFTP user and its role — in a nested
 * stack, so a thousand dealers never meet CloudFormation's 500-resource limit of one stack. The
 * bucket and server come in as parameters with fixed names.
 */
export class DealerShard extends NestedStack {
  /** SFTP users by dealer id (dealers with an `sftp` block). */
  readonly sftpUsers: ReadonlyMap<string, DealerSftpUser>;
  /** Secrets by dealer id. */
  readonly dealerSecrets: ReadonlyMap<string, secretsmanager.Secret>;

  constructor(scope: Construct, id: string, props: DealerShardProps) {
    if (props.dealers.length > DEALERS_PER_SHARD) throw new Error(`A dealer shard holds at most ${DEALERS_PER_SHARD} dealers`);
    super(scope, id, {
      // ASCII only: CloudFormation rejects some characters in descriptions.
      description: `wayke-dms dealers ${props.dealers[0]?.id ?? ''} to ${props.dealers.at(-1)?.id ?? ''}: secrets and SFTP users`,
      parameters: {
        FeedBucketName: props.storage.bucket.bucketName,
        FeedBucketArn: props.storage.bucket.bucketArn,
        SftpServerId: props.storage.server.attrServerId,
      },
    });
    const bucketName = new CfnParameter(this, 'FeedBucketName', { type: 'String' }).valueAsString;
    const bucketArn = new CfnParameter(this, 'FeedBucketArn', { type: 'String' }).valueAsString;
    const serverId = new CfnParameter(this, 'SftpServerId', { type: 'String' }).valueAsString;

    const users = new Map<string, DealerSftpUser>();
    const secrets = new Map<string, secretsmanager.Secret>();
    for (const dealer of props.dealers) {
      secrets.set(dealer.id, props.secrets.addDealer(this, dealer));
      if (!dealer.sftp) continue;
      users.set(
        dealer.id,
        new DealerSftpUser(this, `Sftp-${dealer.id}`, {
          dealerId: dealer.id,
          publicKeys: dealer.sftp.publicKeys,
          serverId,
          bucketName,
          bucketArn,
          bucketArnInFindings: '<FeedBucketArn>',
        }),
      );
    }
    this.sftpUsers = users;
    this.dealerSecrets = secrets;
  }
}

/** Splits dealers into shards of at most {@link DEALERS_PER_SHARD}, in config order. */
export function shardDealers<T>(dealers: readonly T[], size = DEALERS_PER_SHARD): T[][] {
  const shards: T[][] = [];
  for (let i = 0; i < dealers.length; i += size) shards.push(dealers.slice(i, i + size));
  return shards;
}
