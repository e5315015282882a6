/**
 * The report text (`latest.txt`) names the feed where the dealer finds it after the run — in
 * `archive/` or `rejected/`, not the `inbound/` it left — and counts in good Swedish and English.
 */
import { describe, expect, it } from 'vitest';
import { reportText, type ImportReport } from '../../../functions/core/import/report.js';
import { settledKey } from '../../../functions/core/feed-bucket.js';
import { importReport, rejectedRow, REPORT_SOURCE } from '../../support/import-report.js';

const AT = new Date('2026-12-02T14:00:00.000Z');
const INBOUND = REPORT_SOURCE;

const report = (given: Partial<ImportReport> = {}) =>
  importReport({
    at: AT.toISOString(),
    feed: { format: 'csv', encoding: 'utf-8', vehicles: 2, rejected: 0 },
    created: 2,
    ...given,
  });

describe('the report text names the file where it is now', () => {
  it('an archived feed is named in archive/, with the name it was uploaded as', () => {
    const archived = settledKey('bilhallen', 'archived', AT, INBOUND);
    const text = reportText(report({ movedTo: archived }));
    const where = archived.replace('feeds/bilhallen/', '');
    expect(where).toMatch(/^archive\//);
    expect(text).toContain(`Fil: ${where} (inskickad som inbound/lager.csv)`);
    expect(text).toContain(`File: ${where} (uploaded as inbound/lager.csv)`);
  });

  it('a feed rejected as a whole is named in rejected/', () => {
    const rejected = settledKey('bilhallen', 'rejected', AT, INBOUND);
    const text = reportText(
      report({
        movedTo: rejected,
        feed: {
          format: null,
          encoding: null,
          vehicles: 0,
          rejected: 0,
          error: { code: 'EMPTY_FEED', message: 'empty' },
        },
      }),
    );
    expect(text).toContain(`File: ${rejected.replace('feeds/bilhallen/', '')} (uploaded as inbound/lager.csv)`);
    expect(text).not.toMatch(/^File: inbound\//m);
  });

  it('a feed that did not move (a file from the terminal) keeps its own name', () => {
    const text = reportText(report({ source: 'examples/feeds/bilhallen.csv' }));
    expect(text).toContain('Fil: examples/feeds/bilhallen.csv\n');
    expect(text).toContain('File: examples/feeds/bilhallen.csv\n');
  });
});

describe('the report text counts in the singular and the plural', () => {
  it('1 vehicle, 1 row rejected / 1 rad avvisad', () => {
    const text = reportText(
      report({
        created: 1,
        feed: { format: 'csv', encoding: 'utf-8', vehicles: 1, rejected: 1 },
        rejected: [rejectedRow(3)],
      }),
    );
    expect(text).toContain('Read: 1 vehicle (csv, utf-8), 1 row rejected');
    expect(text).toContain('Läst: 1 fordon (csv, utf-8), 1 rad avvisad');
  });

  it('2 vehicles, 2 rows rejected / 2 rader avvisade', () => {
    const text = reportText(
      report({
        feed: { format: 'csv', encoding: 'utf-8', vehicles: 2, rejected: 2 },
        rejected: [rejectedRow(3), rejectedRow(4)],
      }),
    );
    expect(text).toContain('Read: 2 vehicles (csv, utf-8), 2 rows rejected');
    expect(text).toContain('Läst: 2 fordon (csv, utf-8), 2 rader avvisade');
  });

  it('a stopped run that left one vehicle says it in the singular', () => {
    const text = reportText(report({ stopped: { reason: 'WAYKE_AUTH_URL has no path', vehicles: 1 } }));
    expect(text).toContain('1 vehicle was not changed; the next run tries again.');
  });
});
