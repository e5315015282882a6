/** How contract-check decides that a value round-tripped, and how it names the rows. */
import { describe, expect, it } from 'vitest';
import { compareBody, roundTrips, unsentNames } from '../../functions/local/contract-check/compare.js';

describe('contract-check comparison', () => {
  it('an object round-trips with keys Wayke added, not with a key it dropped', () => {
    expect(roundTrips([{ url: 'u', name: 'n' }], [{ url: 'u', name: 'n', id: 7 }])).toBe(true);
    expect(roundTrips([{ url: 'u', name: 'n' }], [{ url: 'u' }])).toBe(false);
  });

  it('an array round-trips only in the same order and length', () => {
    expect(roundTrips(['a', 'b'], ['a', 'b'])).toBe(true);
    expect(roundTrips(['a', 'b'], ['b', 'a'])).toBe(false);
    expect(roundTrips(['a', 'b'], ['a'])).toBe(false);
  });

  it('a number does not round-trip as its string', () => {
    expect(roundTrips(4115, '4115')).toBe(false);
  });

  it('a null read back counts as absent', () => {
    const [row] = compareBody('create', { ad: { oldPrice: 1 } }, { ad: { oldPrice: null } });
    expect(row).toMatchObject({ name: 'ad.oldPrice', field: 'oldPrice', present: false, ok: false });
  });

  it('names a row by its dotted Wayke path and the canonical field beside it', () => {
    const rows = compareBody('create', { marketCode: 'SE', ad: { campaignPrice: 2 } }, { marketCode: 'SE', ad: {} });
    expect(rows).toEqual([
      { step: 'create', name: 'marketCode', sent: 'SE', present: true, readBack: 'SE', ok: true },
      {
        step: 'create',
        name: 'ad.campaignPrice',
        field: 'campaignPrice',
        sent: 2,
        present: false,
        ok: false,
        note: 'not read back under this name',
      },
    ]);
  });

  it('lists names read back but not sent, leaving out the registry facts Wayke adds', () => {
    const read = { vehicle: { manufacturer: 'Volvo', vin: 'X' }, ad: { discountPrice: 2, price: 1 } };
    expect(unsentNames({ vehicle: { vin: 'X' }, ad: { price: 1 } }, read)).toEqual(['ad.discountPrice']);
  });
});
