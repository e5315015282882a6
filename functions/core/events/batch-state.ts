import type { DmsEventKind } from '../dealer-config.js';

/** What became of one record. */
export type DeliveryOutcome =
  | 'delivered'
  /** Accepted by the DMS before, or a re-send of the last delivery: acknowledged without a delivery. */
  | 'duplicate'
  /** The dealer has no DMS target or switched this kind off. */
  | 'skipped'
  /** Refused for good (by the DMS, an unreadable message, or its retries used up): sent to the DLQ. */
  | 'deadLettered'
  /** Failed and left on the queue for its next attempt (batch item failure). */
  | 'failed'
  /** Not attempted: an earlier record of its group failed, or too little time was left. */
  | 'notAttempted';

/** What one batch learns as it runs: shared by the steps of all its records. */
export interface BatchState {
  /** Ids accepted before this batch (one batch read) or during it. */
  readonly delivered: Set<string>;
  /** Dealers whose DMS accepted an event in this batch. */
  readonly endpointsOk: Set<string>;
  /** Dealers whose DMS has been failing for more than 15 minutes, and since when (ISO). */
  readonly endpointsFailing: Map<string, string>;
}

export const newBatchState = (delivered: Iterable<string>): BatchState => ({
  delivered: new Set(delivered),
  endpointsOk: new Set(),
  endpointsFailing: new Map(),
});

/** What a record turned out to be, filled in as it is read (for the failure handling and logs). */
export interface Known {
  eventId?: string;
  dealerId?: string;
  kind?: DmsEventKind;
  plate?: string;
}

/** A retryable failure of the DMS endpoint itself (not of Wayke, the snapshot or the dedupe table). */
export class EndpointFailure extends Error {
  constructor(readonly error: unknown) {
    super('DMS endpoint failed');
  }
}

/** The error's type name for logs: never its message, which may quote a body. */
export const errorName = (error: unknown): string => (error instanceof Error ? error.name : 'unknown');
