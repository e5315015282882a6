import { describe, expect, it } from 'vitest';
import { loadDealerConfig } from '../functions/adapters/dealer-config-file.js';
import { VehicleSchema } from '../functions/core/vehicle.js';

describe('foundation', () => {
  it('loads the example dealer config with its mapping profile', () => {
    const config = loadDealerConfig('config/dealers.example.json');
    expect(config.dealers.map((d) => d.id)).toEqual(['bilhallen', 'motorcentrum', 'autohuset']);
    expect(config.dealers[2]?.mappingProfile?.mileageUnit).toBe('km');
  });
  it('normalises plates', () => {
    expect(VehicleSchema.parse({ registrationNumber: 'abc-123', price: 1, mileage: 0 }).registrationNumber).toBe('ABC123');
  });
});
