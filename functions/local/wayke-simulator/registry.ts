import { createHash } from 'node:crypto';

/**
 * The simulator's stand-in for the vehicle registry Wayke reads when an ad is created: Wayke
 * fills in make, model, variant, fuel, gearbox, colour, first registration and VIN from the plate
 * (the dealer's feed does not carry them). The VIN goes under Wayke's own name
 * (`vehicleIdentificationNumber`, as in its webhooks), apart from the `vin` a dealer may send. Deterministic per plate, so a restart, a test and the
 * demo see the same car. Names as on Wayke's read side (`docs/wayke-api.md`, "Reading an ad").
 */
const CARS = [
  {
    manufacturer: 'Volvo',
    modelName: 'V60',
    modelSeries: 'T6 Recharge Inscription',
    fuelType: 'Bensin/El',
    gearBox: 'Automat',
  },
  { manufacturer: 'Volvo', modelName: 'XC60', modelSeries: 'B4 AWD Momentum', fuelType: 'Diesel', gearBox: 'Automat' },
  {
    manufacturer: 'Volkswagen',
    modelName: 'Golf',
    modelSeries: '1.5 TSI Life',
    fuelType: 'Bensin',
    gearBox: 'Manuell',
  },
  {
    manufacturer: 'Ford',
    modelName: 'Kuga',
    modelSeries: '2.5 PHEV ST-Line',
    fuelType: 'Bensin/El',
    gearBox: 'Automat',
  },
  { manufacturer: 'Kia', modelName: 'EV6', modelSeries: '77 kWh AWD GT-Line', fuelType: 'El', gearBox: 'Automat' },
  {
    manufacturer: 'Toyota',
    modelName: 'RAV4',
    modelSeries: '2.5 Hybrid AWD-i Active',
    fuelType: 'Bensin/El',
    gearBox: 'Automat',
  },
] as const;
const COLOURS = ['Silver', 'Svart', 'Vit', 'Grå', 'Blå', 'Röd'] as const;
const VIN_CHARS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';

/** Registry facts for a plate, in Wayke's read-side names; `modelYear` dates the first registration. */
export function registryFacts(plate: string, modelYear?: number): Record<string, string> {
  const digest = createHash('sha256').update(plate).digest();
  const car = CARS[digest[0]! % CARS.length]!;
  const year = modelYear ?? 2018 + (digest[1]! % 6);
  const month = String(1 + (digest[2]! % 12)).padStart(2, '0');
  const day = String(1 + (digest[3]! % 28)).padStart(2, '0');
  const vin = Array.from({ length: 17 }, (_, i) => VIN_CHARS[digest[(i + 4) % digest.length]! % VIN_CHARS.length]).join(
    '',
  );
  return {
    ...car,
    color: COLOURS[digest[4]! % COLOURS.length]!,
    // Registered the autumn before its model year, as new models are sold the year before.
    firstRegistrationDate: `${year - (digest[5]! % 2)}-${month}-${day}`,
    vehicleIdentificationNumber: vin,
  };
}
