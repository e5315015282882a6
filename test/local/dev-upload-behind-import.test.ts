/**
 * An upload that lands while an import of the same dealer is running waits for it: the running
 * import takes the newest upload before it releases the lease. The console said "nothing to import
 * (no new feed since the last run, …)" for it, right after announcing the upload — a line that
 * read as if the upload had been skipped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { repricedBilhallen, startDevStack, type DevStack } from '../support/dev-stack.js';

let stack: DevStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

describe('an upload during a running import of the same dealer', () => {
  it('is said to wait for the running import, never "nothing to import", and is imported', async () => {
    const dev = await startDevStack();
    stack = dev;
    await dev.waitFor('the start-up imports', () => /✓ bilhallen:/.test(dev.stdout()));
    const before = dev.stdout().length;
    const since = () => dev.stdout().slice(before);
    await dev.setWaykeFaults({ latencyMs: 300 });

    await dev.upload('bilhallen', 'lager-1.csv', repricedBilhallen(100));
    await dev.waitFor('the first upload to be imported', () =>
      /… importing bilhallen \(upload: inbound\/lager-1/.test(since()),
    );
    await dev.upload('bilhallen', 'lager-2.csv', repricedBilhallen(200));
    await dev.waitFor('the second upload to be announced', () =>
      /… importing bilhallen \(upload: inbound\/lager-2/.test(since()),
    );
    await dev.waitFor('the line for the waiting upload', () => /– bilhallen: the upload waits/.test(since()));
    await dev.setWaykeFaults({ latencyMs: 0 });
    await dev.waitFor('the second upload imported', () => /✓ bilhallen: inbound\/lager-2\.csv/.test(since()));

    expect(since()).not.toMatch(/bilhallen: nothing to import/);
    expect(since()).toContain(
      '– bilhallen: the upload waits for the import of it that is running, which takes the newest upload before it ends',
    );
  }, 150_000);
});
