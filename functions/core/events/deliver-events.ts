import type { ResolvedDealer } from '../dealer-config.js';
import type {
  Clock,
  DedupeStore,
  DeliveredEventArchive,
  DeliveryAttempts,
  DmsSink,
  EventQueue,
  FifoBatchRunner,
  Log,
  RetryScheduler,
  SnapshotReader,
  WaykeApi,
} from '../../ports.js';
import { errorName, newBatchState, type BatchState, type DeliveryOutcome, type Known } from './batch-state.js';
import { makeDeadLetter } from './dead-letter.js';
import { makeDeliverRecord } from './deliver-record.js';
import { makeEnrich } from './enrich.js';
import { eventIdOf, type EventRecord } from './event-record.js';
import { DEFAULT_DMS_RETRY_SCHEDULE } from './retry-schedule.js';
import { makeLater, makeRetryOrDeadLetter } from './retry-or-dead-letter.js';

export type { DeliveryOutcome } from './batch-state.js';
export { UndeliverableEventError, type EventRecord } from './event-record.js';

export interface DeliveryReport {
  readonly batchItemFailures: Array<{ itemIdentifier: string }>;
  readonly outcomes: ReadonlyArray<{ readonly messageId: string; readonly outcome: DeliveryOutcome }>;
  /** Dealers whose DMS endpoint has been failing for more than 15 minutes, and since when. */
  readonly endpointsFailing: ReadonlyArray<{ readonly dealerId: string; readonly since: string }>;
}

export interface DeliverEventsDeps {
  readonly dealers: ReadonlyMap<string, ResolvedDealer>;
  readonly dedupe: DedupeStore;
  readonly attempts: DeliveryAttempts;
  /** Schedules a failed record's next attempt; without it the queue's visibility timeout does. */
  readonly retry?: RetryScheduler;
  /** Delays after each failed attempt, seconds (default {@link DEFAULT_DMS_RETRY_SCHEDULE}). */
  readonly retrySchedule?: readonly number[];
  /** Draws the retry jitter, in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
  /** Keeps each delivered envelope for `wayke-dms replay`. */
  readonly archive?: DeliveredEventArchive;
  /** One sink per DMS target type (`dealer.dms.type`). */
  readonly sinks: { readonly webhook: DmsSink; readonly outbox: DmsSink };
  /** The Wayke client for a dealer's credentials (for enrichment). */
  readonly wayke: (dealer: ResolvedDealer) => Promise<WaykeApi>;
  /** The import's snapshot: the dealer's stock number (`externalId`) of a delivered vehicle. */
  readonly snapshots?: Pick<SnapshotReader, 'entry'>;
  /** Where permanently refused events go at once (the events queue's DLQ). */
  readonly deadLetters: EventQueue;
  /** Runs the batch in order per vehicle group, skipping a group's records behind a failure. */
  readonly runInOrder: FifoBatchRunner;
  readonly clock: Clock;
  readonly log: Log;
}

export interface DeliverBatchOptions {
  /** Time left in this invocation (Lambda's `getRemainingTimeInMillis`). */
  readonly remainingMs?: () => number;
  /**
   * A record is started only while more than this is left (default 0); the rest of its group is
   * returned unprocessed, so a Lambda timeout never cuts a delivery off half-way.
   */
  readonly reserveMs?: number;
}

/** A record the runner counts as failed without an attempt: too little time was left. */
class NotStarted extends Error {}
/** A record the runner counts as failed after its attempt: it returns by the retry schedule. */
class LeftOnQueue extends Error {}

/** Without the dedupe table nothing is delivered: the whole batch waits for the next attempt. */
function wholeBatchWaits(records: readonly EventRecord[]): DeliveryReport {
  const outcomes = records.map((record) => ({ messageId: record.messageId, outcome: 'failed' as const }));
  return {
    batchItemFailures: outcomes.map((entry) => ({ itemIdentifier: entry.messageId })),
    outcomes,
    endpointsFailing: [],
  };
}

