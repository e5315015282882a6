/**
 * A counting semaphore per key (the Wayke client keys by branch): at most `limit` tasks of one key
 * run at once, the rest wait in arrival order. Keys with nothing running or waiting are dropped.
 */
export class KeyedConcurrencyLimiter {
  private readonly slots = new Map<string, { running: number; waiting: Array<() => void> }>();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('concurrency limit must be a positive integer');
  }

  /** Runs `task` when a slot of `key` is free. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    await this.acquire(key);
    try {
      return await task();
    } finally {
      this.release(key);
    }
  }

  /** Tasks of `key` running now (for tests and metrics). */
  running(key: string): number {
    return this.slots.get(key)?.running ?? 0;
  }

  private acquire(key: string): Promise<void> {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { running: 0, waiting: [] };
      this.slots.set(key, slot);
    }
    if (slot.running < this.limit) {
      slot.running += 1;
      return Promise.resolve();
    }
    const queued = slot;
    return new Promise((resolve) => queued.waiting.push(resolve));
  }

  private release(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    const next = slot.waiting.shift();
    if (next)
      next(); // the slot passes straight to the next waiter
    else if (--slot.running === 0) this.slots.delete(key);
  }
}
