/**
 * The console's line per import report: its mark says whether the run did its job (✗ when it
 * applied nothing it tried, a yellow ✓ when some of it failed), and counts read in good English.
 */
import { describe, expect, it } from 'vitest';
import { reportLines } from '../../functions/local/dev/console.js';
import { failedChange, importReport, rejectedRow } from '../support/import-report.js';

describe('the console line of an import report', () => {
  it('a run whose every vehicle failed is ✗, with the count', () => {
    const [line] = reportLines(
      importReport({ failed: [failedChange('ABC123'), failedChange('DEF456'), failedChange('GHI789')] }),
    );
    expect(line).toMatch(/^✗ bilhallen: /);
    expect(line).toContain('nothing applied: all 3 changes failed');
  });

  it('a run that read nothing because every row was rejected is ✗, with the count', () => {
    const [line] = reportLines(
      importReport({
        feed: { format: 'csv', encoding: 'utf-8', vehicles: 0, rejected: 2 },
        rejected: [rejectedRow(2), rejectedRow(3)],
      }),
    );
    expect(line).toMatch(/^✗ bilhallen: /);
    expect(line).toContain('nothing read: all 2 rows rejected');
  });

  it('a run with some failures stays a ✓ with the failures named', () => {
    const [line] = reportLines(importReport({ created: 2, failed: [failedChange('ABC123')] }));
    expect(line).toMatch(/^✓ bilhallen: /);
    expect(line).toContain('1 failed (retried next run)');
    expect(line).not.toContain('nothing applied');
  });

  it('a clean run with nothing to change is a ✓, not a run that applied nothing', () => {
    const [line] = reportLines(importReport({ unchanged: 3 }));
    expect(line).toMatch(/^✓ bilhallen: /);
  });
});

describe('counts and superseded uploads on the console', () => {
  it('says 1 vehicle and 1 row rejected in the singular, 2 vehicles and 2 rows in the plural', () => {
    const one = reportLines(
      importReport({
        created: 1,
        feed: { format: 'csv', encoding: 'utf-8', vehicles: 1, rejected: 1 },
        rejected: [rejectedRow(3)],
      }),
    )[0]!;
    expect(one).toContain('— 1 vehicle: 1 created');
    expect(one).toContain('1 row rejected');
    expect(one).not.toMatch(/1 rows|1 vehicles/);
    const two = reportLines(
      importReport({
        created: 2,
        feed: { format: 'csv', encoding: 'utf-8', vehicles: 2, rejected: 2 },
        rejected: [rejectedRow(3), rejectedRow(4)],
      }),
    )[0]!;
    expect(two).toContain('— 2 vehicles: 2 created');
    expect(two).toContain('2 rows rejected');
  });

  it('an older upload superseded by the newer one gets its own line, once', () => {
    const lines = reportLines(importReport({ created: 3, superseded: ['feeds/bilhallen/inbound/lager-old.csv'] }));
    const superseded = lines.filter((line) => line.includes('superseded'));
    expect(superseded).toEqual(['– bilhallen: lager-old.csv superseded by lager.csv, archived without import']);
  });
});
