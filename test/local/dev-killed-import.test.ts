/**
 * A local run killed in the middle of an import (Ctrl-C twice, `kill -9`) leaves its dealer's
 * lease behind, held by a process that is gone. The next `npm start` must import the feed still
 * waiting in `inbound/` at once — not skip the dealer as "another import is running" and leave the
 * file for the hourly run, as it did.
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

/** The sample feed with every price 500 kr higher: one update per car. */
function repriced(): Buffer {
  const feed = readFileSync(join(import.meta.dirname, '../../examples/feeds/bilhallen.csv')).toString('latin1');
  return Buffer.from(feed.replace(/^([A-Z0-9]{2,7};\d+;)(\d+) 000/gm, '$1$2 500'), 'latin1');
}

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
    const faults = await fetch(`${first.services.wayke}/_admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latencyMs: 1500 }),
    });
    expect(faults.status).toBe(200);
    await first.upload('bilhallen', 'lager.csv', repriced());
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
