import { createHash } from 'node:crypto';
import { CfnParameter, NestedStack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Dealer } from '../../functions/core/dealer-config.js';
import { ConfigError } from '../../functions/core/errors.js';
import type { DealerSecretPair, DealerSecrets } from './dealer-secrets.js';
import { DealerSftpUser } from './dealer-sftp-user.js';
import type { FeedStorage } from './feed-storage.js';
import { sftpSessionPolicy } from './sftp-user-role.js';

/**
 * Dealers per shard at most. A dealer costs up to three resources (two secrets, SFTP user), and a
 * CloudFormation stack holds at most 500 (we keep under 450): 100 dealers fill a shard to 300.
 */
export const DEALERS_PER_SHARD = 100;

/**
 * Number of shards dealers are hashed into. Fixed for the life of a deployment: a dealer's shard
 * depends on its id alone, so adding or removing a dealer never moves another one between nested
 * stacks (a move would recreate its secret and SFTP user, whose names are fixed, and fail).
 * 32 shards of 100 hold some 2,500 dealers before the fullest shard reaches its limit.
 */
export const SHARD_COUNT = 32;

export interface DealerShardProps {
  /** At most {@link DEALERS_PER_SHARD} dealers. */
  readonly dealers: readonly Dealer[];
  /** Feed storage (bucket and SFTP server the users belong to). */
  readonly storage: FeedStorage;
  /** Dealer secrets (name prefix). */
  readonly secrets: DealerSecrets;
}

/**
 * The per-dealer resources of one shard of dealers — secrets and SFTP user — in a nested
 * stack, so a thousand dealers never meet CloudFormation's 500-resource limit of one stack. The
 * bucket and server come in as parameters with fixed names.
 */
export class DealerShard extends NestedStack {
  /** SFTP users by dealer id (dealers with an `sftp` block). */
  readonly sftpUsers: ReadonlyMap<string, DealerSftpUser>;
  /** Secrets by dealer id. */
  readonly dealerSecrets: ReadonlyMap<string, DealerSecretPair>;

  constructor(scope: Construct, id: string, props: DealerShardProps) {
    if (props.dealers.length > DEALERS_PER_SHARD)
      throw new Error(`A dealer shard holds at most ${DEALERS_PER_SHARD} dealers`);
    super(scope, id, {
      // ASCII only: CloudFormation rejects some characters in descriptions.
      description: `wayke-dms dealers ${props.dealers[0]?.id ?? ''} to ${props.dealers.at(-1)?.id ?? ''}: secrets and SFTP users`,
      parameters: {
        FeedBucketName: props.storage.bucket.bucketName,
        FeedBucketArn: props.storage.bucket.bucketArn,
        SftpServerId: props.storage.server.attrServerId,
        SftpUserRoleArn: props.storage.sftpUserRole.role.roleArn,
      },
    });
    const bucketName = new CfnParameter(this, 'FeedBucketName', { type: 'String' }).valueAsString;
    const bucketArn = new CfnParameter(this, 'FeedBucketArn', { type: 'String' }).valueAsString;
    const serverId = new CfnParameter(this, 'SftpServerId', { type: 'String' }).valueAsString;
    const roleArn = new CfnParameter(this, 'SftpUserRoleArn', { type: 'String' }).valueAsString;
    const sessionPolicy = sftpSessionPolicy(this, bucketArn);

    const users = new Map<string, DealerSftpUser>();
    const secrets = new Map<string, DealerSecretPair>();
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
          roleArn,
          sessionPolicy,
        }),
      );
    }
    this.sftpUsers = users;
    this.dealerSecrets = secrets;
  }
}

/** The shard of a dealer: a stable hash of its id, modulo {@link SHARD_COUNT}. */
export function shardOf(dealerId: string, shardCount = SHARD_COUNT): number {
  return createHash('sha256').update(dealerId).digest().readUInt32BE(0) % shardCount;
}

/**
 * Groups dealers by {@link shardOf}, keeping config order inside a shard; only non-empty shards
 * appear. Throws {@link ConfigError} when a shard would exceed {@link DEALERS_PER_SHARD}.
 */
export function shardDealers<T extends { readonly id: string }>(
  dealers: readonly T[],
  shardCount = SHARD_COUNT,
  capacity = DEALERS_PER_SHARD,
): Map<number, T[]> {
  const shards = new Map<number, T[]>();
  for (const dealer of dealers) {
    const index = shardOf(dealer.id, shardCount);
    const shard = shards.get(index) ?? [];
    shard.push(dealer);
    shards.set(index, shard);
  }
  for (const [index, shard] of shards) {
    if (shard.length > capacity) {
      throw new ConfigError(
        `Dealer shard ${index} would hold ${shard.length} dealers, more than the ${capacity} a CloudFormation stack has room for; ` +
          `with ${dealers.length} dealers the shard count (SHARD_COUNT in lib/constructs/dealer-shard.ts) must grow, which moves dealers between shards: plan that as a migration.`,
      );
    }
  }
  return new Map([...shards].sort(([a], [b]) => a - b));
}
