/**
 * Lambda timeouts and queue settings, written once. The CDK constructs (`lib/`) deploy them, the
 * local run (`npm start`) creates its queues and counts its handlers' deadlines down from them,
 * and tests read them, so the two runs cannot drift apart.
 */

/** Each function's timeout, seconds. */
export const FUNCTION_TIMEOUT_SECONDS = {
  importScheduler: 60,
  importWorker: 600,
  webhook: 10,
  dmsWriter: 30,
  vehicleApi: 10,
  vehicleWorker: 60,
} as const;

export type FunctionName = keyof typeof FUNCTION_TIMEOUT_SECONDS;

/** A queue's visibility timeout is this many times its consumer's timeout (AWS's advice for Lambda event sources). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** Dead-letter queues keep a message 14 days (SQS's maximum), so an operator back from holiday still finds it. */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 86_400;

export interface QueueSettings {
  /** The function that consumes the queue; its timeout sets the visibility timeout. */
  readonly consumer: FunctionName;
  readonly fifo: boolean;
  readonly retentionSeconds: number;
  /** Receives before SQS moves a message to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

export const QUEUES = {
  /** Import triggers (upload, schedule, push): a trigger older than a day is superseded by the hourly run. */
  work: { consumer: 'importWorker', fifo: false, retentionSeconds: 86_400, maxReceiveCount: 3 },
  /**
   * Webhook events in order per vehicle. The DMS writer dead-letters an event itself once its
   * retry schedule is used up; `maxReceiveCount` is only the backstop (the stack derives it from
   * the schedule: `eventsMaxReceiveCount`).
   */
  events: { consumer: 'dmsWriter', fifo: true, retentionSeconds: 4 * 86_400, maxReceiveCount: 1000 },
  /** Vehicle API changes in order per vehicle. */
  vehicle: { consumer: 'vehicleWorker', fifo: true, retentionSeconds: 4 * 86_400, maxReceiveCount: 5 },
} as const satisfies Record<string, QueueSettings>;

export type QueueName = keyof typeof QUEUES;

/** A queue's visibility timeout, seconds. */
export function visibilityTimeoutSeconds(queue: QueueName): number {
  return FUNCTION_TIMEOUT_SECONDS[QUEUES[queue].consumer] * VISIBILITY_TIMEOUT_FACTOR;
}
