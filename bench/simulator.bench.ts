/**
 * Wayke simulator benchmark: it starts in every import test, so its start-up and per-request cost
 * are paid across the suite. Measures start + stop (median of 20) and 1,000 API requests at
 * concurrency 4 (a quarter each create, read, patch, find by plate) over keep-alive, 5 runs.
 * Run: `npm run bench -- simulator`.
 */
import { startWaykeSimulator } from '../functions/local/wayke-simulator/index.js';
import { median, pool } from './stats.js';

const BRANCH = '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';
const REQUESTS = 1000;
const CONCURRENCY = 4;
const RUNS = 5;
const STARTS = 20;

async function tokenFor(authUrl: string): Promise<string> {
  const answer = await fetch(`${authUrl}/connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'sim-client',
      client_secret: 'sim-secret',
    }),
  });
  return ((await answer.json()) as { access_token: string }).access_token;
}

const plate = (i: number): string => `BEN${String(i).padStart(3, '0')}`;

async function oneRun(): Promise<{ startMs: number; requestsMs: number; cpuMs: number }> {
  const t0 = performance.now();
  const sim = await startWaykeSimulator();
  const startMs = performance.now() - t0;
  const headers = { authorization: `Bearer ${await tokenFor(sim.authUrl)}`, 'content-type': 'application/json' };
  const ids: string[] = [];
  const quarter = REQUESTS / 4;
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  await pool(quarter, CONCURRENCY, async (i) => {
    const answer = await fetch(`${sim.dealerApiUrl}/vehicle`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        branch: BRANCH,
        vehicle: { registrationNumber: plate(i), mileage: 1000 },
        ad: { price: 100000 },
      }),
    });
    ids[i] = ((await answer.json()) as { id: string }).id;
  });
  await pool(quarter, CONCURRENCY, async (i) =>
    (await fetch(`${sim.dealerApiUrl}/vehicle/${ids[i]}/ad`, { headers })).arrayBuffer(),
  );
  await pool(quarter, CONCURRENCY, async (i) =>
    (
      await fetch(`${sim.dealerApiUrl}/vehicle/${ids[i]}`, {
        method: 'PATCH',
        headers,
        body: JSON.stringify({ ad: { price: 90000 + i } }),
      })
    ).arrayBuffer(),
  );
  await pool(quarter, CONCURRENCY, async (i) =>
    (
      await fetch(`${sim.dealerApiUrl}/vehicle/${BRANCH}/vehicle/by-registration-number/${plate(i)}`, { headers })
    ).arrayBuffer(),
  );
  const requestsMs = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  const calls = Object.values(sim.state().calls).reduce((a, b) => a + b, 0);
  if (calls !== REQUESTS + 1) throw new Error(`expected ${REQUESTS + 1} calls, the simulator counted ${calls}`);
  await sim.stop();
  return { startMs, requestsMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const starts: number[] = [];
for (let i = 0; i < STARTS; i += 1) {
  const t0 = performance.now();
  const sim = await startWaykeSimulator();
  await sim.stop();
  starts.push(performance.now() - t0);
}
const runs: { startMs: number; requestsMs: number; cpuMs: number }[] = [];
for (let i = 0; i < RUNS; i += 1) runs.push(await oneRun());

process.stdout.write(
  [
    `start + stop, median of ${STARTS}: ${median(starts).toFixed(2)} ms`,
    `start + ${REQUESTS} requests (concurrency ${CONCURRENCY}), median of ${RUNS}: ${median(runs.map((r) => r.startMs + r.requestsMs)).toFixed(1)} ms`,
    `  per request: ${((median(runs.map((r) => r.requestsMs)) / REQUESTS) * 1000).toFixed(0)} µs`,
    // CPU time of this process (client and simulator share it): steadier than wall time on a busy machine.
    `  CPU per ${REQUESTS} requests, median of ${RUNS}: ${median(runs.map((r) => r.cpuMs)).toFixed(0)} ms`,
    '',
  ].join('\n'),
);
