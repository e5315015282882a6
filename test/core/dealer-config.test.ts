import { describe, expect, it } from 'vitest';
import { DealerConfigSchema, DEALER_ID_PATTERN } from '../../functions/core/dealer-config.js';

const BRANCH = '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';
const config = (id: string) => ({ dealers: [{ id, name: 'D', branchId: BRANCH }] });

/** Transfer Family's user-name rule (CreateUser): 3–100 of \w @ . -, starting with a word character. */
const TRANSFER_USER_NAME = /^[\w][\w@.-]{2,99}$/;
/** Secrets Manager names: letters, digits and /_+=.@- (the stack puts the id after a prefix). */
const SECRET_NAME_PART = /^[A-Za-z0-9/_+=.@-]+$/;

describe('dealer ids', () => {
  it.each(['ab', '-bil', 'bil-', 'Bilhallen', 'bil_hallen', 'bil hallen', 'å-bil', 'a'.repeat(41), ''])(
    'refuses %j with the rule in the message',
    (id) => {
      // Prepare / Act
      const parsed = DealerConfigSchema.safeParse(config(id));
      // Assess
      expect(parsed.success).toBe(false);
      expect(parsed.error!.issues[0]!.message).toMatch(
        /3–40 of a-z, 0-9 and -, starting and ending with a letter or digit/,
      );
    },
  );

  it.each(['abc', 'bil-hallen', '4x4-center', 'a'.repeat(40), 'a-b'])('accepts %j', (id) => {
    expect(DealerConfigSchema.safeParse(config(id)).success).toBe(true);
  });

  it('every id the pattern accepts is a valid Transfer user name and secret name part', () => {
    // A walk over short ids, where the edge cases are (first/last character, length 3).
    const alphabet = ['a', '0', '-'];
    const ids = alphabet.flatMap((a) =>
      alphabet.flatMap((b) => alphabet.flatMap((c) => [`${a}${b}${c}`, `${a}${b}${c}${a}`])),
    );
    const accepted = ids.filter((id) => DEALER_ID_PATTERN.test(id));
    expect(accepted.length).toBeGreaterThan(0);
    for (const id of accepted) {
      expect(id, id).toMatch(TRANSFER_USER_NAME);
      expect(id, id).toMatch(SECRET_NAME_PART);
      expect(id.startsWith('-') || id.endsWith('-'), id).toBe(false);
    }
  });
});
