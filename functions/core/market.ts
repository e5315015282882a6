import { DealerSchema, type Market } from './dealer-config.js';
import type { MileageUnit } from './feed/fields.js';

/**
 * What a dealer's market means for mileage. Inside the project mileage is km everywhere; a
 * dealer reads odometers in the unit of the market it sells in, and sees its reports in that
 * unit. (Which unit Wayke is sent, and under which names, is the Wayke mapping's business; it
 * builds on the same table.)
 */

/** The market of a dealer whose config names none: the config schema's own default. */
export const DEFAULT_MARKET: Market = DealerSchema.shape.market.parse(undefined);

/** Swedish mil (10 km) in Sweden; km in Norway and Finland. */
export const MARKET_MILEAGE_UNIT: Readonly<Record<Market, MileageUnit>> = { SE: 'mil', NO: 'km', FI: 'km' };

/** km in one Scandinavian mil. */
export const KM_PER_MIL = 10;

/** The unit a dealer of `market` reads odometers in (absent: {@link DEFAULT_MARKET}). */
export const mileageUnitOf = (market: Market | undefined): MileageUnit => MARKET_MILEAGE_UNIT[market ?? DEFAULT_MARKET];

/** Canonical km in `unit`: whole mil rounded half up (12 345 km → 1 235 mil), km as they are. */
export const kmIn = (unit: MileageUnit, km: number): number => (unit === 'mil' ? Math.round(km / KM_PER_MIL) : km);

/** A value in `unit` back to canonical km. */
export const kmFrom = (unit: MileageUnit, value: number): number => (unit === 'mil' ? value * KM_PER_MIL : value);

/** Thousands grouped by a space, as Swedish and Norwegian write them: `1 235`. */
const grouped = (value: number): string => String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

/** `12 345 km` → `1 235 mil` for an SE dealer, `12 345 km` for NO and FI. */
export const formatMileage = (km: number, unit: MileageUnit): string => `${grouped(kmIn(unit, km))} ${unit}`;

/**
 * The sentence the vehicle schema writes when a mileage is beyond any real car's
 * (`must be at most 5,000,000 km (check the unit: mil or km)`), with the bound and its unit.
 */
const MILEAGE_BOUND = /must be at most ([\d,\s\u00a0]+) km\b/;

/**
 * A mileage reason in the dealer's unit: the bound of an out-of-range mileage says `500 000 mil`
 * to an SE dealer (the dealer typed mil; a bound in km would read as a different limit). Other
 * reasons quote the dealer's own value and stay as they are.
 */
export function mileageReasonIn(unit: MileageUnit, message: string): string {
  return message.replace(MILEAGE_BOUND, (_sentence, bound: string) => {
    const km = Number(bound.replace(/[^\d]/g, ''));
    return `must be at most ${formatMileage(km, unit)}`;
  });
}
