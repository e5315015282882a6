import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { FifoBatchRunner } from '../ports.js';

/** What Powertools' FIFO processor reads of a record (its id and group), carrying the record. */
interface FifoItem<R> {
  readonly messageId: string;
  readonly attributes: { readonly MessageGroupId?: string };
  readonly record: R;
}

/**
 * {@link FifoBatchRunner} on Powertools' `SqsFifoPartialProcessorAsync` with `skipGroupOnError`:
 * the processor keeps the failed groups and answers the partial-batch failures. One processor per
 * batch, because it holds that batch's failed groups as state. A batch failing whole is answered
 * like any other (every record listed), not thrown.
 */
export const powertoolsFifoRunner: FifoBatchRunner = async (records, handle) => {
  const items = records.map((record) => ({
    messageId: record.messageId,
    attributes: record.groupId !== undefined ? { MessageGroupId: record.groupId } : {},
    record,
  }));
  const response = await processPartialResponse(
    { Records: items },
    ({ record }: FifoItem<(typeof records)[number]>) => handle(record),
    new SqsFifoPartialProcessorAsync(),
    { skipGroupOnError: true, throwOnFullBatchFailure: false },
  );
  return response.batchItemFailures.map((failure) => failure.itemIdentifier);
};
