/**
 * Webhooks the simulator had queued but not delivered when it stopped (Ctrl-C during the first
 * import of `npm start`, with our webhook endpoint busy or down) were lost: the queue lived in
 * memory, and the next start did not send them. They are kept in the state file now and sent at
 * the next start, oldest first; a delivered one is never kept.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startWaykeSimulator, type WaykeSimulator } from '../../../functions/local/wayke-simulator/index.js';
import { BRANCH } from '../../support/import-harness.js';
import { sampleVehicle } from '../../../functions/local/contract-check/sample.js';
import { publishAd, simulatorWaykeClient } from '../../support/simulator-client.js';

interface Receiver {
  readonly url: string;
  /** The `registrationNumber` of each webhook answered 2xx, in arrival order. */
  readonly accepted: string[];
  /** The status to answer with. */
  status: number;
  close(): Promise<void>;
}

async function receiver(status: number): Promise<Receiver> {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (self.status < 300)
        self.accepted.push(String((JSON.parse(body) as { registrationNumber?: unknown }).registrationNumber));
      res.writeHead(self.status).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const self: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    accepted: [],
    status,
    close: () => new Promise((done) => server.close(() => done())),
  };
  return self;
}

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0).reverse()) await undo();
});

async function simulator(file: string, url: string): Promise<WaykeSimulator> {
  const sim = await startWaykeSimulator({
    stateFile: file,
    webhook: { url },
    webhookAttempts: 1_000,
    webhookRetryDelayMs: 20,
    saveDelayMs: 10,
  });
  cleanup.push(() => sim.stop());
  return sim;
}

describe('the simulator stopped with webhooks not yet delivered', () => {
  it('sends them at the next start, oldest first, and never again one that was delivered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wayke-sim-pending-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'wayke-simulator.json');
    const dms = await receiver(200);
    cleanup.push(() => dms.close());

    const first = await simulator(file, dms.url);
    const wayke = simulatorWaykeClient(first);
    await publishAd(wayke, sampleVehicle('PND001'), { branchId: BRANCH });
    await first.webhooksIdle();
    expect(dms.accepted).toEqual(['PND001']);
    // Our endpoint goes down: the next two changes cannot be delivered before the stop.
    dms.status = 503;
    await publishAd(wayke, sampleVehicle('PND002'), { branchId: BRANCH });
    await publishAd(wayke, sampleVehicle('PND003'), { branchId: BRANCH });
    await first.stop();
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      pendingWebhooks: Array<{ payload: { registrationNumber: string } }>;
    };
    expect(saved.pendingWebhooks.map((w) => w.payload.registrationNumber)).toEqual(['PND002', 'PND003']);

    dms.status = 200;
    const second = await simulator(file, dms.url);
    await second.webhooksIdle();
    expect(dms.accepted).toEqual(['PND001', 'PND002', 'PND003']);
    await second.stop();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pendingWebhooks: [] });
  });

  it('a state file whose pending webhooks are malformed is set aside, as any malformed part', async () => {
    const { parsePersistedState } = await import('../../../functions/local/wayke-simulator/persistence.js');
    const text = JSON.stringify({
      version: 1,
      ads: [],
      adsByPlate: {},
      media: [],
      clients: [],
      pendingWebhooks: [{ kind: 'x' }],
    });
    expect(parsePersistedState(text)).toBe('pendingWebhooks are malformed');
    const older = JSON.stringify({ version: 1, ads: [], adsByPlate: {}, media: [], clients: [] });
    expect(parsePersistedState(older)).toMatchObject({ version: 1 });
  });
});
