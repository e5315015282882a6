import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { ConfigError } from '../core/errors.js';
import { LEASE_RETRY_DELAY_SECONDS } from '../core/import/work-message.js';
import type { Clock } from '../ports.js';
import { SecretsManagerSecretStore } from './secrets-manager-secret-store.js';

/**
 * The handlers' environment: one schema per concern, composed by each handler
 * (`z.object({ ...DealerConfigEnvSchema.shape, ...WorkQueueEnvSchema.shape })`), read and
 * validated once with {@link readEnv}.
 */

// Powertools parser is not a dependency: every input (env, SQS bodies, webhook and API bodies) is
// parsed with the project's own zod schemas at the edge, which also need to name each field's
// problem without echoing its value — the parser's envelopes would wrap the same zod call.
/**
 * Reads and validates environment variables once (at cold start or CLI start). A missing or bad
 * value fails loudly with every problem named, never on the first request.
 */
export function readEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

/** The dealer config file, bundled beside the handler (`LAMBDA_TASK_ROOT`) unless named. */
export const DealerConfigEnvSchema = z.object({
  DEALERS_FILE: z
    .string()
    .min(1)
    .default(`${process.env.LAMBDA_TASK_ROOT ?? '.'}/dealers.json`),
});

/** Where the dealers' secrets are and how long they are cached. */
export const DealerSecretsEnvSchema = z.object({
  SECRET_PREFIX: z.string().default(''),
  /** Name prefix of the inbound-auth secrets (webhook secrets, Vehicle API keys): the local run's, over secrets.json. */
  INBOUND_SECRET_PREFIX: z.string().default(''),
  /** The inbound-key verifier table (AWS); when set, inbound auth is read from it instead of secrets. */
  INBOUND_AUTH_TABLE: z.string().min(1).optional(),
  /** Seconds a dealer's secrets are cached; short so a rotation takes effect quickly. */
  SECRET_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
});
export type DealerSecretsEnv = z.output<typeof DealerSecretsEnvSchema>;

/**
 * What every handler that serves dealers reads: the dealer config file and the dealer secrets.
 * Spread into a handler's own schema (`...DealerRuntimeEnvSchema.shape`).
 */
export const DealerRuntimeEnvSchema = z.object({
  ...DealerConfigEnvSchema.shape,
  ...DealerSecretsEnvSchema.shape,
});

/** The import work queue. */
export const WorkQueueEnvSchema = z.object({ WORK_QUEUE_URL: z.url() });

/** The feed bucket and the snapshot table. */
export const ImportStorageEnvSchema = z.object({
  FEED_BUCKET: z.string().min(1),
  SNAPSHOT_TABLE: z.string().min(1),
});

/** How the import worker runs a dealer. */
export const ImportRunEnvSchema = z.object({
  /** How long a trigger that found the lease held waits before it comes back. */
  LEASE_RETRY_DELAY_SECONDS: z.coerce.number().int().min(0).max(900).default(LEASE_RETRY_DELAY_SECONDS),
  /** Vehicles applied at once per dealer. */
  IMPORT_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
  /**
   * Time kept back before the Lambda timeout: no vehicle is started after that, so the run
   * still records what it applied, archives the file and reports; the vehicles it did not reach
   * are listed as failed and the next hourly run carries on from the archived feed.
   */
  IMPORT_STOP_MARGIN_SECONDS: z.coerce.number().int().min(5).max(600).default(60),
});

/**
 * The dealers' outbound-credential store (Wayke, DMS) from its env. Inbound auth (webhook secrets,
 * Vehicle API keys) has its own factory, `inboundAuthStore` in `dynamo-inbound-auth-store.ts`.
 */
export function dealerSecretStore(
  env: DealerSecretsEnv,
  options: { readonly clock: Clock; readonly client?: SecretsManagerClient },
): SecretsManagerSecretStore {
  return new SecretsManagerSecretStore({
    client: options.client ?? new SecretsManagerClient({}),
    maxAgeMs: env.SECRET_MAX_AGE_SECONDS * 1000,
    clock: options.clock,
    prefix: env.SECRET_PREFIX,
  });
}
