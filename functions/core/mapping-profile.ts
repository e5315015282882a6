import * as z from 'zod';
import { VehicleFieldSchemas, type VehicleField } from './vehicle.js';

const FIELD_NAMES = Object.keys(VehicleFieldSchemas) as [VehicleField, ...VehicleField[]];

/**
 * A per-dealer mapping profile: names the dealer's own columns/elements for canonical fields and
 * may force how the file is read. Everything is optional; what is absent is detected.
 */
export const MappingProfileSchema = z
  .object({
    format: z.enum(['csv', 'xml', 'json']).optional(),
    delimiter: z.enum([',', ';', '\t', '|']).optional(),
    encoding: z.enum(['utf-8', 'utf-16le', 'utf-16be', 'windows-1252', 'iso-8859-1']).optional(),
    mileageUnit: z.enum(['km', 'mil']).optional(),
    /** Canonical field → the dealer's column or element name(s). */
    fields: z
      .partialRecord(z.enum(FIELD_NAMES), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]))
      .optional(),
  })
  .strict();

export type MappingProfile = z.infer<typeof MappingProfileSchema>;
