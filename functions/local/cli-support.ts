import { loadMappingProfile } from '../adapters/dealer-config-file.js';
import { ConfigError } from '../core/errors.js';
import type { MappingProfile } from '../core/mapping-profile.js';

/** A command line the user can correct: printed with the command's usage, exit status 2. */
export class UsageError extends Error {}

/** The `--mapping <profile.json>` option of the feed commands; a bad profile is a usage error. */
export function loadMappingOption(path: string): MappingProfile {
  try {
    return loadMappingProfile(path);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * What to set when an AWS SDK call failed because the user's AWS settings are incomplete, or
 * undefined for any other failure. A command prints this one line instead of the SDK's error (and
 * its stack): these are settings to fix, not faults to debug. The SDK tells them apart only by
 * the error's name or its bare message.
 */
export function awsSettingsProblem(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'CredentialsProviderError')
    return 'no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`)';
  if (error.message === 'Region is missing') return 'no AWS region (set AWS_REGION, or AWS_PROFILE with a region)';
  return undefined;
}
