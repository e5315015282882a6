import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevStack, type DevStack } from '../../functions/local/dev/stack.js';
import type { Log } from '../../functions/ports.js';
import { inProcessStackOptions } from './dev-stack.js';

/** Dealers of the Vehicle API tests: `api-one` pushes (source both), `api-two` too, `feed-only` does not. */
export const TEST_DEALERS = {
  dealers: [
    {
      id: 'api-one',
      name: 'API One',
      branchId: '11111111-1111-4111-8111-111111111111',
      source: 'both',
      feed: { minRemovalLimit: 2, maxRemovalShare: 0 },
      vehicleApi: { rateLimit: { requestsPerSecond: 200, burst: 400 } },
    },
    {
      id: 'api-two',
      name: 'API Two',
      branchId: '22222222-2222-4222-8222-222222222222',
      source: 'api',
      vehicleApi: { rateLimit: { requestsPerSecond: 1, burst: 3 } },
    },
    { id: 'feed-only', name: 'Feed Only', branchId: '33333333-3333-4333-8333-333333333333' },
  ],
};

const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };

export interface VehicleApiStack {
  readonly stack: DevStack;
  readonly url: string;
  keyOf(dealerId: string): string;
  /** Wayke calls that change something (no reads, no tokens), by route. */
  writes(): Record<string, number>;
  stop(): Promise<void>;
}

/** The whole local stack (HTTP API, queues, worker, Wayke simulator) on free ports in a temp dir. */
export async function startVehicleApiStack(config: unknown = TEST_DEALERS): Promise<VehicleApiStack> {
  const dir = mkdtempSync(join(tmpdir(), 'vehicle-api-'));
  const configPath = join(dir, 'dealers.json');
  writeFileSync(configPath, JSON.stringify(config));
  const stack = await startDevStack(
    inProcessStackOptions({ configPath, dataDir: join(dir, 'data'), cwd: dir, log: quiet }),
  );
  return {
    stack,
    url: stack.urls.api,
    keyOf: (dealerId) => stack.secrets.secrets[dealerId]!.dmsApiKey!,
    writes: () => {
      const calls = stack.simulator!.state().calls;
      return Object.fromEntries(
        Object.entries(calls).filter(([route]) => !route.startsWith('GET ') && route !== 'POST /connect/token'),
      );
    },
    stop: async () => {
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, pollMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export const sumWrites = (before: Record<string, number>, after: Record<string, number>): Record<string, number> =>
  Object.fromEntries(
    Object.entries(after)
      .map(([route, count]) => [route, count - (before[route] ?? 0)])
      .filter(([, count]) => (count as number) > 0),
  );
