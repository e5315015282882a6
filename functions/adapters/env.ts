import type { z } from 'zod';
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
