import type { Clock, EventQueue } from '../../ports.js';
import type { EventRecord } from './event-record.js';

/** The longest reason kept on a dead-lettered message (an SQS attribute, read by people). */
const MAX_REASON_LENGTH = 500;

/**
 * Sends a record to the events DLQ with a reason free of personal data, keeping group and
 * deduplication ids so a redrive restores the event exactly.
 */
export function makeDeadLetter(deps: {
  readonly deadLetters: EventQueue;
  readonly clock: Clock;
}): (record: EventRecord, reason: string) => Promise<void> {
  return async (record, reason) => {
    await deps.deadLetters.send({
      body: record.body,
      groupId: record.groupId ?? record.messageId,
      deduplicationId: record.deduplicationId ?? record.messageId,
      attributes: { reason: reason.slice(0, MAX_REASON_LENGTH), deadLetteredAt: deps.clock.now().toISOString() },
    });
  };
}
