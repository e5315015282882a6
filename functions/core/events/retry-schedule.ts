import * as z from 'zod';

/**
 * When a failed DMS delivery is tried again. SQS FIFO has no per-message delay, so the DMS writer
 * hides the failed message for the next delay (`ChangeMessageVisibility`, at most 12 h); its
 * message group stays blocked meanwhile, so order per vehicle holds while other vehicles flow.
 */

/**
 * Longest delay, seconds: SQS's 12-hour visibility limit counts from the receive, so 5 minutes are
 * left for the invocation that schedules it.
 */
export const MAX_RETRY_DELAY_SECONDS = 43_200 - 300;

/**
 * Delays after the 1st, 2nd, … failed attempt, in seconds: 5 s, 30 s, 2 min, 5 min, 30 min, 1 h,
 * 2 h, 5 h, 10 h, 10 h — like Svix's schedule, starting within seconds and covering 28.6 h before
 * jitter, so a DMS that is down for a whole day still gets the event.
 */
export const DEFAULT_DMS_RETRY_SCHEDULE: readonly number[] = [
  5, 30, 120, 300, 1800, 3600, 7200, 18_000, 36_000, 36_000,
];

/** Jitter added to each delay (up to +25 %), so events failing together do not return together. */
export const RETRY_JITTER = 0.25;

/** A DMS endpoint failing this long raises `DmsEndpointFailing` (15 min). */
export const DMS_ENDPOINT_FAILING_AFTER_MS = 15 * 60_000;

/** The DMS writer's ERROR line beside the metric (the local console watches for it). */
export const DMS_ENDPOINT_FAILING_MESSAGE = 'DMS endpoint failing for more than 15 minutes';

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600 };

/** A retry schedule that cannot be used. */
export class RetryScheduleError extends Error {
  override readonly name = 'RetryScheduleError';
}

/**
 * Parses `5s,30s,2m,1h` (units s, m, h; a bare number is seconds). Each delay must be at least 1 s
 * and at most {@link MAX_RETRY_DELAY_SECONDS}; the jitter never takes a delay beyond that.
 */
export function parseRetrySchedule(text: string): number[] {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (parts.length === 0) throw new RetryScheduleError('retry schedule is empty (expected e.g. "5s,30s,2m,1h")');
  return parts.map((part) => {
    const match = /^(\d+(?:\.\d+)?)([smh]?)$/.exec(part);
    if (!match) throw new RetryScheduleError(`retry delay "${part}" is not a number with unit s, m or h`);
    const seconds = Math.round(Number(match[1]) * UNITS[match[2] || 's']!);
    if (seconds < 1) throw new RetryScheduleError(`retry delay "${part}" must be at least 1 s`);
    if (seconds > MAX_RETRY_DELAY_SECONDS)
      throw new RetryScheduleError(`retry delay "${part}" exceeds 11h55m (SQS's 12-hour visibility limit)`);
    return seconds;
  });
}

/** A schedule as text (`5s,30s,2m`) → seconds; for the writer's env and the CDK context. */
export const RetryScheduleTextSchema = z.string().transform((text, ctx) => {
  try {
    return parseRetrySchedule(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

/** Writes a schedule back as text (`5s,30s,2m`), for env variables and the CLI. */
export function formatRetrySchedule(schedule: readonly number[]): string {
  return schedule
    .map((seconds) =>
      seconds % 3600 === 0 ? `${seconds / 3600}h` : seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`,
    )
    .join(',');
}

/**
 * The delay before the next attempt after `failures` failed attempts (1-based), or `null` once the
 * schedule is used up (the event then goes to the DLQ). `random` in [0, 1) draws the jitter.
 */
export function nextRetryDelay(schedule: readonly number[], failures: number, random: number): number | null {
  const base = schedule[failures - 1];
  if (base === undefined) return null;
  return Math.min(MAX_RETRY_DELAY_SECONDS, Math.ceil(base * (1 + RETRY_JITTER * random)));
}

/**
 * The events queue's `maxReceiveCount`: a backstop only — the writer dead-letters an event itself
 * once its schedule is used up. A message is also received (and not attempted) each time an
 * earlier message of its group is retried, up to 9 earlier ones in a batch of 10; hence ten times
 * the attempts, within SQS's maximum of 1000.
 */
export function eventsMaxReceiveCount(schedule: readonly number[]): number {
  return Math.min(1000, (schedule.length + 1) * 10);
}

/** Seconds the schedule spans without jitter (the shortest time before the DLQ). */
export const scheduleSpanSeconds = (schedule: readonly number[]): number =>
  schedule.reduce((sum, seconds) => sum + seconds, 0);
