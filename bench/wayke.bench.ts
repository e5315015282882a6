/**
 * Wayke client benchmark against the in-process simulator (127.0.0.1):
 *  1. overhead: the client (token cache, limiter, retry loop, mapping, debug log) vs bare fetch
 *     with a fixed token, same calls, same concurrency;
 *  2. survival: creates under 10 % 5xx, 5 % 429 and 5 % commit-then-fail — success share,
 *     duplicates left behind, calls per create;
 *  3. single flight: 50 concurrent calls at token expiry → token requests.
 * Run: `npm run bench -- wayke`.
 */
import { MemoryLog } from '../functions/adapters/logger.js';
import { createWaykeClient } from '../functions/adapters/wayke-http-client.js';
import { startWaykeSimulator } from '../functions/local/wayke-simulator/index.js';
import { median, pool } from './stats.js';

const BRANCH = '4a6b2c1d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';
const CALLS = 2000;
const CONCURRENCY = 4;
const RUNS = 5;

const sim = await startWaykeSimulator();
const options = {
  authUrl: sim.authUrl,
  dealerApiUrl: sim.dealerApiUrl,
  mediaApiUrl: sim.mediaApiUrl,
  clientId: 'sim-client',
  clientSecret: 'sim-secret',
};

// ── 1. overhead ──
const tokenAnswer = await fetch(`${sim.authUrl}/connect/token`, {
  method: 'POST',
  body: new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: 'sim-client',
    client_secret: 'sim-secret',
    scope: 'api-resource',
  }),
});
const { access_token: token } = (await tokenAnswer.json()) as { access_token: string };
const client = createWaykeClient({ ...options, maxConcurrency: CONCURRENCY, log: new MemoryLog() });
const { id } = await client.createAd({
  branchId: BRANCH,
  status: 'Published',
  vehicle: { registrationNumber: 'BEN001', price: 100000, mileage: 12340, equipment: ['Dragkrok'] },
});

const bare: number[] = [];
const viaClient: number[] = [];
for (let run = 0; run < RUNS; run++) {
  let started = performance.now();
  await pool(CALLS, CONCURRENCY, async () => {
    const response = await fetch(`${sim.dealerApiUrl}/vehicle/${id}/ad`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.json();
  });
  bare.push((CALLS / (performance.now() - started)) * 1000);
  const log = new MemoryLog();
  const measured = createWaykeClient({ ...options, maxConcurrency: CONCURRENCY, log });
  await measured.getAd(id); // token
  started = performance.now();
  await pool(CALLS, CONCURRENCY, () => measured.getAd(id));
  viaClient.push((CALLS / (performance.now() - started)) * 1000);
}
const bareOps = median(bare);
const clientOps = median(viaClient);
console.log(`getAd, ${CALLS} calls, ${CONCURRENCY} in flight, median of ${RUNS}:`);
console.log(`  bare fetch   ${bareOps.toFixed(0)} calls/s`);
console.log(`  client       ${clientOps.toFixed(0)} calls/s  (client/bare = ${(clientOps / bareOps).toFixed(2)})`);

// ── 2. survival under faults ──
const CREATES = 500;
sim.setFaults({
  serverErrorRate: 0.1,
  throttleRate: 0.05,
  retryAfterSeconds: 0,
  commitThenFailRate: 0.05,
  seed: 2026,
  routes: ['POST /vehicle', 'GET /vehicle/{branchId}/vehicle/by-registration-number/{registrationNumber}'],
});
const before = sim.state().calls;
const faulty = createWaykeClient({ ...options, backoffBaseMs: 5, backoffMaxMs: 50 });
let ok = 0;
let failed = 0;
const started = performance.now();
await pool(CREATES, 8, async (i) => {
  try {
    await faulty.createAd({
      branchId: BRANCH,
      status: 'Published',
      vehicle: { registrationNumber: `FLT${String(i).padStart(3, '0')}`, price: 1000 + i, mileage: 10 * i },
    });
    ok += 1;
  } catch {
    failed += 1;
  }
});
const seconds = (performance.now() - started) / 1000;
const state = sim.state();
const duplicates = Object.entries(state.adsByPlate).filter(
  ([plate, ids]) => plate.startsWith('FLT') && ids.length > 1,
).length;
const createCalls = (state.calls['POST /vehicle'] ?? 0) - (before['POST /vehicle'] ?? 0);
const findCalls =
  (state.calls['GET /vehicle/{branchId}/vehicle/by-registration-number/{registrationNumber}'] ?? 0) -
  (before['GET /vehicle/{branchId}/vehicle/by-registration-number/{registrationNumber}'] ?? 0);
console.log(`createAd ×${CREATES} under 10% 5xx, 5% 429, 5% commit-then-fail (8 in flight):`);
console.log(
  `  succeeded ${ok}, failed ${failed} (${((ok / CREATES) * 100).toFixed(1)}%), duplicates ${duplicates}, in ${seconds.toFixed(2)} s`,
);
console.log(`  POST /vehicle per create ${(createCalls / CREATES).toFixed(2)}, recovery look-ups ${findCalls}`);

// ── 3. single flight ──
sim.setFaults({ serverErrorRate: 0, throttleRate: 0, commitThenFailRate: 0, routes: [] });
let now = Date.now();
const clocked = createWaykeClient({ ...options, clock: { now: () => new Date(now) }, maxConcurrency: 50 });
await clocked.getAd(id);
const tokensBefore = sim.state().tokensIssued;
now += 3600_000;
await Promise.all(Array.from({ length: 50 }, () => clocked.getAd(id)));
console.log(`50 concurrent calls at token expiry → ${sim.state().tokensIssued - tokensBefore} token request(s)`);

console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
await sim.stop();
