import { describe, expect, it } from 'vitest';
import { SECRET_PLACEHOLDER } from '../../lib/constructs/dealer-secrets.js';
import { logicalId, shardsTemplate, synth } from './synth.js';

const { template, stack } = synth({ context: { secretPrefix: 'acme/wayke/' } });
type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;
const resources = template.toJSON().Resources as Resources;
// The secrets live in the dealer shards (nested stacks); the grants in the main stack.
const shardResources = shardsTemplate(stack).toJSON().Resources as Resources;
const secrets = Object.values(shardResources).filter((r) => r.Type === 'AWS::SecretsManager::Secret');

/** The Allow statements of the policies attached to a function's role. */
function statementsOfFunction(functionId: string): Array<{ Action: string | string[]; Resource: unknown }> {
  const roleId = (resources[functionId]!.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((r) => r.Properties.PolicyDocument.Statement);
}
const readsSecrets = (functionId: string) =>
  statementsOfFunction(functionId).some((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));

describe('dealer secrets', () => {
  it('has one secret per dealer, named <prefix><dealerId>, retained on stack deletion', () => {
    expect(secrets.map((s) => s.Properties.Name).sort()).toEqual(['acme/wayke/alpha-bil', 'acme/wayke/beta', 'acme/wayke/gamma']);
    for (const secret of secrets) expect(secret.DeletionPolicy).toBe('Retain');
    expect(Object.values(resources).some((r) => r.Type === 'AWS::SecretsManager::Secret')).toBe(false);
  });

  it('holds no value in the template: placeholders and a generated webhook secret only', () => {
    for (const secret of secrets) {
      expect(secret.Properties.SecretString).toBeUndefined();
      const generate = secret.Properties.GenerateSecretString;
      expect(generate.GenerateStringKey).toBe('webhookSecret');
      expect(JSON.parse(generate.SecretStringTemplate)).toEqual({
        waykeClientId: SECRET_PLACEHOLDER,
        waykeClientSecret: SECRET_PLACEHOLDER,
        dmsSigningSecret: SECRET_PLACEHOLDER,
      });
    }
  });

  it('tells the Lambdas the prefix (SECRET_PREFIX)', () => {
    for (const fn of Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables.SECRET_PREFIX).toBe('acme/wayke/');
    }
  });

  it('lets import worker, webhook and DMS writer read them, and not the scheduler', () => {
    expect(readsSecrets(logicalId(stack, stack.imports.worker))).toBe(true);
    expect(readsSecrets(logicalId(stack, stack.webhooks.handler))).toBe(true);
    expect(readsSecrets(logicalId(stack, stack.delivery.writer))).toBe(true);
    expect(readsSecrets(logicalId(stack, stack.imports.scheduler))).toBe(false);
  });

  it('grants read-only access on the prefix, nothing more', () => {
    const statement = statementsOfFunction(logicalId(stack, stack.webhooks.handler)).find((s) =>
      [s.Action].flat().includes('secretsmanager:GetSecretValue'),
    )!;
    expect([statement.Action].flat().sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(JSON.stringify(statement.Resource)).toMatch(/:secret:acme\/wayke\/\*"/);
  });
});
