import type { VehicleField } from '../vehicle.js';
import type { FieldProblem, RawRecord } from './record.js';

/** A record the format itself could not read into fields (a ragged CSV row, a JSON string). */
export interface UnreadableRecord {
  readonly unreadable: FieldProblem[];
  /** The plate where one can still be told (it is validated before it is reported). */
  readonly registrationNumber?: string;
}

/**
 * Receives each record as soon as the format reader has it, in feed order, so it is validated
 * while the parser's own objects for it are still young garbage — nothing holds a whole parsed
 * file in memory at once.
 */
export type RecordSink = (record: RawRecord | UnreadableRecord) => void;

/** What a format reader reports once every record went to the sink: what the header held. */
export interface ParsedFeed {
  /** Fields some column/element maps to (for MISSING_COLUMNS), whether or not a value is filled in. */
  readonly seenFields: ReadonlySet<VehicleField>;
  /** Column/element names that map to no field, in first-seen order. */
  readonly unusedNames: readonly string[];
  /** Normalised names present in the file, to tell a dealer which profile names were not found. */
  readonly presentNames: ReadonlySet<string>;
}

export const isUnreadable = (record: RawRecord | UnreadableRecord): record is UnreadableRecord => 'unreadable' in record;
