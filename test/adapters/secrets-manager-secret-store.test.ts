import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DealerSecretsError,
  SecretsManagerInboundAuthStore,
  SecretsManagerSecretStore,
} from '../../functions/adapters/secrets-manager-secret-store.js';
import { PermanentError, RetryableError } from '../../functions/core/errors.js';

const mock = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'eu-north-1' });
let now = 1_000_000;
const clock = { now: () => new Date(now) };
const value = (webhookSecret: string, extra: Record<string, string> = {}) => ({
  SecretString: JSON.stringify({
    waykeClientId: 'id',
    waykeClientSecret: 'very-secret-client-secret',
    webhookSecret,
    dmsSigningSecret: 'whsec_AAAA',
    ...extra,
  }),
});
/** The error a read fails with, or null when it succeeds. */
const failureOf = (read: Promise<unknown>) =>
  read.then(
    () => null,
    (e: unknown) => e as PermanentError,
  );
const store = () => new SecretsManagerSecretStore({ client, prefix: 'wayke-dms/', maxAgeMs: 60_000, clock });
// Both stores share one cache and error path; the caching cases watch the webhook secret change.
const inbound = () => new SecretsManagerInboundAuthStore({ client, prefix: 'wayke-dms/', maxAgeMs: 60_000, clock });

afterAll(() => mock.restore());
beforeEach(() => mock.reset());

describe('SecretsManagerSecretStore', () => {
  it('reads `<prefix><dealerId>` and validates it', async () => {
    mock
      .on(GetSecretValueCommand, { SecretId: 'wayke-dms/bilhallen' })
      .resolves(value('s1', { previousWebhookSecret: 's0' }));
    expect(await store().getDealerSecrets('bilhallen')).toEqual({
      waykeClientId: 'id',
      waykeClientSecret: 'very-secret-client-secret',
      dmsSigningSecret: 'whsec_AAAA',
    });
    expect(await inbound().getInboundAuth('bilhallen')).toEqual({ webhookSecret: 's1', previousWebhookSecret: 's0' });
  });

  it('each store returns only its own keys, whatever else the secret holds', async () => {
    mock.on(GetSecretValueCommand, { SecretId: 'wayke-dms/bilhallen' }).resolves(value('s1', { dmsApiToken: 'tok' }));
    expect(Object.keys(await inbound().getInboundAuth('bilhallen'))).toEqual(['webhookSecret']);
    expect(await store().getDealerSecrets('bilhallen')).not.toHaveProperty('webhookSecret');
  });

  it('caches for the max age, with one read for concurrent callers, then reads again so a rotation takes effect', async () => {
    mock.on(GetSecretValueCommand).resolvesOnce(value('before')).resolves(value('after'));
    const secrets = inbound();
    const all = await Promise.all(Array.from({ length: 20 }, () => secrets.getInboundAuth('d1')));
    expect(new Set(all.map((s) => s.webhookSecret))).toEqual(new Set(['before']));
    now += 59_000;
    expect((await secrets.getInboundAuth('d1')).webhookSecret).toBe('before');
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now += 2_000;
    expect((await secrets.getInboundAuth('d1')).webhookSecret).toBe('after');
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('a missing secret is permanent; throttling is retryable; failures are not cached', async () => {
    mock
      .on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('x'), { name: 'ResourceNotFoundException' }))
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }))
      .resolves(value('ok'));
    const secrets = inbound();
    await expect(secrets.getInboundAuth('d1')).rejects.toBeInstanceOf(DealerSecretsError);
    await expect(secrets.getInboundAuth('d1')).rejects.toBeInstanceOf(RetryableError);
    expect((await secrets.getInboundAuth('d1')).webhookSecret).toBe('ok');
  });

  it('a passing failure serves the last good value for a while; a permanent one never does', async () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    mock.on(GetSecretValueCommand).resolvesOnce(value('good')).rejects(throttled);
    const secrets = inbound();
    expect((await secrets.getInboundAuth('d1')).webhookSecret).toBe('good');
    now += 61_000;
    expect((await secrets.getInboundAuth('d1')).webhookSecret).toBe('good');
    now += 15 * 60_000;
    await expect(secrets.getInboundAuth('d1')).rejects.toBeInstanceOf(RetryableError);

    mock.reset();
    mock
      .on(GetSecretValueCommand)
      .resolvesOnce(value('good'))
      .rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));
    const other = inbound();
    await other.getInboundAuth('d2');
    now += 61_000;
    await expect(other.getInboundAuth('d2')).rejects.toBeInstanceOf(DealerSecretsError);
  });

  it('malformed values fail permanently and never quote the secret', async () => {
    const cases = [
      { SecretString: 'not json, contains hunter2-secret' },
      { SecretString: JSON.stringify({ waykeClientId: 'id', waykeClientSecret: 'hunter2-secret' }) },
      {
        SecretString: JSON.stringify({
          waykeClientId: 'id',
          waykeClientSecret: 'hunter2-secret',
          webhookSecret: 42,
          dmsSigningSecret: 42,
        }),
      },
    ];
    for (const answer of cases) {
      mock.reset();
      mock.on(GetSecretValueCommand).resolves(answer);
      const error = await failureOf(store().getDealerSecrets('d1'));
      expect(error).toBeInstanceOf(DealerSecretsError);
      expect(error!.message).not.toContain('hunter2');
      expect(JSON.stringify(error!.context)).not.toContain('hunter2');
      expect(error!.cause).toBeUndefined();
    }
    mock.reset();
    mock.on(GetSecretValueCommand).resolves(cases[1]!);
    await expect(store().getDealerSecrets('d1')).rejects.toThrow(/invalid at: dmsSigningSecret$/);
    await expect(inbound().getInboundAuth('d1')).rejects.toThrow(/invalid at: webhookSecret$/);
  });

  it('a secret still holding the deploy-time placeholder is reported as not configured', async () => {
    mock.on(GetSecretValueCommand).resolves(
      value('generated-value', {
        waykeClientId: 'REPLACE_ME',
        waykeClientSecret: 'REPLACE_ME',
        dmsSigningSecret: 'REPLACE_ME',
      }),
    );
    const error = await failureOf(store().getDealerSecrets('d1'));
    expect(error).toBeInstanceOf(DealerSecretsError);
    expect(error!.message).toMatch(/waykeClientId, waykeClientSecret, dmsSigningSecret \(not configured yet/);
    expect(error!.message).not.toContain('generated-value');
  });
});
