import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DMS_RETRY_SCHEDULE,
  MAX_RETRY_DELAY_SECONDS,
  RetryScheduleError,
  eventsMaxReceiveCount,
  formatRetrySchedule,
  nextRetryDelay,
  parseRetrySchedule,
  scheduleSpanSeconds,
} from '../../../functions/core/events/retry-schedule.js';

describe('the DMS retry schedule', () => {
  it('by default retries within 10 s, again within 60 s of that, and for more than 24 h before the DLQ, even with the least jitter', () => {
    expect(nextRetryDelay(DEFAULT_DMS_RETRY_SCHEDULE, 1, 0.999)).toBeLessThanOrEqual(10);
    expect(nextRetryDelay(DEFAULT_DMS_RETRY_SCHEDULE, 2, 0.999)).toBeLessThanOrEqual(60);
    const shortest = DEFAULT_DMS_RETRY_SCHEDULE.map((_, i) => nextRetryDelay(DEFAULT_DMS_RETRY_SCHEDULE, i + 1, 0)!);
    expect(shortest.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(86_400);
    expect(nextRetryDelay(DEFAULT_DMS_RETRY_SCHEDULE, DEFAULT_DMS_RETRY_SCHEDULE.length + 1, 0.5)).toBeNull();
  });

  it('grows and jitters each delay by up to 25 %, never past the 12-hour visibility limit', () => {
    expect(nextRetryDelay([100], 1, 0)).toBe(100);
    expect(nextRetryDelay([100], 1, 0.999)).toBe(125);
    expect(nextRetryDelay([MAX_RETRY_DELAY_SECONDS], 1, 0.999)).toBe(MAX_RETRY_DELAY_SECONDS);
    const delays = DEFAULT_DMS_RETRY_SCHEDULE.map((_, i) => nextRetryDelay(DEFAULT_DMS_RETRY_SCHEDULE, i + 1, 0)!);
    expect([...delays].sort((a, b) => a - b)).toEqual(delays);
  });

  it('parses and writes back the CLI/context form', () => {
    expect(parseRetrySchedule('1s, 1s,90,2m,1.5h')).toEqual([1, 1, 90, 120, 5400]);
    expect(parseRetrySchedule(formatRetrySchedule(DEFAULT_DMS_RETRY_SCHEDULE))).toEqual(DEFAULT_DMS_RETRY_SCHEDULE);
    expect(formatRetrySchedule([5, 30, 120, 3600, 90])).toBe('5s,30s,2m,1h,90s');
  });

  it.each(['', '5x', '0s', '-1s', '13h', 'abc,1s'])('refuses %j with a clear error', (text) => {
    expect(() => parseRetrySchedule(text)).toThrow(RetryScheduleError);
  });

  it('the queue backstop allows ten times the attempts (an event behind nine failing ones), at most 1000', () => {
    expect(eventsMaxReceiveCount(DEFAULT_DMS_RETRY_SCHEDULE)).toBe(110);
    expect(eventsMaxReceiveCount(new Array(500).fill(1))).toBe(1000);
    expect(scheduleSpanSeconds(DEFAULT_DMS_RETRY_SCHEDULE)).toBe(103_055);
  });
});
