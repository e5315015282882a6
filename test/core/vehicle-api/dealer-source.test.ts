import { describe, expect, it } from 'vitest';
import { DEFAULT_VEHICLE_API_RATE_LIMIT, DealerSchema } from '../../../functions/core/dealer-config.js';

const base = { id: 'dealer-x', name: 'X', branchId: '66666666-6666-4666-8666-666666666666' };

describe('dealer config: source and vehicleApi', () => {
  it('defaults to files only and the documented rate limit', () => {
    const dealer = DealerSchema.parse(base);
    expect(dealer.source).toBe('feed');
    expect(dealer.vehicleApi.rateLimit).toEqual(DEFAULT_VEHICLE_API_RATE_LIMIT);
    expect(DEFAULT_VEHICLE_API_RATE_LIMIT).toEqual({ requestsPerSecond: 10, burst: 50 });
  });

  it('takes a per-dealer limit, filling what is left out', () => {
    expect(
      DealerSchema.parse({ ...base, source: 'both', vehicleApi: { rateLimit: { burst: 5 } } }).vehicleApi.rateLimit,
    ).toEqual({ requestsPerSecond: 10, burst: 5 });
  });

  it('refuses an unknown source and unknown keys with the field named', () => {
    const bad = DealerSchema.safeParse({ ...base, source: 'ftp' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['source']);
    const typo = DealerSchema.safeParse({ ...base, vehicleApi: { ratelimit: {} } });
    expect(typo.success).toBe(false);
  });
});
