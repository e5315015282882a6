import { describe, expect, it } from 'vitest';
import { thousands } from '../../functions/core/format-number.js';

describe('thousands', () => {
  it('groups digits by three from the right, as sv-SE and en-US write them', () => {
    for (const value of [0, 7, 999, 1000, 12_345, 100_000, 999_999, 1_000_000, 5_000_000, 100_000_000, 1_234_567_890]) {
      expect(thousands(value, ' ')).toBe(value.toLocaleString('sv-SE').replace(/\u00a0/g, ' '));
      expect(thousands(value, ',')).toBe(value.toLocaleString('en-US'));
    }
  });
});
