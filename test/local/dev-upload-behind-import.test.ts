/**
 * An upload that lands while an import of the same dealer is running waits for it: the running
 * import takes the newest upload before it releases the lease. The console said "nothing to import
 * (no new feed since the last run, …)" for it, right after announcing the upload — a line that
 * read as if the upload had been skipped.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../support/dev-stack.js';

const stacks: DevStack[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The sample feed with every price `extra` kronor higher: one update per car. */
function repriced(extra: number): Buffer {
  const feed = readFileSync(join(import.meta.dirname, '../../examples/feeds/bilhallen.csv')).toString('latin1');
  return Buffer.from(
    feed.replace(
      /^([A-Z0-9]{2,7};\d+;)(\d+) 000/gm,
      (_all, head: string, thousands: string) => `${head}${thousands} ${extra}`,
    ),
    'latin1',
  );
}

const setLatency = (stack: DevStack, latencyMs: number) =>
  fetch(`${stack.services.wayke}/_admin/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ latencyMs }),
  });

describe('an upload during a running import of the same dealer', () => {
  it('is said to wait for the running import, never "nothing to import", and is imported', async () => {
    const data = mkdtempSync(join(tmpdir(), 'wayke-dms-behind-'));
    dirs.push(data);
    const stack = await startDevStack({ data });
    stacks.push(stack);
    await stack.waitFor('the start-up imports', () => /✓ bilhallen:/.test(stack.stdout()));
    const before = stack.stdout().length;
    const since = () => stack.stdout().slice(before);
    expect((await setLatency(stack, 300)).status).toBe(200);

    await stack.upload('bilhallen', 'lager-1.csv', repriced(100));
    await stack.waitFor('the first upload to be imported', () =>
      /… importing bilhallen \(upload: inbound\/lager-1/.test(since()),
    );
    await stack.upload('bilhallen', 'lager-2.csv', repriced(200));
    await stack.waitFor('the second upload to be announced', () =>
      /… importing bilhallen \(upload: inbound\/lager-2/.test(since()),
    );
    await stack.waitFor('the line for the waiting upload', () => /– bilhallen: the upload waits/.test(since()));
    expect((await setLatency(stack, 0)).status).toBe(200);
    await stack.waitFor('the second upload imported', () => /✓ bilhallen: inbound\/lager-2\.csv/.test(since()));

    expect(since()).not.toMatch(/bilhallen: nothing to import/);
    expect(since()).toContain(
      '– bilhallen: the upload waits for the import of it that is running, which takes the newest upload before it ends',
    );
  }, 150_000);
});
