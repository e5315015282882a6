import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synth } from './synth.js';

const { template, stack } = synth();
type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
// The main stack and every dealer shard (nested stacks with the SFTP roles).
const resources: Resources = Object.assign(
  {},
  template.toJSON().Resources as Resources,
  ...stack.dealerShards.map((shard) => Template.fromStack(shard).toJSON().Resources as Resources),
);

interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every policy statement anywhere in a value (IAM policies, role trust, bucket/queue/topic policies…). */
function statementsIn(value: unknown, where: string, out: Array<{ where: string; statement: Statement }> = []) {
  if (Array.isArray(value)) value.forEach((item, i) => statementsIn(item, `${where}[${i}]`, out));
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === 'Statement' && Array.isArray(child))
        for (const statement of child) out.push({ where, statement: statement as Statement });
      else statementsIn(child, `${where}.${key}`, out);
    }
  }
  return out;
}

/** Problems with wildcard actions: an Allow may name no `*` action at all; a Deny may only in a TLS guard. */
function wildcardProblems(all: Array<{ where: string; statement: Statement }>): string[] {
  const problems: string[] = [];
  for (const { where, statement } of all) {
    if (statement.NotAction !== undefined && statement.Effect === 'Allow')
      problems.push(`${where}: Allow with NotAction`);
    const wildcards = [statement.Action ?? []].flat().filter((action) => action.includes('*'));
    if (wildcards.length === 0) continue;
    const tlsGuard = statement.Effect === 'Deny' && statement.Condition?.Bool?.['aws:SecureTransport'] === 'false';
    if (!tlsGuard) problems.push(`${where}: ${statement.Effect} ${wildcards.join(', ')}`);
  }
  return problems;
}

describe('IAM', () => {
  const all = Object.entries(resources).flatMap(([id, resource]) => statementsIn(resource.Properties, id));

  it('finds the policies it walks (roles, policies, bucket and queue policies)', () => {
    const walked = new Set(all.map(({ where }) => resources[where.split('.')[0]!]!.Type));
    for (const type of ['AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy'])
      expect(walked).toContain(type);
  });

  it('grants no action with a wildcard anywhere; wildcard actions appear only in Deny-without-TLS guards', () => {
    expect(wildcardProblems(all)).toEqual([]);
  });

  it('grants nothing on Resource "*" (no X-Ray, whose actions are the only ones that would need it)', () => {
    const onEverything = all.filter(
      ({ statement }) =>
        statement.Effect === 'Allow' && [(statement as { Resource?: unknown }).Resource].flat().includes('*'),
    );
    expect(onEverything.map(({ where }) => where)).toEqual([]);
  });

  it('attaches no AWS managed policy to any role', () => {
    for (const [id, resource] of Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Role')) {
      expect(resource.Properties?.ManagedPolicyArns, id).toBeUndefined();
    }
  });

  it('the walk catches a wildcard grant (the check can fail)', () => {
    const planted = {
      Policy: { PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:*'], Resource: '*' }] } },
    };
    expect(wildcardProblems(statementsIn(planted, 'Planted'))).toEqual(['Planted.Policy.PolicyDocument: Allow s3:*']);
    const star = { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    expect(wildcardProblems(statementsIn({ Doc: star }, 'Star'))).toHaveLength(1);
  });
});
