import { WaykeDmsError } from '../errors.js';
import type { Clock, DeliveryAttempts, Log, RetryScheduler } from '../../ports.js';
import { EndpointFailure, errorName, type BatchState, type DeliveryOutcome, type Known } from './batch-state.js';
import type { EventRecord } from './event-record.js';
import { DMS_ENDPOINT_FAILING_AFTER_MS, nextRetryDelay } from './retry-schedule.js';

export interface RetryDeps {
  readonly attempts: DeliveryAttempts;
  /** Schedules a failed record's next attempt; without it the queue's visibility timeout does. */
  readonly retry?: RetryScheduler;
  /** Delays after each failed attempt, seconds. */
  readonly schedule: readonly number[];
  /** Draws the retry jitter, in [0, 1). */
  readonly random: () => number;
  readonly deadLetter: (record: EventRecord, reason: string) => Promise<void>;
  readonly clock: Clock;
  readonly log: Log;
}

export interface FailureResult {
  readonly outcome: DeliveryOutcome;
  /** When the record comes back; the records behind it in its group are held as long. */
  readonly retryInSeconds?: number;
}

/** Hides a record for `seconds` (0: back at once); without a scheduler the visibility timeout rules. */
export function makeLater(retry: RetryScheduler | undefined): (record: EventRecord, seconds: number) => Promise<void> {
  return async (record, seconds) => {
    if (retry && record.receiptHandle) await retry.retryAfter(record.receiptHandle, seconds);
  };
}

function failureContext(record: EventRecord, known: Known, error: unknown): Record<string, unknown> {
  const status = error instanceof WaykeDmsError ? error.context.status : undefined;
  return {
    messageId: record.messageId,
    ...known,
    error: errorName(error),
    ...(status !== undefined ? { status } : {}),
  };
}

/**
 * The retry step after a retryable failure: counts the attempt, hides the record until the next
 * one by the schedule, or — the schedule used up — dead-letters it. Should counting or scheduling
 * itself fail, the record is left on the queue and returns after the visibility timeout.
 */
export function makeRetryOrDeadLetter(
  deps: RetryDeps,
): (record: EventRecord, known: Known, caught: unknown, batch: BatchState) => Promise<FailureResult> {
  const later = makeLater(deps.retry);

  function noteFailingEndpoint(dealerId: string, since: Date | undefined, batch: BatchState): void {
    if (since && deps.clock.now().getTime() - since.getTime() >= DMS_ENDPOINT_FAILING_AFTER_MS)
      batch.endpointsFailing.set(dealerId, since.toISOString());
  }

  async function schedule(
    record: EventRecord,
    ids: { readonly eventId: string; readonly dealerId: string },
    failure: Record<string, unknown>,
    caught: { readonly error: unknown; readonly endpoint: boolean },
    batch: BatchState,
  ): Promise<FailureResult> {
    const { error, endpoint } = caught;
    const counted = await deps.attempts.recordFailure(ids.eventId, { dealerId: ids.dealerId, endpoint });
    noteFailingEndpoint(ids.dealerId, counted.endpointFailingSince, batch);
    const delay = nextRetryDelay(deps.schedule, counted.failures, deps.random());
    if (delay === null) {
      const reason = `retries used up after ${counted.failures} attempts: ${error instanceof Error ? error.message : 'unknown error'}`;
      deps.log.error('event delivery failed for good: sent to the DLQ', { ...failure, attempts: counted.failures });
      await deps.deadLetter(record, reason);
      return { outcome: 'deadLettered' };
    }
    await later(record, delay);
    deps.log.warn('event delivery failed: next attempt scheduled', {
      ...failure,
      attempts: counted.failures,
      retryInSeconds: delay,
    });
    return { outcome: 'failed', retryInSeconds: delay };
  }

  return async (record, known, caught, batch) => {
    const endpoint = caught instanceof EndpointFailure;
    const error = endpoint ? caught.error : caught;
    const failure = failureContext(record, known, error);
    const { eventId, dealerId } = known;
    if (!eventId || !dealerId) {
      deps.log.warn('event delivery failed: left on the queue', failure);
      return { outcome: 'failed' };
    }
    try {
      return await schedule(record, { eventId, dealerId }, failure, { error, endpoint }, batch);
    } catch (scheduling) {
      // The record still returns, after the queue's visibility timeout.
      deps.log.warn('event delivery failed: left on the queue', { ...failure, scheduling: errorName(scheduling) });
      return { outcome: 'failed' };
    }
  };
}
