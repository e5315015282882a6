/**
 * The mapping per dealer market: the market code of a create and the odometer unit Wayke is sent
 * (mil for SE, km for NO and FI), and a read ad back in km — in the unit it states, else in the
 * market's. Pure, no mocks.
 */
import { describe, expect, it } from 'vitest';
import {
  fromWaykeAd,
  mileageAsWaykeKeepsIt,
  toWaykeBody,
  toWaykeMileage,
  WAYKE_MARKET_CODE,
  WAYKE_ODOMETER_UNITS,
  WaykeResponseShapeError,
} from '../../functions/adapters/wayke-mapping.js';
import { MARKETS } from '../../functions/core/dealer-config.js';
import type { Vehicle } from '../../functions/core/vehicle.js';

const BRANCH = '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';
const car: Vehicle = { registrationNumber: 'ABC123', price: 199_900, mileage: 12_300 };

const readAd = (vehicle: Record<string, unknown>) => ({
  id: 'ad-1',
  status: 'Published',
  vehicle: { registrationNumber: 'ABC123', ...vehicle },
  ad: { price: 199_900 },
});

describe('toWaykeBody per market', () => {
  it('creates an SE ad with market code SE and the odometer in whole mil', () => {
    const body = toWaykeBody({ branchId: BRANCH, fields: car, create: true, market: 'SE' });
    expect(body).toMatchObject({ marketCode: 'SE', vehicle: { mileage: 1230 } });
  });

  it('creates a NO ad with market code NO and the odometer in km, as it is', () => {
    const body = toWaykeBody({ branchId: BRANCH, fields: car, create: true, market: 'NO' });
    expect(body).toMatchObject({ marketCode: 'NO', vehicle: { mileage: 12_300 } });
  });

  it('creates an FI ad with market code FI and the odometer in km', () => {
    const body = toWaykeBody({ branchId: BRANCH, fields: car, create: true, market: 'FI' });
    expect(body).toMatchObject({ marketCode: 'FI', vehicle: { mileage: 12_300 } });
  });

  it('patches the mileage in the market unit and sends no market code', () => {
    const no = toWaykeBody({ branchId: BRANCH, fields: { mileage: 45_678 }, market: 'NO' });
    const se = toWaykeBody({ branchId: BRANCH, fields: { mileage: 45_678 }, market: 'SE' });
    expect(no).toEqual({ branch: BRANCH, vehicle: { mileage: 45_678 } });
    expect(se).toEqual({ branch: BRANCH, vehicle: { mileage: 4568 } });
  });

  it('without a market is the config default, SE', () => {
    const body = toWaykeBody({ branchId: BRANCH, fields: car, create: true });
    expect(body).toMatchObject({ marketCode: 'SE', vehicle: { mileage: 1230 } });
  });

  it('has a market code and an odometer unit for every market the config accepts', () => {
    for (const market of MARKETS) expect(WAYKE_MARKET_CODE[market]).toMatch(/^[A-Z]{2}$/);
    expect(Object.values(WAYKE_ODOMETER_UNITS).sort()).toEqual(['Kilometer', 'ScandinavianMile']);
  });
});

describe('fromWaykeAd per market', () => {
  it('reads an FI ad whose odometerReading says Kilometer as km, not ×10', () => {
    const ad = fromWaykeAd(readAd({ mileage: 12_300, odometerReading: { value: 12_300, unit: 'Kilometer' } }), 'FI');
    expect(ad.vehicle.mileage).toBe(12_300);
  });

  it('lets the unit the ad states win over the market: Kilometer read by an SE client stays km', () => {
    const ad = fromWaykeAd(readAd({ mileage: 12_300, odometerReading: { value: 12_300, unit: 'Kilometer' } }), 'SE');
    expect(ad.vehicle.mileage).toBe(12_300);
  });

  it('reads ScandinavianMile as mil whatever the market', () => {
    const ad = fromWaykeAd(readAd({ mileage: 1230, odometerReading: { value: 1230, unit: 'ScandinavianMile' } }), 'NO');
    expect(ad.vehicle.mileage).toBe(12_300);
  });

  it('reads a bare mileage in the market unit when the ad states none', () => {
    expect(fromWaykeAd(readAd({ mileage: 1230 }), 'SE').vehicle.mileage).toBe(12_300);
    expect(fromWaykeAd(readAd({ mileage: 12_300 }), 'NO').vehicle.mileage).toBe(12_300);
    expect(fromWaykeAd(readAd({ mileage: 1230 })).vehicle.mileage).toBe(12_300);
  });

  it('falls back to the bare mileage when odometerReading names a unit Wayke does not', () => {
    const ad = fromWaykeAd(readAd({ mileage: 12_300, odometerReading: { value: 7, unit: 'Furlong' } }), 'NO');
    expect(ad.vehicle.mileage).toBe(12_300);
  });

  it('reads odometerReading alone when the write-side mileage is absent', () => {
    const ad = fromWaykeAd(readAd({ odometerReading: { value: 1230, unit: 'ScandinavianMile' } }), 'SE');
    expect(ad.vehicle.mileage).toBe(12_300);
  });

  it('refuses an ad with neither a mileage nor a usable odometerReading', () => {
    const junk = readAd({ odometerReading: { value: '12 300', unit: 'Kilometer' } });
    expect(() => fromWaykeAd(junk, 'NO')).toThrow(WaykeResponseShapeError);
    expect(() => fromWaykeAd(junk, 'NO')).toThrow(/vehicle\.mileage is missing/);
  });
});

describe('rounding to whole mil', () => {
  it('sends 12 345 km as 1 235 mil (half up) and reads it back as 12 350 km', () => {
    expect(toWaykeMileage(12_345, 'SE')).toBe(1235);
    const back = fromWaykeAd(readAd({ mileage: 1235, odometerReading: { value: 1235, unit: 'ScandinavianMile' } }));
    expect(back.vehicle.mileage).toBe(12_350);
  });

  it('says what Wayke keeps of a mileage, so a comparison of the read ad with the feed sees no change', () => {
    expect(mileageAsWaykeKeepsIt(12_345, 'SE')).toBe(12_350);
    expect(mileageAsWaykeKeepsIt(12_344, 'SE')).toBe(12_340);
    expect(mileageAsWaykeKeepsIt(12_345, 'NO')).toBe(12_345);
    expect(mileageAsWaykeKeepsIt(12_345, 'FI')).toBe(12_345);
  });
});
