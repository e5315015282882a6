import { describe, expect, it } from 'vitest';
import { SECRET_PLACEHOLDER } from '../../lib/constructs/dealer-secrets.js';
import { ACCOUNT, REGION, allows, roleStatements } from './iam-eval.js';
import { logicalId, shardsTemplate, synth } from './synth.js';

const { template, stack } = synth({ context: { secretPrefix: 'acme/wayke/' } });
type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;
const resources = template.toJSON().Resources as Resources;
// The secrets live in the dealer shards (nested stacks); the grants in the main stack.
const shardResources = shardsTemplate(stack).toJSON().Resources as Resources;
const secrets = Object.values(shardResources).filter((r) => r.Type === 'AWS::SecretsManager::Secret');
const named = (prefix: string) => secrets.filter((s) => (s.Properties.Name as string).startsWith(prefix));

/** The statements of a function's role, intrinsics resolved. */
function statementsOfFunction(functionId: string) {
  const roleId = (resources[functionId]!.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return roleStatements(resources, roleId);
}
/** Can the function read the secret named `name` (Secrets Manager appends a random suffix to the ARN)? */
const canRead = (functionId: string, name: string) =>
  allows(statementsOfFunction(functionId), {
    action: 'secretsmanager:GetSecretValue',
    resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`,
  });

describe('dealer secrets', () => {
  it('has one secret per dealer, <secretPrefix><id>, retained on stack deletion, and no other secret', () => {
    expect(secrets.map((s) => s.Properties.Name).sort()).toEqual([
      'acme/wayke/alpha-bil',
      'acme/wayke/beta',
      'acme/wayke/gamma',
    ]);
    for (const secret of secrets) expect(secret.DeletionPolicy).toBe('Retain');
    expect(Object.values(resources).some((r) => r.Type === 'AWS::SecretsManager::Secret')).toBe(false);
  });

  it('holds no value in the template: credential placeholders', () => {
    for (const secret of named('acme/wayke/')) {
      expect(secret.Properties.GenerateSecretString).toBeUndefined();
      expect(JSON.parse(secret.Properties.SecretString)).toEqual({
        waykeClientId: SECRET_PLACEHOLDER,
        waykeClientSecret: SECRET_PLACEHOLDER,
        dmsSigningSecret: SECRET_PLACEHOLDER,
      });
    }
  });

  it('tells the Lambdas the credential prefix (SECRET_PREFIX), and no inbound secret prefix', () => {
    for (const fn of Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables).toMatchObject({ SECRET_PREFIX: 'acme/wayke/' });
      expect(fn.Properties.Environment.Variables.INBOUND_SECRET_PREFIX).toBeUndefined();
    }
  });

  it('the internet-facing webhook and Vehicle API cannot read any secret, of any prefix', () => {
    for (const fn of [stack.webhooks.handler, stack.vehicleApi.handler]) {
      for (const name of ['acme/wayke/alpha-bil', 'wayke-dms/inbound/alpha-bil', 'anything'])
        expect(canRead(logicalId(stack, fn), name), name).toBe(false);
      const grants = JSON.stringify(statementsOfFunction(logicalId(stack, fn)));
      expect(grants).not.toContain('secretsmanager');
    }
  });

  it('import worker, DMS writer and vehicle worker read credentials; the scheduler reads nothing', () => {
    for (const fn of [stack.imports.worker, stack.delivery.writer, stack.vehicleApi.worker])
      expect(canRead(logicalId(stack, fn), 'acme/wayke/beta')).toBe(true);
    expect(canRead(logicalId(stack, stack.imports.scheduler), 'acme/wayke/beta')).toBe(false);
  });

  it('grants read-only access, nothing more (no put, no delete, no list)', () => {
    const worker = statementsOfFunction(logicalId(stack, stack.imports.worker));
    const resource = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:acme/wayke/beta-AbCdEf`;
    for (const action of [
      'secretsmanager:PutSecretValue',
      'secretsmanager:DeleteSecret',
      'secretsmanager:UpdateSecret',
    ]) {
      expect(allows(worker, { action, resource }), action).toBe(false);
    }
  });
});
