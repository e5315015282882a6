/**
 * What the feed reader returns: the one declaration of the reader's contract, for the import use
 * case, the CLI's `validate-feed` and the vehicle API alike.
 */
import type { Vehicle } from '../vehicle.js';
import type { FeedErrorCode } from './errors.js';
import type { FieldProblem } from './record.js';

export type FeedFormat = 'csv' | 'xml' | 'json';

export interface RejectedRow {
  /**
   * The row as the dealer finds it: in a CSV the line it starts on, as a spreadsheet shows it
   * (the header is row 1, blank lines count); in XML and JSON the vehicle's 1-based position.
   */
  readonly row: number;
  readonly registrationNumber?: string;
  /** `code` names a problem with the row's structure (`RAGGED_ROW` …); `messageSv` is the Swedish text where written. */
  readonly errors: FieldProblem[];
}

/**
 * A row-level warning: an optional field left out, or list items dropped. `row: 0` is a warning
 * about the file as a whole (unused columns, profile names not found, encoding doubts).
 */
export interface FeedWarning {
  readonly row: number;
  readonly field: string;
  readonly message: string;
}

export interface FeedReadResult {
  readonly format: FeedFormat | null;
  readonly encoding: string | null;
  readonly vehicles: Array<{ row: number; vehicle: Vehicle }>;
  readonly rejected: RejectedRow[];
  readonly warnings: FeedWarning[];
  /**
   * Plates that rows the reader could not read may hold (ragged rows, rows swallowed by a stray
   * quote): nobody can tell whether these cars are in the feed, so a run never removes them.
   */
  readonly inDoubt: string[];
  /** Set when the file is refused as a whole; then `vehicles`, `rejected` and `warnings` are empty. */
  readonly error: { code: FeedErrorCode; message: string } | null;
}

/** The result of a feed refused as a whole before any row was read (too large, unreadable). */
export function refusedFeed(error: { code: FeedErrorCode; message: string }): FeedReadResult {
  return { format: null, encoding: null, vehicles: [], rejected: [], warnings: [], inDoubt: [], error };
}
