import type { VehicleField } from '../vehicle.js';
import type { FieldProblem, RawRecord } from './record.js';

/** A record the format itself could not read into fields (a ragged CSV row, a JSON string). */
export interface UnreadableRecord {
  readonly unreadable: FieldProblem[];
  /** The plate where one can still be told (it is validated before it is reported). */
  readonly registrationNumber?: string;
  /**
   * Plates the record may hold although it could not be read (a ragged row, rows swallowed by a
   * stray quote): the run cannot tell whether these cars are in the feed, so it never removes
   * them. They take no part in the duplicate check (a doubtful row never rejects a good one).
   */
  readonly inDoubt?: readonly string[];
}

/**
 * Receives each record as soon as the format reader has it, in feed order, so it is validated
 * while the parser's own objects for it are still young garbage — nothing holds a whole parsed
 * file in memory at once. `row` is the number a dealer sees for the record (a CSV row's line,
 * header = 1); readers that leave it out get the record's 1-based position.
 */
export type RecordSink = (record: RawRecord | UnreadableRecord, row?: number) => void;

/** What a format reader reports once every record went to the sink: what the header held. */
export interface ParsedFeed {
  /** Fields some column/element maps to (for MISSING_COLUMNS), whether or not a value is filled in. */
  readonly seenFields: ReadonlySet<VehicleField>;
  /** Column/element names that map to no field, in first-seen order. */
  readonly unusedNames: readonly string[];
  /** Normalised names present in the file, to tell a dealer which profile names were not found. */
  readonly presentNames: ReadonlySet<string>;
}

export const isUnreadable = (record: RawRecord | UnreadableRecord): record is UnreadableRecord =>
  'unreadable' in record;
