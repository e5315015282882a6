import { describe, expect, it } from 'vitest';
import { SECRET_PLACEHOLDER } from '../../lib/constructs/dealer-secrets.js';
import { readAppContext } from '../../lib/settings.js';
import { ACCOUNT, REGION, allows, roleStatements } from './iam-eval.js';
import { logicalId, shardsTemplate, synth } from './synth.js';

const { template, stack } = synth({ context: { secretPrefix: 'acme/wayke/', inboundSecretPrefix: 'acme/hooks/' } });
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
  it('has two secrets per dealer, <secretPrefix><id> and <inboundSecretPrefix><id>, retained on stack deletion', () => {
    expect(
      named('acme/wayke/')
        .map((s) => s.Properties.Name)
        .sort(),
    ).toEqual(['acme/wayke/alpha-bil', 'acme/wayke/beta', 'acme/wayke/gamma']);
    expect(
      named('acme/hooks/')
        .map((s) => s.Properties.Name)
        .sort(),
    ).toEqual(['acme/hooks/alpha-bil', 'acme/hooks/beta', 'acme/hooks/gamma']);
    for (const secret of secrets) expect(secret.DeletionPolicy).toBe('Retain');
    expect(Object.values(resources).some((r) => r.Type === 'AWS::SecretsManager::Secret')).toBe(false);
  });

  it('holds no value in the template: credential placeholders, and a generated webhook secret', () => {
    for (const secret of named('acme/wayke/')) {
      expect(secret.Properties.GenerateSecretString).toBeUndefined();
      expect(JSON.parse(secret.Properties.SecretString)).toEqual({
        waykeClientId: SECRET_PLACEHOLDER,
        waykeClientSecret: SECRET_PLACEHOLDER,
        dmsSigningSecret: SECRET_PLACEHOLDER,
      });
    }
    for (const secret of named('acme/hooks/')) {
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(secret.Properties.GenerateSecretString).toMatchObject({
        GenerateStringKey: 'webhookSecret',
        SecretStringTemplate: '{}',
        PasswordLength: 48,
      });
    }
  });

  it('tells the Lambdas both prefixes (SECRET_PREFIX, INBOUND_SECRET_PREFIX)', () => {
    for (const fn of Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        SECRET_PREFIX: 'acme/wayke/',
        INBOUND_SECRET_PREFIX: 'acme/hooks/',
      });
    }
  });

  it('the internet-facing webhook reads webhook secrets and cannot read any Wayke or DMS credential', () => {
    const webhook = logicalId(stack, stack.webhooks.handler);
    expect(canRead(webhook, 'acme/hooks/alpha-bil')).toBe(true);
    for (const dealer of ['alpha-bil', 'beta', 'gamma'])
      expect(canRead(webhook, `acme/wayke/${dealer}`), dealer).toBe(false);
  });

  it('import worker and DMS writer read credentials and not the webhook secrets; the scheduler reads nothing', () => {
    for (const fn of [stack.imports.worker, stack.delivery.writer]) {
      expect(canRead(logicalId(stack, fn), 'acme/wayke/beta')).toBe(true);
      expect(canRead(logicalId(stack, fn), 'acme/hooks/beta')).toBe(false);
    }
    const scheduler = logicalId(stack, stack.imports.scheduler);
    expect(canRead(scheduler, 'acme/wayke/beta') || canRead(scheduler, 'acme/hooks/beta')).toBe(false);
  });

  it('grants read-only access, nothing more (no put, no delete, no list)', () => {
    const webhook = statementsOfFunction(logicalId(stack, stack.webhooks.handler));
    const resource = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:acme/hooks/beta-AbCdEf`;
    for (const action of [
      'secretsmanager:PutSecretValue',
      'secretsmanager:DeleteSecret',
      'secretsmanager:UpdateSecret',
    ]) {
      expect(allows(webhook, { action, resource }), action).toBe(false);
    }
  });

  it('refuses prefixes whose grants would overlap (one inside the other)', () => {
    const context = (values: Record<string, string>) => () => readAppContext((key) => values[key]);
    expect(context({ secretPrefix: 'wayke-dms/', inboundSecretPrefix: 'wayke-dms/inbound/' })).toThrow(
      /inboundSecretPrefix.*IAM grants would overlap/,
    );
    expect(context({ secretPrefix: 'wayke-dms/dealer/', inboundSecretPrefix: 'wayke-dms/' })).toThrow(
      /IAM grants would overlap/,
    );
    expect(context({ secretPrefix: 'wayke-dms/dealer/', inboundSecretPrefix: 'wayke-dms/inbound/' })).not.toThrow();
  });
});
