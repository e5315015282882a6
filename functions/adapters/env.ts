import * as z from 'zod';
import { ConfigError } from '../core/errors.js';

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

/**
 * What every handler that serves dealers reads: the dealer config file and the dealer secrets
 * (name prefix, cache age). Spread into a handler's own schema (`...DealerRuntimeEnvSchema.shape`).
 */
export const DealerRuntimeEnvSchema = z.object({
  DEALERS_FILE: z
    .string()
    .min(1)
    .default(`${process.env.LAMBDA_TASK_ROOT ?? '.'}/dealers.json`),
  SECRET_PREFIX: z.string().default(''),
  /** Name prefix of the inbound-auth secrets (webhook secrets, Vehicle API keys): the local run's, over secrets.json. */
  INBOUND_SECRET_PREFIX: z.string().default(''),
  /** The inbound-key verifier table (AWS); when set, inbound auth is read from it instead of secrets. */
  INBOUND_AUTH_TABLE: z.string().min(1).optional(),
  /** Seconds a dealer's secrets are cached; short so a rotation takes effect quickly. */
  SECRET_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
});
