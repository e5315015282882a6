import { PermanentError, RetryableError } from '../errors.js';

/** An `Idempotency-Key` was sent again with a different request: the first answer cannot be replayed. */
export class IdempotencyConflictError extends PermanentError {}

/** The first request with this `Idempotency-Key` is still running: the client should retry shortly. */
export class IdempotencyInProgressError extends RetryableError {}

/** The dealer's lease stayed taken (an import is running): the change waits on the queue. */
export class DealerBusyError extends RetryableError {}
