/**
 * Vehicle API benchmark: 1,000 PUTs of distinct vehicles for one dealer through the local stack
 * (HTTP API on 127.0.0.1 → Vehicle API Lambda → local-aws-sqs FIFO → vehicle worker → Wayke
 * simulator), sent by 16 concurrent clients. Prints p50/p99 of the 202 answer, the time until
 * every vehicle is applied in the simulator, Wayke calls per vehicle, and peak RSS.
 */
import { performance } from 'node:perf_hooks';
import { startVehicleApiStack } from '../test/support/vehicle-api.js';

const VEHICLES = Number(process.env.BENCH_VEHICLES ?? 1_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const DEALER = {
  dealers: [
    {
      id: 'bench-dealer',
      name: 'Bench',
      branchId: '44444444-4444-4444-8444-444444444444',
      source: 'api',
      vehicleApi: { rateLimit: { requestsPerSecond: 1000, burst: 2000 } },
    },
  ],
};

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const plates = Array.from({ length: VEHICLES }, (_, i) => `B${i.toString(36).toUpperCase().padStart(5, '0')}`);

let peakRss = process.memoryUsage().rss;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

const api = await startVehicleApiStack(DEALER);
try {
  const key = api.keyOf('bench-dealer');
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < plates.length) {
        const registrationNumber = plates[next++]!;
        const body = JSON.stringify({
          registrationNumber,
          price: 100_000 + next,
          mileage: 1000 + next,
          modelYear: 2019,
          shortDescription: `Bench ${registrationNumber}`,
          images: [`https://images.example.test/${registrationNumber}/1.jpg`],
        });
        const t0 = performance.now();
        const response = await fetch(`${api.url}/dealers/bench-dealer/vehicles/${registrationNumber}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body,
        });
        await response.arrayBuffer();
        latencies.push(performance.now() - t0);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    }),
  );
  const accepted = performance.now() - started;
  // Applied = the simulator holds a published ad for every plate.
  for (;;) {
    const ads = Object.values(api.stack.simulator!.state().ads) as Array<{ status?: string }>;
    if (ads.length >= VEHICLES || performance.now() - started > 600_000) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const applied = performance.now() - started;
  await api.stack.drained(30_000);
  const calls = api.stack.simulator!.state().calls;
  // `GET /vehicle/{id}/ad` is the webhook path: the simulator reports each new ad, the DMS writer reads it for the DMS.
  const total = Object.entries(calls)
    .filter(([route]) => route !== 'POST /connect/token' && route !== 'GET /vehicle/{id}/ad')
    .reduce((sum, [, n]) => sum + n, 0);
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    `PUTs: ${VEHICLES} distinct vehicles, ${CLIENTS} concurrent clients; answers ${JSON.stringify(Object.fromEntries(statuses))}`,
  );
  console.log(`202 answer: p50 ${quantile(sorted, 0.5).toFixed(1)} ms  p99 ${quantile(sorted, 0.99).toFixed(1)} ms`);
  console.log(
    `all accepted after ${(accepted / 1000).toFixed(1)} s; all applied in the simulator after ${(applied / 1000).toFixed(1)} s (${(VEHICLES / (applied / 1000)).toFixed(0)} vehicles/s)`,
  );
  console.log(
    `Wayke calls per vehicle by the vehicle worker: ${(total / VEHICLES).toFixed(2)} (all calls, webhook enrichment included: ${JSON.stringify(calls)})`,
  );
  console.log(`peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB (the whole local stack in this process)`);
} finally {
  clearInterval(rssTimer);
  await api.stop();
}
