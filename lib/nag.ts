import { Stack, Validations, type App, type CfnResource } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';

/**
 * Runs the cdk-nag `AwsSolutions` and `Serverless` packs on every synth. cdk-nag 3 is a policy
 * validation plugin (its Aspect path fails with `aspect.visit is not a function`); an
 * unacknowledged finding stops synthesis with the report.
 */
export function addNagPacks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}

/**
 * Acknowledges cdk-nag findings on `scope` (and everything under it) with one reason. cdk-nag 3
 * matches a finding only by its exact id, e.g. `AwsSolutions-IAM5[Resource::<Bucket.Arn>/feeds/*]`.
 */
export function acknowledge(scope: IConstruct, ids: readonly string[], reason: string): void {
  Validations.of(scope).acknowledge(...ids.map((id) => ({ id, reason })));
}

/**
 * How cdk-nag spells a resource ARN under a resource's `Arn` attribute in an IAM5 finding:
 * `Resource::<LogicalId.Arn>/suffix`.
 */
export function arnFinding(resource: CfnResource, suffix: string): string {
  const logicalId = Stack.of(resource).resolve(resource.logicalId) as string;
  return `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>${suffix}]`;
}

/** Acknowledges findings on the policy of `grantee`'s principal (a function's role, say). */
export function acknowledgeOnPrincipal(grantee: IGrantable, ids: readonly string[], reason: string): void {
  const principal = grantee.grantPrincipal;
  acknowledge(Construct.isConstruct(principal) ? principal : (grantee as unknown as IConstruct), ids, reason);
}
