/**
 * The Swedish half of a report carries the rejection reasons in Swedish: every reason the feed
 * reader writes for the test feeds (and for a feed built to hit each kind of bad value) has a
 * Swedish rendering, with the dealer's value kept exactly.
 */
import { NOTHING_DONE } from '../../../functions/core/import/run-steps.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFeed } from '../../../functions/core/feed/index.js';
import { feedErrorSv, fieldSv, reasonSv } from '../../../functions/core/import/reasons-sv.js';
import { reportText, type ImportReport } from '../../../functions/core/import/report.js';
import { FEED_ERROR_CODES } from '../../../functions/core/feed/errors.js';

const FIXTURES = 'test/fixtures/feeds';
const now = new Date('2026-06-01T00:00:00Z');

/** One row per kind of bad value the reader knows, plus a duplicate plate and a short row. */
const BAD_VALUES = [
  'Regnr;Pris;Miltal;Årsmodell;Momsbil;Bilder;Chassinummer;Beskrivning',
  'ABC123;Ring för pris;1000;2020;Ja;https://x.test/1.jpg;YV1ZWA8UDL1234567;Fin',
  'ABC124;0;1000;2020;Ja;https://x.test/1.jpg;YV1ZWA8UDL1234567;Fin',
  'ABC125;100000;många;2020;Ja;https://x.test/1.jpg;YV1ZWA8UDL1234567;Fin',
  'ABC126;100000;1000;1850;Ja;https://x.test/1.jpg;YV1ZWA8UDL1234567;Fin',
  'ABC127;100000;1000;2099;Ja;https://x.test/1.jpg;YV1ZWA8UDL1234567;Fin',
  'ABC128;100000;1000;2020;kanske;https://x.test/1.jpg;YV1ZWA8UDL1234567;Fin',
  'ABC129;100000;1000;2020;Ja;ftp://x.test/1.jpg;YV1ZWA8UDLI234567;Fin',
  'ABC129;100000;1000;2020;Ja;https://x.test/1.jpg;YV1ZWA8UDL1234567;Fin',
  'X;100000;1000;2020;Ja;https://x.test/1.jpg;YV1ZWA8UDL1234567;Fin',
  ';100000;1000;2020;Ja;https://x.test/1.jpg;YV1ZWA8UDL1234567;Fin',
  'ABC130;100000;1000',
  'ABC131;100000;1000;2020;Ja;https://x.test/1.jpg;YV1ZWA8UDL1234567;Fin;extra',
].join('\n');

function reasonsOf(bytes: Uint8Array): string[] {
  const result = readFeed(bytes, { now });
  return [
    ...result.rejected.flatMap((row) => row.errors.map((error) => error.message)),
    ...result.warnings.map((warning) => warning.message),
  ];
}

describe('Swedish rejection reasons', () => {
  it('render every reason the reader gives for bad values, keeping the value', () => {
    // Prepare
    const reasons = reasonsOf(Buffer.from(BAD_VALUES, 'utf8')).filter((reason) => !reason.startsWith('not used'));
    // Act
    const untranslated = reasons.filter((reason) => reasonSv(reason) === reason);
    // Assess
    expect(reasons.length).toBeGreaterThan(8);
    expect(untranslated).toEqual([]);
    expect(reasonSv('"Ring för pris" is not an amount in kronor')).toBe('"Ring för pris" är inget belopp i kronor');
    expect(reasonSv('must be greater than 0')).toBe('måste vara större än 0');
    expect(reasonSv('"2099" must be 2027 or earlier')).toBe('"2099" får vara högst 2027');
  });

  it('render the rejected rows of every test feed', () => {
    // The reader gives its structural reasons (stray quote, ragged row) in Swedish itself.
    const rejected = readdirSync(FIXTURES, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name !== 'mapping-example.json')
      .flatMap((entry) =>
        readFeed(readFileSync(join(FIXTURES, entry.name)), { now }).rejected.flatMap((row) => row.errors),
      )
      .filter((error) => !error.messageSv)
      .map((error) => error.message);
    expect(rejected.filter((reason) => reasonSv(reason) === reason)).toEqual([]);
  });

  it('leave an unknown reason in English rather than dropping it', () => {
    expect(reasonSv('a reason from a newer reader')).toBe('a reason from a newer reader');
  });

  it('say what each refusal of a whole file means, quoting the detail', () => {
    for (const code of FEED_ERROR_CODES) expect(feedErrorSv(code, 'detail')).toMatch(/^[A-ZÅÄÖ].+ \(detail\)$/);
  });

  it('appear in the Swedish half of the report, the English half unchanged', () => {
    // Prepare
    const report: ImportReport = {
      dealer: 'bilhallen',
      runId: 'r',
      at: '2026-06-01T10:00:00.000Z',
      trigger: 'upload',
      source: 'inbound/lager.csv',
      movedTo: null,
      retry: false,
      feed: { format: 'csv', encoding: 'windows-1252', vehicles: 1, rejected: 1 },
      ...NOTHING_DONE,
      created: 1,
      rejected: [
        {
          row: 3,
          registrationNumber: 'UZB18P',
          errors: [{ field: 'price', message: '"Ring för pris" is not an amount in kronor' }],
        },
      ],
    };
    // Act
    const [sv, en] = reportText(report).split('\n\n');
    // Assess
    expect(sv).toContain(`rad 3 (UZB18P): ${fieldSv('price')}: "Ring för pris" är inget belopp i kronor`);
    expect(sv).not.toContain('is not an amount');
    expect(en).toContain('row 3 (UZB18P): price: "Ring för pris" is not an amount in kronor');
  });
});
