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
