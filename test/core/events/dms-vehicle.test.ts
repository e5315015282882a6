import { describe, expect, it } from 'vitest';
import { DmsVehicleSchema, toDmsVehicle } from '../../../functions/core/events/dms-vehicle.js';

describe('the DMS vehicle', () => {
  it('holds the ad, the registry facts, the images in order and the unit in the mileage name', () => {
    const vehicle = toDmsVehicle({
      id: 'ad-1',
      status: 'Sold',
      vehicle: {
        registrationNumber: 'ABC123',
        price: 99000,
        mileage: 12000,
        equipment: ['Dragkrok'],
        externalId: 'LAGER-7',
      },
      mediaUrls: ['https://media.example.test/2.jpg', 'https://media.example.test/1.jpg'],
      details: { make: 'Volvo', model: 'V60', vin: 'YV1ZWA8UDL2123456' },
    });
    expect(vehicle).toEqual({
      waykeId: 'ad-1',
      status: 'Sold',
      registrationNumber: 'ABC123',
      vin: 'YV1ZWA8UDL2123456',
      make: 'Volvo',
      model: 'V60',
      mileageKm: 12000,
      price: 99000,
      equipment: ['Dragkrok'],
      images: ['https://media.example.test/2.jpg', 'https://media.example.test/1.jpg'],
    });
    expect(DmsVehicleSchema.safeParse(vehicle).success).toBe(true);
  });

  it('never invents what Wayke did not return, and the VIN the dealer sent wins over the registry', () => {
    const vehicle = toDmsVehicle({
      id: 'ad-2',
      status: 'Published',
      vehicle: { registrationNumber: 'XYZ789', price: 1, mileage: 0, vin: 'WVWZZZ1KZAW000001' },
      mediaUrls: [],
      details: { vin: 'YV1ZWA8UDL2123456' },
    });
    expect(Object.keys(vehicle).sort()).toEqual([
      'images',
      'mileageKm',
      'price',
      'registrationNumber',
      'status',
      'vin',
      'waykeId',
    ]);
    expect(vehicle.vin).toBe('WVWZZZ1KZAW000001');
  });
});
