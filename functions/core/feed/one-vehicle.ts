import type { MappingProfile } from '../mapping-profile.js';
import type { Vehicle } from '../vehicle.js';
import { FieldResolver } from './fields.js';
import { assign, buildVehicle, type FieldProblem, type RawRecord } from './record.js';
import { isBlank } from './values.js';

/**
 * One vehicle object (a Vehicle API `PUT` body), read with the JSON feed reader's own field names,
 * coercions and messages: a vehicle a DMS can put in a file is a vehicle it can push, and the
 * field errors read the same in a report and in a 422.
 */
export type OneVehicleResult =
  | { readonly ok: true; readonly vehicle: Vehicle; readonly warnings: readonly FieldProblem[] }
  | { readonly ok: false; readonly errors: readonly FieldProblem[] };

export function readVehicleObject(
  item: unknown,
  options: { readonly now: Date; readonly mapping?: MappingProfile },
): OneVehicleResult {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return {
      ok: false,
      errors: [
        { field: 'body', message: `is ${Array.isArray(item) ? 'an array' : typeof item}, not a vehicle object` },
      ],
    };
  }
  const resolver = new FieldResolver(options.mapping);
  const record: RawRecord = {};
  const unused: string[] = [];
  for (const [name, value] of Object.entries(item as Record<string, unknown>)) {
    const target = resolver.resolve(name);
    if (!target) unused.push(name);
    else if (!isBlank(value)) assign(record, target, value);
  }
  const built = buildVehicle(record, options.now);
  if (!built.ok) return { ok: false, errors: built.errors };
  const warnings =
    unused.length > 0
      ? [
          ...built.warnings,
          {
            field: '*',
            message: `not used (no matching field): ${unused
              .slice(0, 20)
              .map((name) => `"${name}"`)
              .join(', ')}`,
          },
        ]
      : built.warnings;
  return { ok: true, vehicle: built.vehicle, warnings };
}
