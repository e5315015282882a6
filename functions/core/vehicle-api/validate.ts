import { readFeed } from '../feed/index.js';
import { FieldResolver } from '../feed/fields.js';
import type { MappingProfile } from '../mapping-profile.js';
import type { ValidationReport } from './schemas.js';

/**
 * `POST …/validate`: a whole feed file (any format and encoding) or one vehicle object, read
 * exactly as an import reads it; the report of `validate-feed --json`. Stores and sends nothing.
 */
export function validateBody(
  body: Uint8Array,
  options: { readonly now: Date; readonly mapping?: MappingProfile },
): ValidationReport {
  const single = asSingleVehicle(body, options.mapping);
  const result = readFeed(single ?? body, {
    name: 'request body',
    now: options.now,
    ...(options.mapping ? { mapping: options.mapping } : {}),
  });
  const { vehicles, ...rest } = result;
  return {
    format: rest.format,
    encoding: rest.encoding,
    vehicles: vehicles.length,
    rejected: rest.rejected,
    warnings: rest.warnings,
    error: rest.error,
  };
}

/**
 * A JSON object whose own properties name a registration number is one vehicle, not a feed
 * wrapper (`{"vehicles": [...]}`): it is read as a one-row JSON feed.
 */
function asSingleVehicle(body: Uint8Array, mapping: MappingProfile | undefined): Uint8Array | null {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trim();
  if (!text.startsWith('{')) return null;
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return null; // the feed reader names the JSON error itself
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return null;
  const resolver = new FieldResolver(mapping);
  const names = Object.keys(document);
  if (!names.some((name) => resolver.resolve(name)?.field === 'registrationNumber')) return null;
  return Buffer.from(JSON.stringify([document]), 'utf8');
}
