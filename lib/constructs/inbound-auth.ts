import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { tableKeys } from './deployment-facts.js';

/**
 * The inbound-key verifiers: one item per dealer with the SHA-256 of its webhook secret and
 * Vehicle API key (and their previous values during a rotation), in place of a second Secrets
 * Manager secret per dealer. The functions that verify callers may only GetItem; only the
 * operator (`wayke-dms inbound-auth set`, with the operator's own credentials) writes.
 */
export class InboundAuthTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Verifiers', {
      ...tableKeys('inboundAuth'),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Lost, every dealer's webhook and Vehicle API calls would be refused until keys are set again.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** Lets `grantee` read verifiers (GetItem), and nothing else: no writes, no Query or Scan. */
  grantVerify(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:GetItem');
  }
}
