/**
 * The run report speaks the dealer's unit: the summary of a run states the market and its
 * mileage unit, and a mileage the reader refused is explained in that unit, in English and
 * Swedish (the reader itself speaks km). The real feed reader, no mocks.
 */
import { describe, expect, it } from 'vitest';
import { bytesFeed } from '../../../functions/adapters/file-feed-source.js';
import { readFeed } from '../../../functions/core/feed/index.js';
import { mileageReasonIn } from '../../../functions/core/market.js';
import { readChosenFeed } from '../../../functions/core/import/read.js';
import { reasonSv } from '../../../functions/core/import/reasons-sv.js';
import { reportText, type ImportReport } from '../../../functions/core/import/report.js';
import { NOTHING_DONE, summarize } from '../../../functions/core/import/run-steps.js';

const now = new Date('2026-06-01T00:00:00Z');
/** One car over the 5 000 000 km bound (in a mil column: 600 000 mil), one fine. */
const FEED = 'Regnr;Pris;Miltal\nABC123;199900;600 000\nABC124;199900;4 410\n';

async function summaryFor(market: 'SE' | 'NO' | 'FI' | undefined) {
  const reading = await readChosenFeed(bytesFeed('lager.csv', Buffer.from(FEED), now), {
    readFeed,
    maxBytes: 1_000_000,
    now,
  });
  return summarize({ id: 'bilhallen', ...(market ? { market } : {}) }, reading, NOTHING_DONE);
}

const report = (summary: Awaited<ReturnType<typeof summaryFor>>): ImportReport => ({
  ...summary,
  runId: 'r',
  at: '2026-06-01T00:00:00.000Z',
  trigger: 'cli',
  source: 'lager.csv',
  movedTo: null,
  retry: false,
});

describe('the unit of a report', () => {
  it('is the market unit: mil for SE, km for NO and FI, SE when the dealer names none', async () => {
    expect(await summaryFor('SE')).toMatchObject({ market: 'SE', mileageUnit: 'mil' });
    expect(await summaryFor('NO')).toMatchObject({ market: 'NO', mileageUnit: 'km' });
    expect(await summaryFor('FI')).toMatchObject({ market: 'FI', mileageUnit: 'km' });
    expect(await summaryFor(undefined)).toMatchObject({ market: 'SE', mileageUnit: 'mil' });
  });

  it('states an out-of-range mileage to an SE dealer in mil, with the value as the dealer wrote it', async () => {
    const [row] = (await summaryFor('SE')).rejected;
    expect(row?.errors).toEqual([
      { field: 'mileage', message: '"600 000" must be at most 500 000 mil (check the unit: mil or km)' },
    ]);
  });

  it('states it to a NO dealer in km', async () => {
    const [row] = (await summaryFor('NO')).rejected;
    expect(row?.errors[0]?.message).toBe('"600 000" must be at most 5 000 000 km (check the unit: mil or km)');
  });

  it('says the market and unit in both halves of the text, and the reason in Swedish in the Swedish half', async () => {
    const text = reportText(report(await summaryFor('SE')));
    const [sv, en] = text.split('\n\n') as [string, string];
    expect(sv).toContain('Marknad SE: mätarställning anges i mil');
    expect(sv).toContain('"600 000" får vara högst 500 000 mil (kontrollera enheten: mil eller km)');
    expect(en).toContain('Market SE: mileage is given in mil');
    expect(en).toContain('"600 000" must be at most 500 000 mil (check the unit: mil or km)');
  });

  it('leaves a report without a unit (written before units were per dealer) without the line', async () => {
    const { market: _m, mileageUnit: _u, ...old } = report(await summaryFor('SE'));
    expect(reportText(old)).not.toMatch(/Marknad|Market/);
  });
});

describe('mileageReasonIn', () => {
  it('rewrites the bound the vehicle schema writes, whatever its grouping', () => {
    const [reason] = readFeed(Buffer.from(FEED), { now }).rejected.flatMap((r) => r.errors.map((e) => e.message));
    expect(reason).toMatch(/must be at most 5,000,000 km/);
    expect(mileageReasonIn('mil', reason as string)).toContain('must be at most 500 000 mil');
    expect(mileageReasonIn('km', reason as string)).toContain('must be at most 5 000 000 km');
  });

  it('leaves every other reason as it is', () => {
    expect(mileageReasonIn('mil', '"många" is not a mileage')).toBe('"många" is not a mileage');
    expect(reasonSv('"många" is not a mileage')).toBe('"många" är inget miltal');
  });
});
