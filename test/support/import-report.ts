/**
 * An import report as a run leaves it, for tests of what reads one (the console, `latest.txt`):
 * bilhallen's upload `inbound/lager.csv`, three vehicles read, nothing done; `given` sets the rest.
 */
import type { ImportReport } from '../../functions/core/import/report.js';
import { NOTHING_DONE } from '../../functions/core/import/run-steps.js';

export const REPORT_SOURCE = 'feeds/bilhallen/inbound/lager.csv';

export function importReport(given: Partial<ImportReport> = {}): ImportReport {
  return {
    dealer: 'bilhallen',
    runId: 'run-1',
    at: '2026-12-02T14:00:00.000Z',
    trigger: 'upload',
    source: REPORT_SOURCE,
    movedTo: null,
    retry: false,
    feed: { format: 'csv', encoding: 'utf-8', vehicles: 3, rejected: 0 },
    ...NOTHING_DONE,
    rejected: [],
    ...given,
  };
}

/** A row rejected for its price. */
export const rejectedRow = (row: number) => ({ row, errors: [{ field: 'price', message: 'is not an amount' }] });

/** A change Wayke refused. */
export const failedChange = (registrationNumber: string) => ({
  registrationNumber,
  action: 'create' as const,
  error: 'Wayke answered 503',
});
