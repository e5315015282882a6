import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { addNagPacks } from '../../lib/nag.js';
import type { WaykeDmsStack } from '../../lib/wayke-dms-stack.js';
import { buildStack, synth, withoutCfnValidation } from './synth.js';

// The full synthesis path of bin/app.ts: cdk-nag packs registered, CloudFormation validation on.
// A finding nobody acknowledged makes this throw with the report.
const { app, stack } = synth({ nag: true, cfnValidation: true, context: { alarmEmail: 'ops@dealer-group.example' } });

/** Every acknowledgement in the tree: where, which finding, why. */
function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => ({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason })),
  );
}

describe('cdk-nag', () => {
  it.each([
    ['AwsSolutions', new AwsSolutionsChecks()],
    ['Serverless', new ServerlessChecks()],
  ] as const)('%s pack: no unacknowledged finding, error or warning', (_name, pack) => {
    const report = pack.validateScope(app);
    expect(
      report.violations.map(
        (v) => `${v.severity} ${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('every acknowledgement names a rule (and finding), sits on a resource, not the stack, and gives a reason', () => {
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id, ack.path).toMatch(/^(AwsSolutions|Serverless)-[A-Za-z0-9]+(\[.+\])?$/);
      expect(ack.path, ack.id).not.toBe(stack.node.path);
      expect(ack.path.startsWith(`${stack.node.path}/`), ack.path).toBe(true);
      expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThanOrEqual(60);
    }
  });

  it('acknowledges IAM wildcard findings only finding by finding, never the whole rule', () => {
    const iam5 = acknowledgements(app).filter((ack) => ack.id.startsWith('AwsSolutions-IAM5'));
    expect(iam5.length).toBeGreaterThan(0);
    for (const ack of iam5) expect(ack.id).toMatch(/^AwsSolutions-IAM5\[Resource::.+\]$/);
    expect(iam5.some((ack) => ack.id.includes('Action::'))).toBe(false);
  });

  const roles: Array<[string, (built: WaykeDmsStack) => iam.IRole]> = [
    ['import worker', (built) => built.imports.worker.role!],
    ['webhook', (built) => built.webhooks.handler.role!],
    ['SFTP users', (built) => built.storage.sftpUserRole.role],
  ];
  const grants: Array<[string, iam.PolicyStatementProps, string]> = [
    ['a wildcard resource', { actions: ['s3:GetObject'], resources: ['*'] }, 'AwsSolutions-IAM5[Resource::*]'],
    [
      'a wildcard action',
      { actions: ['s3:*'], resources: ['arn:aws:s3:::some-bucket/feeds/x.csv'] },
      'AwsSolutions-IAM5[Action::s3:*]',
    ],
  ];
  it.each(
    roles.flatMap(([role, of]) => grants.map(([what, grant, finding]) => [what, role, of, grant, finding] as const)),
  )(
    'fails on %s added to the %s role: acknowledgements cover exact findings only',
    (_what, _role, roleOf, grant, finding) => {
      // Prepare
      const built = buildStack();
      roleOf(built.stack).addToPrincipalPolicy(new iam.PolicyStatement(grant));
      // Act
      const report = new AwsSolutionsChecks().validateScope(built.app);
      // Assess
      expect(report.success).toBe(false);
      expect(report.violations.map((v) => v.ruleName)).toContain(finding);
    },
  );

  it('stops synthesis on an unacknowledged finding (the check can fail)', () => {
    const bad = new App();
    new s3.Bucket(new Stack(bad, 'Careless'), 'OpenBucket');
    addNagPacks(bad);
    expect(() => withoutCfnValidation(() => bad.synth())).toThrow(/AwsSolutions-S10/);
  });
});
