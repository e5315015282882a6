/**
 * What `contract-check` sends: one throwaway vehicle with every field the project sends to Wayke
 * set, a tiny image (bytes, so Wayke needs no internet access to fetch it) and a video link.
 */
import { randomInt } from 'node:crypto';
import type { FIELDS_NOT_SENT_TO_WAYKE } from '../../adapters/wayke-mapping.js';
import type { Vehicle, VehicleField } from '../../core/vehicle.js';

/** Every canonical field the mapping sends as an ad field. */
export type SentField = Exclude<VehicleField, (typeof FIELDS_NOT_SENT_TO_WAYKE)[number]>;

/**
 * A value for every sent field, each one a value a real feed could carry (the VIN is a valid
 * Volvo VIN; the document a public URL). Typed so that a field added to the vehicle and sent to
 * Wayke does not compile until it has a sample value here: the check cannot silently skip it.
 */
export const SAMPLE_FIELDS: { readonly [K in SentField]-?: NonNullable<Vehicle[K]> } = {
  registrationNumber: 'WDC001',
  vin: 'YV1UZBFVDN1906224',
  // km inside the project: a whole number of mil (10 km), so the mil Wayke gets is exact.
  mileage: 41_150,
  modelYear: 2021,
  equipment: ['Dragkrok', 'Navigation'],
  price: 249_900,
  campaignPrice: 239_900,
  oldPrice: 259_900,
  leasingPrice: 3495,
  shortDescription: 'wayke-dms contract-check (throwaway ad, removed at once)',
  description: 'Created by `wayke-dms contract-check` to verify field names; it removes this ad when it ends.',
  manufacturerPackages: ['Plus', 'Vinterpaket'],
  deductibleVat: true,
  contactOptions: ['email', 'callMe', 'phone'],
  exchangeRight: true,
  carWarranty: '12 månader eller 2000 mil',
  servicePlanFollowed: true,
  documents: [{ url: 'https://www.wayke.se/contract-check/servicebok.pdf', name: 'Servicebok' }],
};

/** The sample vehicle under a plate. */
export const sampleVehicle = (registrationNumber: string): Vehicle => ({ ...SAMPLE_FIELDS, registrationNumber });

/**
 * A plate for the throwaway ad when none is given: `WDC` and three random digits, a shape Swedish
 * plates have, unlikely to be a car the dealer sells (the check refuses a plate with a live ad).
 */
export const randomPlate = (): string => `WDC${String(randomInt(0, 1000)).padStart(3, '0')}`;

/** A 2×2 PNG, uploaded as bytes. */
export const SAMPLE_IMAGE = {
  bytes: Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR42mOQy9sCRAwQCgAgtgUBlTyU6wAAAABJRU5ErkJggg==',
    'base64',
  ),
  fileName: 'contract-check.png',
  contentType: 'image/png',
} as const;

/** A video link of a kind Wayke embeds (Vimeo; the example of Wayke's embedded-media guide). */
export const SAMPLE_VIDEO_URL = 'https://vimeo.com/449787858';
