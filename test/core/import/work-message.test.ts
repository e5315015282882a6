import { describe, expect, it } from 'vitest';
import { allowsMassRemoval, WorkMessageSchema } from '../../../functions/core/import/work-message.js';

describe('work messages', () => {
  it('let removals through only on a manual message that asks for it', () => {
    const parse = (body: unknown) => WorkMessageSchema.parse(body);
    expect(allowsMassRemoval(parse({ dealerId: 'bilhallen', trigger: 'manual', allowMassRemoval: true }))).toBe(true);
    expect(allowsMassRemoval(parse({ dealerId: 'bilhallen', trigger: 'manual' }))).toBe(false);
    expect(allowsMassRemoval(parse({ dealerId: 'bilhallen', trigger: 'schedule', allowMassRemoval: true }))).toBe(
      false,
    );
    expect(
      allowsMassRemoval(
        parse({
          dealerId: 'bilhallen',
          trigger: 'upload',
          key: 'feeds/bilhallen/inbound/a.csv',
          allowMassRemoval: true,
        }),
      ),
    ).toBe(false);
    expect(WorkMessageSchema.safeParse({ dealerId: 'bilhallen', trigger: 'manual', extra: 1 }).success).toBe(false);
  });
});
