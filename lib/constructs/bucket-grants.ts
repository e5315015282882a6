import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeOnPrincipal, arnFinding } from '../nag.js';

/** Object actions on one key pattern of a bucket, and why the pattern's wildcard is safe. */
export interface ObjectGrant {
  readonly bucket: s3.IBucket;
  readonly actions: readonly string[];
  /** The key pattern (`events/*`, say); a `*` in it stands for a dealer or an id. */
  readonly pattern: string;
  /** Why the wildcard is safe: the acknowledgement of the cdk-nag finding it raises. */
  readonly reason: string;
}

/** Grants `actions` on the objects under `pattern` only, and acknowledges that pattern's wildcard finding. */
export function grantObjectsUnder(grantee: iam.IGrantable, grant: ObjectGrant): void {
  iam.Grant.addToPrincipal({
    grantee,
    actions: [...grant.actions],
    resourceArns: [grant.bucket.arnForObjects(grant.pattern)],
  });
  acknowledgeOnPrincipal(
    grantee,
    [arnFinding(grant.bucket.node.defaultChild as s3.CfnBucket, `/${grant.pattern}`)],
    grant.reason,
  );
}
