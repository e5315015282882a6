import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DealerSecretsError, SecretsManagerSecretStore } from '../../functions/adapters/secrets-manager-secret-store.js';
import { PermanentError, RetryableError } from '../../functions/core/errors.js';

const mock = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'eu-north-1' });
let now = 1_000_000;
const clock = { now: () => new Date(now) };
const value = (webhookSecret: string, extra: Record<string, string> = {}) => ({
  SecretString: JSON.stringify({ waykeClientId: 'id', waykeClientSecret: 'very-secret-client-secret', webhookSecret, dmsSigningSecret: 'whsec_AAAA', ...extra }),
});
const store = () => new SecretsManagerSecretStore({ client, prefix: 'wayke-dms/', maxAgeMs: 60_000, clock });

afterAll(() => mock.restore());
beforeEach(() => mock.reset());

describe('SecretsManagerSecretStore', () => {
  it('reads `<prefix><dealerId>` and validates it', async () => {
    mock.on(GetSecretValueCommand, { SecretId: 'wayke-dms/bilhallen' }).resolves(value('s1', { previousWebhookSecret: 's0' }));
    expect(await store().getDealerSecrets('bilhallen')).toEqual({
      waykeClientId: 'id', waykeClientSecret: 'very-secret-client-secret', webhookSecret: 's1', previousWebhookSecret: 's0', dmsSigningSecret: 'whsec_AAAA',
    });
  });

  it('caches for the max age, with one read for concurrent callers, then reads again so a rotation takes effect', async () => {
    mock.on(GetSecretValueCommand).resolvesOnce(value('before')).resolves(value('after'));
    const secrets = store();
    const all = await Promise.all(Array.from({ length: 20 }, () => secrets.getDealerSecrets('d1')));
    expect(new Set(all.map((s) => s.webhookSecret))).toEqual(new Set(['before']));
    now += 59_000;
    expect((await secrets.getDealerSecrets('d1')).webhookSecret).toBe('before');
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now += 2_000;
    expect((await secrets.getDealerSecrets('d1')).webhookSecret).toBe('after');
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('a missing secret is permanent; throttling is retryable; failures are not cached', async () => {
    mock.on(GetSecretValueCommand).rejectsOnce(Object.assign(new Error('x'), { name: 'ResourceNotFoundException' }))
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }))
      .resolves(value('ok'));
    const secrets = store();
    await expect(secrets.getDealerSecrets('d1')).rejects.toBeInstanceOf(DealerSecretsError);
    await expect(secrets.getDealerSecrets('d1')).rejects.toBeInstanceOf(RetryableError);
    expect((await secrets.getDealerSecrets('d1')).webhookSecret).toBe('ok');
  });

  it('a passing failure serves the last good value for a while; a permanent one never does', async () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    mock.on(GetSecretValueCommand).resolvesOnce(value('good')).rejects(throttled);
    const secrets = store();
    expect((await secrets.getDealerSecrets('d1')).webhookSecret).toBe('good');
    now += 61_000;
    expect((await secrets.getDealerSecrets('d1')).webhookSecret).toBe('good');
    now += 15 * 60_000;
    await expect(secrets.getDealerSecrets('d1')).rejects.toBeInstanceOf(RetryableError);

    mock.reset();
    mock.on(GetSecretValueCommand).resolvesOnce(value('good')).rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));
    const other = store();
    await other.getDealerSecrets('d2');
    now += 61_000;
    await expect(other.getDealerSecrets('d2')).rejects.toBeInstanceOf(DealerSecretsError);
  });

  it('malformed values fail permanently and never quote the secret', async () => {
    const cases = [
      { SecretString: 'not json, contains hunter2-secret' },
      { SecretString: JSON.stringify({ waykeClientId: 'id', waykeClientSecret: 'hunter2-secret' }) },
      { SecretString: JSON.stringify({ waykeClientId: 'id', waykeClientSecret: 'hunter2-secret', webhookSecret: 42, dmsSigningSecret: 'x' }) },
    ];
    for (const answer of cases) {
      mock.reset();
      mock.on(GetSecretValueCommand).resolves(answer);
      const error = await store().getDealerSecrets('d1').then(() => null, (e: unknown) => e as PermanentError);
      expect(error).toBeInstanceOf(DealerSecretsError);
      expect(error!.message).not.toContain('hunter2');
      expect(JSON.stringify(error!.context)).not.toContain('hunter2');
      expect(error!.cause).toBeUndefined();
    }
    mock.reset();
    mock.on(GetSecretValueCommand).resolves(cases[1]!);
    await expect(store().getDealerSecrets('d1')).rejects.toThrow(/webhookSecret, dmsSigningSecret/);
  });

  it('a secret still holding the deploy-time placeholder is reported as not configured', async () => {
    mock.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ waykeClientId: 'REPLACE_ME', waykeClientSecret: 'REPLACE_ME', webhookSecret: 'generated-value', dmsSigningSecret: 'REPLACE_ME' }),
    });
    const error = await store().getDealerSecrets('d1').then(() => null, (e: unknown) => e as PermanentError);
    expect(error).toBeInstanceOf(DealerSecretsError);
    expect(error!.message).toMatch(/waykeClientId, waykeClientSecret, dmsSigningSecret \(not configured yet/);
    expect(error!.message).not.toContain('generated-value');
  });
});
