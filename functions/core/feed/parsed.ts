import type { VehicleField } from '../vehicle.js';
import type { FieldProblem, RawRecord } from './record.js';

/** A record the format itself could not read into fields (a ragged CSV row, a JSON string). */
export interface UnreadableRecord {
  readonly unreadable: FieldProblem[];
  /** The plate where one can still be told (it is validated before it is reported). */
  readonly registrationNumber?: string;
}

/** What a format reader hands the validation: records in feed order, and what the header held. */
export interface ParsedFeed {
  readonly records: Array<RawRecord | UnreadableRecord>;
  /** Fields some column/element maps to (for MISSING_COLUMNS), whether or not a value is filled in. */
  readonly seenFields: ReadonlySet<VehicleField>;
  /** Column/element names that map to no field, in first-seen order. */
  readonly unusedNames: readonly string[];
  /** Normalised names present in the file, to tell a dealer which profile names were not found. */
  readonly presentNames: ReadonlySet<string>;
}

export const isUnreadable = (record: RawRecord | UnreadableRecord): record is UnreadableRecord => 'unreadable' in record;
