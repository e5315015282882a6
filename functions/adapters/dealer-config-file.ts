import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import {
  DealerConfigSchema,
  ResolvedDealerConfigSchema,
  describeConfigIssues,
  type ResolvedDealerConfig,
} from '../core/dealer-config.js';
import { MappingProfileSchema, type MappingProfile } from '../core/mapping-profile.js';

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `${what} ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      { file: path },
      { cause: error },
    );
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ConfigError(
      `${what} ${path} is not valid JSON: ${(error as Error).message}`,
      { file: path },
      { cause: error },
    );
  }
}

/**
 * Reads and validates a dealer config file and loads each dealer's mapping profile, so every
 * consumer gets one self-contained, validated object. Throws {@link ConfigError} with a message
 * that names the dealer and the field.
 */
export function loadDealerConfig(path: string, cwd: string = process.cwd()): ResolvedDealerConfig {
  const file = resolve(cwd, path);
  const raw = readJson(file, 'Dealer config');
  const parsed = DealerConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      `Dealer config ${path} is invalid:\n  ${describeConfigIssues(raw, parsed.error.issues).join('\n  ')}`,
      { file: path },
    );
  }
  const dealers = parsed.data.dealers.map((dealer, index) => {
    if (!dealer.feed.mapping) return dealer;
    const candidates = [resolve(cwd, dealer.feed.mapping), resolve(dirname(file), dealer.feed.mapping)];
    const mappingFile = candidates.find((candidate) => existsSync(candidate));
    if (!mappingFile) {
      throw new ConfigError(
        `Dealer config ${path} is invalid:\n  dealer "${dealer.id}" (dealers[${index}]): feed.mapping: file ${dealer.feed.mapping} not found`,
        { file: path, dealerId: dealer.id },
      );
    }
    return { ...dealer, mappingProfile: loadMappingProfile(mappingFile, `of dealer "${dealer.id}"`) };
  });
  return { dealers };
}

/**
 * Reads and validates a mapping profile file (`--mapping` of the CLI, `feed.mapping` of a dealer).
 * Throws {@link ConfigError} naming the file and each bad key.
 */
export function loadMappingProfile(path: string, owner = ''): MappingProfile {
  const what = `Mapping profile${owner ? ` ${owner}` : ''}`;
  const raw = readJson(path, what);
  const profile = MappingProfileSchema.safeParse(raw);
  if (!profile.success) {
    const lines = profile.error.issues.map(
      (issue) => `${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}`,
    );
    throw new ConfigError(`${what} ${path} is invalid:\n  ${lines.join('\n  ')}`, { file: path });
  }
  return profile.data;
}

/**
 * Parses an already-resolved config (the JSON the CDK app bundles beside each Lambda, or the
 * local run writes), validating it again at cold start.
 */
export function parseResolvedDealerConfig(raw: unknown, source: string): ResolvedDealerConfig {
  const parsed = ResolvedDealerConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      `Resolved dealer config ${source} is invalid:\n  ${describeConfigIssues(raw, parsed.error.issues).join('\n  ')}`,
      { file: source },
    );
  }
  return parsed.data;
}

/** Reads the resolved config a Lambda or the local run was given (`DEALERS_FILE`). */
export function readResolvedDealerConfig(path: string): ResolvedDealerConfig {
  return parseResolvedDealerConfig(readJson(path, 'Resolved dealer config'), path);
}
