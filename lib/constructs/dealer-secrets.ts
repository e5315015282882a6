import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeOnPrincipal } from '../nag.js';
import type { Dealer } from '../../functions/core/dealer-config.js';

/** The value every operator-set key holds until the operator writes the real secret. */
export const SECRET_PLACEHOLDER = 'REPLACE_ME';

export interface DealerSecretsProps {
  /** Secret name prefix: a dealer's secret is named `${prefix}${dealerId}` (the Lambdas' `SECRET_PREFIX`). */
  readonly prefix: string;
}

/**
 * One Secrets Manager secret per dealer holding the keys of `DealerSecrets` (functions/ports.ts).
 * The template never holds a real value: each secret starts with `REPLACE_ME` placeholders and a
 * generated `webhookSecret` (a usable random value the operator may keep and give to Wayke); the
 * operator writes the Wayke and DMS credentials after deploy. The secrets themselves are created
 * in the dealer shards ({@link DealerSecrets.addDealer}); access is granted on the name prefix.
 */
export class DealerSecrets extends Construct {
  /** Secret name prefix. */
  readonly prefix: string;
  private readonly byDealer = new Map<string, secretsmanager.Secret>();

  constructor(scope: Construct, id: string, props: DealerSecretsProps) {
    super(scope, id);
    this.prefix = props.prefix;
  }

  /** Secrets by dealer id. */
  get secrets(): ReadonlyMap<string, secretsmanager.Secret> {
    return this.byDealer;
  }

  /** Creates `dealer`'s secret in `scope` (its dealer shard). */
  addDealer(scope: Construct, dealer: Dealer): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(scope, `Secret-${dealer.id}`, {
      secretName: `${this.prefix}${dealer.id}`,
      description: `Wayke and DMS credentials of dealer ${dealer.id}; set by the operator after deploy`,
      removalPolicy: RemovalPolicy.RETAIN,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({
          waykeClientId: SECRET_PLACEHOLDER,
          waykeClientSecret: SECRET_PLACEHOLDER,
          dmsSigningSecret: SECRET_PLACEHOLDER,
        }),
        generateStringKey: 'webhookSecret',
        excludePunctuation: true,
        passwordLength: 48,
      },
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "The values are credentials issued by Wayke and by the dealer's DMS; no rotation Lambda can mint new ones. The operator rotates them with put-secret-value (webhookSecret rotates without downtime via previousWebhookSecret).",
    });
    this.byDealer.set(dealer.id, secret);
    return secret;
  }

  /**
   * Lets `grantee` read every dealer's secret. Granted on the name prefix, not per secret: one ARN
   * per dealer would outgrow the 10 KB IAM role policy limit at around a hundred dealers.
   */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resourceArns: [this.prefixArn()],
    });
    acknowledgeOnPrincipal(
      grantee,
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${this.prefix}*]`],
      `Read-only on the dealer secrets' own name prefix ${this.prefix}: Secrets Manager appends a random suffix to every ARN, and one ARN per dealer would outgrow the IAM policy size limit.`,
    );
    return grant;
  }

  /** ARN pattern of all dealer secrets (Secrets Manager appends `-XXXXXX` to each name). */
  prefixArn(): string {
    return Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${this.prefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }
}
