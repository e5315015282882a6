import * as z from 'zod';
import type { WaykeAd } from '../../ports.js';

/**
 * The vehicle a DMS receives with `vehicle.purchased` and `vehicle.updated`: everything Wayke
 * returns about the car that a DMS can use, read from Wayke at delivery time, in the project's own
 * names (Wayke's read-side names stay in `adapters/wayke-mapping`). Units are in the names where
 * there is one (`mileageKm`); prices are whole SEK incl. VAT. Fields Wayke did not return are
 * absent, never invented. This is the delivered contract (`docs/events/*.schema.json`), so it
 * states output shapes, not the feed's parsing rules.
 */
export const DmsVehicleSchema = z
  .object({
    /** Wayke's ad id. */
    waykeId: z.string().min(1).describe("Wayke's ad id."),
    /** The ad's status in Wayke when the event was delivered. */
    status: z
      .enum(['Published', 'Unpublished', 'Sold', 'Deleted'])
      .describe("The ad's status in Wayke when the event was delivered."),
    registrationNumber: z.string().regex(/^[A-Z0-9ÅÄÖ]{2,7}$/),
    externalId: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The dealer's own stock number from the feed (the DMS's key for the car), when an import of the feed gave one.",
      ),
    vin: z
      .string()
      .regex(/^[A-HJ-NPR-Z0-9]{17}$/)
      .optional(),
    make: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    variant: z.string().min(1).optional(),
    modelYear: z.number().int().optional(),
    /** Date of first registration, `YYYY-MM-DD`. */
    firstRegistration: z.iso.date().optional().describe('Date of first registration (YYYY-MM-DD).'),
    fuel: z.string().min(1).optional(),
    gearbox: z.string().min(1).optional(),
    colour: z.string().min(1).optional(),
    mileageKm: z
      .number()
      .int()
      .nonnegative()
      .describe(
        "Odometer reading in kilometres, whatever the dealer's market (Wayke's reading converted from its unit).",
      ),
    price: z.number().int().positive().describe('Price in whole SEK including VAT.'),
    campaignPrice: z.number().int().positive().optional(),
    oldPrice: z.number().int().positive().optional(),
    leasingPrice: z.number().int().positive().optional(),
    deductibleVat: z.boolean().optional(),
    equipment: z.array(z.string()).optional(),
    manufacturerPackages: z.array(z.string()).optional(),
    shortDescription: z.string().optional(),
    description: z.string().optional(),
    /** Image URLs on Wayke's media storage, in the ad's order (the first is the main image). */
    images: z
      .array(z.url())
      .describe("Image URLs on Wayke's media storage, in the ad's order; the first is the main image."),
    documents: z.array(z.object({ url: z.url(), name: z.string().optional() }).strict()).optional(),
    exchangeRight: z.boolean().optional(),
    servicePlanFollowed: z.boolean().optional(),
    carWarranty: z.string().optional(),
    contactOptions: z.array(z.enum(['email', 'callMe', 'phone'])).optional(),
  })
  .strict();

export type DmsVehicle = z.output<typeof DmsVehicleSchema>;

/**
 * The DMS vehicle of an ad read from Wayke. The feed's own fields that Wayke does not hold (`images`
 * as source URLs, the stock number `externalId`) are not taken from the ad: Wayke's media URLs are,
 * and the stock number comes from the import's snapshot ({@link withExternalId}).
 */
export function toDmsVehicle(ad: WaykeAd): DmsVehicle {
  const { mileage, images: _feedImages, externalId: _notInWayke, ...rest } = ad.vehicle;
  const details = ad.details ?? {};
  const vehicle: Record<string, unknown> = {
    waykeId: ad.id,
    status: ad.status,
    ...details,
    ...rest,
    mileageKm: mileage,
    images: [...ad.mediaUrls],
  };
  for (const [name, value] of Object.entries(vehicle)) if (value === undefined) delete vehicle[name];
  return orderKeys(vehicle) as DmsVehicle;
}

/** Keys in the schema's order, so the body (and its signature) is reproducible. */
function orderKeys(vehicle: Record<string, unknown>): Record<string, unknown> {
  const ordered: Record<string, unknown> = {};
  for (const name of Object.keys(DmsVehicleSchema.shape))
    if (vehicle[name] !== undefined) ordered[name] = vehicle[name];
  return ordered;
}

/** The vehicle with the dealer's stock number, in the schema's key order (none given: unchanged). */
export function withExternalId(vehicle: DmsVehicle, externalId: string | undefined): DmsVehicle {
  return externalId ? (orderKeys({ ...vehicle, externalId }) as DmsVehicle) : vehicle;
}