/**
 * The DMS writer's use case: reads the dedupe records of the whole batch in one call, then hands
 * the records to the FIFO runner (`deps.runInOrder`: Powertools' FIFO processor with
 * `skipGroupOnError` in the Lambda), which runs them in order and, once a record of a group fails,
 * fails the rest of that group unprocessed while other groups go on. Each record runs {@link makeDeliverRecord}'s steps; a retryable failure goes to the retry
 * step ({@link makeRetryOrDeadLetter}). After the batch, the records skipped behind a failure are
 * hidden as long as it, and dealers whose DMS accepted an event are marked no longer failing.
 */
export function makeDeliverEvents(
  deps: DeliverEventsDeps,
): (records: readonly EventRecord[], options?: DeliverBatchOptions) => Promise<DeliveryReport> {
  const deadLetter = makeDeadLetter(deps);
  const deliverRecord = makeDeliverRecord({ ...deps, deadLetter, enrich: makeEnrich(deps) });
  const retryOrDeadLetter = makeRetryOrDeadLetter({
    ...deps,
    schedule: deps.retrySchedule ?? DEFAULT_DMS_RETRY_SCHEDULE,
    random: deps.random ?? Math.random,
    deadLetter,
  });
  const later = makeLater(deps.retry);

  /** Dealers whose DMS accepted an event are no longer failing (one write per dealer and batch). */
  async function settleEndpoints(batch: BatchState): Promise<void> {
    for (const dealerId of batch.endpointsOk) {
      if (batch.endpointsFailing.has(dealerId)) continue;
      await deps.attempts.recordEndpointSuccess(dealerId).catch((error: unknown) => {
        deps.log.warn('endpoint state not cleared', { dealerId, error: errorName(error) });
      });
    }
  }

  return async (records, options = {}) => {
    const outOfTime = () => options.remainingMs !== undefined && options.remainingMs() <= (options.reserveMs ?? 0);
    let batch: BatchState;
    try {
      batch = newBatchState(await deps.dedupe.deliveredAmong(records.map(eventIdOf).filter((id) => id !== undefined)));
    } catch (error) {
      deps.log.warn('dedupe read failed: batch left on the queue', {
        error: errorName(error),
        records: records.length,
      });
      return wholeBatchWaits(records);
    }
    const outcomes = new Map<string, DeliveryOutcome>();
    // Per group: how long its failed record is hidden, so the records behind it come back with it.
    const holds = new Map<string, number>();

    async function handleRecord(record: EventRecord): Promise<void> {
      if (outOfTime()) throw new NotStarted();
      const known: Known = {};
      try {
        outcomes.set(record.messageId, await deliverRecord(record, known, batch));
        return;
      } catch (error) {
        const failed = await retryOrDeadLetter(record, known, error, batch);
        outcomes.set(record.messageId, failed.outcome);
        if (failed.outcome !== 'failed') return;
        if (record.groupId !== undefined) holds.set(record.groupId, failed.retryInSeconds ?? 0);
        throw new LeftOnQueue();
      }
    }

    const failedIds = await deps.runInOrder(records, handleRecord);
    // The runner skips a failed group's later records without a hook per record, so holding
    // them (ChangeMessageVisibility) is done here, once it is done.
    for (const record of records) {
      if (outcomes.has(record.messageId)) continue;
      outcomes.set(record.messageId, 'notAttempted');
      await later(record, (record.groupId !== undefined ? holds.get(record.groupId) : undefined) ?? 0).catch(
        () => undefined,
      );
    }
    await settleEndpoints(batch);
    return {
      batchItemFailures: failedIds.map((itemIdentifier) => ({ itemIdentifier })),
      outcomes: records.map((record) => ({ messageId: record.messageId, outcome: outcomes.get(record.messageId)! })),
      endpointsFailing: [...batch.endpointsFailing].map(([dealerId, since]) => ({ dealerId, since })),
    };
  };
}
