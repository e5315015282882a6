import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { PermanentError, RetryableError } from '../core/errors.js';
import type { DealerSecrets, InboundAuth, InboundAuthStore, SecretStore } from '../ports.js';
import { DealerCache, type DealerCacheOptions } from './dealer-cache.js';

/** The value the stack's generated secrets start with, until the operator sets the real one. */
export const SECRET_PLACEHOLDER = 'REPLACE_ME';

/** A secret value the operator has set (not empty, not the deploy-time placeholder). */
const configured = z
  .string()
  .min(1)
  .refine((value) => value !== SECRET_PLACEHOLDER, `still ${SECRET_PLACEHOLDER}: set it after deploy`);

/**
 * The JSON object stored as a dealer's outbound credentials (`${SECRET_PREFIX}${dealerId}`), read
 * only by the import worker and the DMS writer. Other keys are ignored (an older secret may still
 * hold the webhook keys that now live in the inbound-auth secret).
 */
export const DealerSecretsSchema = z.object({
  waykeClientId: configured,
  waykeClientSecret: configured,
  dmsSigningSecret: configured,
  dmsApiToken: configured.optional(),
}) satisfies z.ZodType<DealerSecrets>;

/**
 * The JSON object stored as a dealer's inbound-auth secret (`${INBOUND_SECRET_PREFIX}${dealerId}`):
 * what callers into this system present, read only by the functions that verify them.
 */
export const InboundAuthSchema = z.object({
  webhookSecret: configured,
  previousWebhookSecret: configured.optional(),
  dmsApiKey: configured.optional(),
  previousDmsApiKey: configured.optional(),
}) satisfies z.ZodType<InboundAuth>;

/** The dealer's secret is missing or malformed: fixing it needs a person. */
export class DealerSecretsError extends PermanentError {}

export interface SecretsManagerSecretStoreOptions extends DealerCacheOptions {
  readonly client: SecretsManagerClient;
  /** Prefix of the secret names: a dealer's secret is `${prefix}${dealerId}` (no sibling prefix may start with it). */
  readonly prefix: string;
}

/** The {@link SecretStore} over Secrets Manager: each dealer's outbound credentials. */
export class SecretsManagerSecretStore implements SecretStore {
  private readonly secrets: CachedDealerSecret<DealerSecrets>;

  constructor(options: SecretsManagerSecretStoreOptions) {
    this.secrets = new CachedDealerSecret(options, DealerSecretsSchema);
  }

  getDealerSecrets(dealerId: string): Promise<DealerSecrets> {
    return this.secrets.get(dealerId);
  }
}

/** The {@link InboundAuthStore} over Secrets Manager: each dealer's inbound-auth secret. */
export class SecretsManagerInboundAuthStore implements InboundAuthStore {
  private readonly secrets: CachedDealerSecret<InboundAuth>;

  constructor(options: SecretsManagerSecretStoreOptions) {
    this.secrets = new CachedDealerSecret(options, InboundAuthSchema);
  }

  getInboundAuth(dealerId: string): Promise<InboundAuth> {
    return this.secrets.get(dealerId);
  }
}

/**
 * One JSON secret per dealer, `${prefix}${dealerId}`, cached by {@link DealerCache}, validated
 * with `schema`, and never quoted in an error: messages name the dealer and the fields, not the values.
 */
class CachedDealerSecret<T> {
  private readonly cache: DealerCache<T>;

  constructor(
    private readonly options: SecretsManagerSecretStoreOptions,
    private readonly schema: z.ZodType<T>,
  ) {
    this.cache = new DealerCache((dealerId) => this.read(dealerId), options);
  }

  get(dealerId: string): Promise<T> {
    return this.cache.get(dealerId);
  }

  private async read(dealerId: string): Promise<T> {
    const secretId = `${this.options.prefix}${dealerId}`;
    const context = { dealerId, operation: 'GetSecretValue', secret: secretId };
    let text: string | undefined;
    try {
      const result = await this.options.client.send(new GetSecretValueCommand({ SecretId: secretId }));
      text =
        result.SecretString ?? (result.SecretBinary ? Buffer.from(result.SecretBinary).toString('utf8') : undefined);
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ResourceNotFoundException')
        throw new DealerSecretsError(`dealer secret ${secretId} does not exist`, context, { cause: error });
      if (name === 'AccessDeniedException' || name === 'DecryptionFailure')
        throw new DealerSecretsError(`dealer secret ${secretId} cannot be read: ${name}`, context, { cause: error });
      throw new RetryableError(`reading dealer secret ${secretId} failed: ${name}`, context, { cause: error });
    }
    if (text === undefined) throw new DealerSecretsError(`dealer secret ${secretId} has no value`, context);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      // No cause and no parser message: both could quote the secret.
      throw new DealerSecretsError(`dealer secret ${secretId} is not a JSON object`, context);
    }
    const parsed = this.schema.safeParse(raw);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.map(String).join('.') || '(value)'))];
      const placeholder = parsed.error.issues.some((issue) => issue.message.startsWith(`still ${SECRET_PLACEHOLDER}`));
      const hint = placeholder
        ? ` (not configured yet: put the real values with aws secretsmanager put-secret-value)`
        : '';
      throw new DealerSecretsError(`dealer secret ${secretId} is invalid at: ${fields.join(', ')}${hint}`, context);
    }
    return parsed.data;
  }
}
