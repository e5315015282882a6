import { ArnFormat, RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeOnPrincipal } from '../nag.js';
import type { Dealer } from '../../functions/core/dealer-config.js';

/** The value every operator-set key holds until the operator writes the real secret. */
export const SECRET_PLACEHOLDER = 'REPLACE_ME';

export interface DealerSecretsProps {
  /** Name prefix of the credential secrets, `${prefix}${dealerId}` (the Lambdas' `SECRET_PREFIX`). */
  readonly prefix: string;
}

/** Keys of the credential secret the operator must set after deploy. */
const CREDENTIAL_KEYS = ['waykeClientId', 'waykeClientSecret', 'dmsSigningSecret'] as const;

/** The secret of one dealer. */
export interface DealerSecretPair {
  /** Wayke client credentials, DMS signing secret, DMS pull token: what this system presents. */
  readonly credentials: secretsmanager.Secret;
}

const ROTATION_REASON =
  "The values are credentials issued by Wayke, by the dealer's DMS or given to Wayke; no rotation Lambda can mint new ones at the issuer. The operator rotates them with put-secret-value.";

/**
 * One Secrets Manager secret per dealer: its credentials (`waykeClientId`, `waykeClientSecret`,
 * `dmsSigningSecret`, optional `dmsApiToken`) for the import worker, DMS writer and vehicle worker.
 * What callers present to us (webhook secret, Vehicle API key) is no secret here: only its
 * verifier is stored, in the inbound-auth table (`InboundAuthTable`). The template never holds a
 * real value: credentials start as `REPLACE_ME`. The secrets are created in the dealer shards
 * ({@link DealerSecrets.addDealer}); access is granted on the name prefix.
 */
export class DealerSecrets extends Construct {
  readonly prefix: string;
  private readonly byDealer = new Map<string, DealerSecretPair>();

  constructor(scope: Construct, id: string, props: DealerSecretsProps) {
    super(scope, id);
    this.prefix = props.prefix;
  }

  /** Secrets by dealer id. */
  get secrets(): ReadonlyMap<string, DealerSecretPair> {
    return this.byDealer;
  }

  /** Creates `dealer`'s secret in `scope` (its dealer shard). */
  addDealer(scope: Construct, dealer: Dealer): DealerSecretPair {
    const credentials = new secretsmanager.Secret(scope, `Secret-${dealer.id}`, {
      secretName: `${this.prefix}${dealer.id}`,
      description: `Wayke and DMS credentials of dealer ${dealer.id}; set by the operator after deploy`,
      removalPolicy: RemovalPolicy.RETAIN,
      // Placeholders, not values: the Lambdas report "not configured yet" until the operator
      // writes the credentials Wayke and the DMS team issue.
      secretObjectValue: Object.fromEntries(
        CREDENTIAL_KEYS.map((key) => [key, SecretValue.unsafePlainText(SECRET_PLACEHOLDER)]),
      ),
    });
    Validations.of(credentials).acknowledge({ id: 'AwsSolutions-SMG4', reason: ROTATION_REASON });
    const pair = { credentials };
    this.byDealer.set(dealer.id, pair);
    return pair;
  }

  /** Lets `grantee` read every dealer's credential secret (import worker, DMS writer). */
  grantReadCredentials(grantee: iam.IGrantable): iam.Grant {
    return this.grantPrefix(grantee, this.prefix, 'credential');
  }

  /**
   * Granted on the name prefix, not per secret: one ARN per dealer would outgrow the 10 KB IAM
   * role policy limit at around a hundred dealers.
   */
  private grantPrefix(grantee: iam.IGrantable, prefix: string, purpose: string): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resourceArns: [this.prefixArn(prefix)],
    });
    acknowledgeOnPrincipal(
      grantee,
      [
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${prefix}*]`,
      ],
      `Read-only on the ${purpose} secrets' own name prefix ${prefix}: Secrets Manager appends a random suffix to every ARN, and one ARN per dealer would outgrow the IAM policy size limit.`,
    );
    return grant;
  }

  /** ARN pattern of all secrets under `prefix` (Secrets Manager appends `-XXXXXX` to each name). */
  prefixArn(prefix: string = this.prefix): string {
    return Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${prefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }
}
