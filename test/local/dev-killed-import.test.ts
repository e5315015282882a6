/**
 * A local run killed in the middle of an import (Ctrl-C twice, `kill -9`) leaves its dealer's
 * lease behind, held by a process that is gone. The next `npm start` must import the feed still
 * waiting in `inbound/` at once — not skip the dealer as "another import is running" and leave the
 * file for the hourly run, as it did.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repricedBilhallen, startDevStack, type DevStack } from '../support/dev-stack.js';

const stacks: DevStack[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const resultLine = (out: string, dealerId: string): RegExpMatchArray | null =>
  out.match(new RegExp(`✓ ${dealerId}: .*?(\\d+) updated`));

describe('a local run killed during an import', () => {
  it('imports the waiting feed at the next start, though the dead run left its lease', async () => {
    const data = mkdtempSync(join(tmpdir(), 'wayke-dms-killed-'));
    dirs.push(data);
    const first = await startDevStack({ data });
    stacks.push(first);
    await first.waitFor('the start-up imports', () => /✓ bilhallen:/.test(first.stdout()));
    // Slow Wayke down, so the import of the upload is still running when the process is killed.
    await first.setWaykeFaults({ latencyMs: 1500 });
    await first.upload('bilhallen', 'lager.csv', repricedBilhallen());
    await first.waitFor('the upload import to start', () => /… importing bilhallen \(upload/.test(first.stdout()));
    await first.stop();
    expect(resultLine(first.stdout().split('… importing bilhallen (upload')[1]!, 'bilhallen')).toBeNull();

    const second = await startDevStack({ data });
    stacks.push(second);
    const line = await second.waitFor('bilhallen imported after the restart', () =>
      resultLine(second.stdout(), 'bilhallen'),
    );
    expect(Number(line[1])).toBeGreaterThan(0);
    expect(second.stdout()).not.toMatch(/bilhallen: nothing to import/);
  }, 150_000);
});
