import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SIMULATOR_CLIENT } from '../../../functions/local/wayke-simulator/index.js';
import { reportText, type ImportReport } from '../../../functions/core/import/index.js';
import type { ReportSink, WaykeApi } from '../../../functions/ports.js';
import { harnessPerTest } from '../../support/harness-per-test.js';
import { vehicle, type Harness } from '../../support/import-harness.js';
import { simulatorWaykeClient } from '../../support/simulator-client.js';

/**
 * The token endpoint is where a wrong setting shows first. Against the real simulator (and, for
 * answers it never gives, a real HTTP receiver on 127.0.0.1): a `WAYKE_AUTH_URL` that answers 404
 * or 405, an answer that is not a token, a refused connection, and refused credentials stop the run
 * at the first token failure — nothing is created, changed or removed, the reason is reported once
 * and names the setting and the status, never the secret or the body — and the next run with the
 * right setting does it all. Transient token failures (5xx, timeouts) stay per-car and retryable.
 */

const suite = harnessPerTest();
let h: Harness;
let receiver: Server | undefined;
beforeEach(() => {
  h = suite.current;
});
afterEach(async () => {
  await new Promise<void>((done) => (receiver ? receiver.close(() => done()) : done()));
  receiver = undefined;
});

const dayOne = Array.from({ length: 6 }, (_, i) => vehicle(700 + i + 1, {}, 1));
/** Two cars changed (read first, then patched), one gone (removed), two new (created): five steps. */
const dayTwo = [
  { ...dayOne[0]!, price: dayOne[0]!.price + 500 },
  { ...dayOne[1]!, shortDescription: 'Nytt pris' },
  ...dayOne.slice(2, 5),
  vehicle(801, {}, 1),
  vehicle(802, {}, 1),
];
const goneOnDayTwo = [dayOne[5]!.registrationNumber];
const STEPS = 5;

/** A receiver on 127.0.0.1 that answers every request with `status` and `body`, counting the requests. */
async function answering(status: number, body: string, type: string): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits += 1;
    req.resume();
    res.writeHead(status, { 'content-type': type }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  receiver = server;
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`, hits: () => hits };
}

/** A port nothing listens on (bound, then closed). */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return `http://127.0.0.1:${port}/auth`;
}

const client = (options: Parameters<typeof simulatorWaykeClient>[1]): WaykeApi =>
  simulatorWaykeClient(h.sim, { backoffBaseMs: 1, backoffMaxMs: 5, timeoutMs: 5000, ...options });

/** Writes Wayke saw; a token request at a wrong path is the simulator's `unknown` route, and no write. */
function writes(): Record<string, number> {
  const { unknown: _tokenAtWrongPath, ...rest } = h.writes();
  return rest;
}

/** Token requests the simulator saw, at any path (a wrong base URL is an unknown route there). */
const tokenRequests = () => h.sim.state().requests.filter((r) => r.path.endsWith('/connect/token')).length;

function memoryReports(): ReportSink & { readonly texts: string[]; readonly json: ImportReport[] } {
  const texts: string[] = [];
  const json: ImportReport[] = [];
  return {
    texts,
    json,
    write: async (_dealer, report) => {
      texts.push(report.text);
      json.push(report.json as ImportReport);
    },
  };
}

/** Day one imported with the right setting; then the calls are counted from zero. */
async function afterDayOne(): Promise<void> {
  const first = await h.run(dayOne);
  expect(first.status === 'applied' && first.summary.failed).toEqual([]);
  h.resetCalls();
}

type Setting = { readonly name: string; readonly status: string; readonly wrong: () => Promise<WaykeApi> };

const wrongSettings: Setting[] = [
  {
    name: 'the base URL without its path (404 from the simulator)',
    status: 'HTTP 404',
    wrong: async () => client({ authUrl: h.sim.authUrl.replace(/\/auth$/, '') }),
  },
  {
    name: 'an endpoint that refuses the method (405)',
    status: 'HTTP 405',
    wrong: async () =>
      client({ authUrl: (await answering(405, '{"message":"Method not allowed"}', 'application/json')).url }),
  },
  {
    name: 'a web page instead of a token (200, not JSON)',
    status: 'HTTP 200',
    wrong: async () => client({ authUrl: (await answering(200, '<html>Välkommen, logga in</html>', 'text/html')).url }),
  },
  {
    name: 'a port nothing listens on (refused connection)',
    status: 'ECONNREFUSED',
    wrong: async () => client({ authUrl: await closedPortUrl() }),
  },
];

describe('a wrong WAYKE_AUTH_URL stops the run once', () => {
  it.each(wrongSettings)('$name: nothing changes, the reason names the setting and the status', async (setting) => {
    await afterDayOne();
    const reports = memoryReports();
    const outcome = await h.run(dayTwo, { wayke: await setting.wrong(), deps: { reports } });
    if (outcome.status !== 'applied') throw new Error(`expected an applied run, got ${outcome.status}`);
    const { summary } = outcome;

    expect(summary.stopped?.reason).toContain('WAYKE_AUTH_URL');
    expect(summary.stopped?.reason).toContain(setting.status);
    expect(summary.stopped?.vehicles).toBe(STEPS);
    expect(summary.failed).toEqual([]);
    expect([summary.created, summary.updated, summary.removed]).toEqual([0, 0, 0]);
    expect(writes()).toEqual({});
    // The gone car is not recorded as removed: the snapshot still holds it as published.
    expect((await h.store.load('bilhallen')).get(goneOnDayTwo[0]!)?.status).toBe('Published');
    // Every step is left for the next run to retry.
    expect((await h.store.getRunState('bilhallen'))?.failed).toHaveLength(STEPS);

    const text = reports.texts.join('\n');
    expect(text.match(/WAYKE_AUTH_URL/g)).toHaveLength(2); // once in Swedish, once in English
    expect(text).toContain('STOPPAT');
    expect(text).toContain('STOPPED');
    for (const leak of [DEFAULT_SIMULATOR_CLIENT.clientSecret, 'Välkommen', 'Method not allowed', 'not found'])
      expect(`${text}${JSON.stringify(summary)}`).not.toContain(leak);

    const fixed = await h.run(dayTwo);
    expect(fixed.status === 'applied' && fixed.summary).toMatchObject({
      created: 2,
      updated: 2,
      removed: 1,
      failed: [],
    });
    expect(h.differences(dayTwo, goneOnDayTwo)).toEqual([]);
  });

  it('stops at the first token request: one request, not one per car', async () => {
    await afterDayOne();
    const before = tokenRequests();
    const outcome = await h.run(dayTwo, { wayke: client({ authUrl: h.sim.authUrl.replace(/\/auth$/, '') }) });
    expect(outcome.status === 'applied' && outcome.summary.stopped).toBeTruthy();
    expect(tokenRequests() - before).toBe(1);
  });

  it('a first import (creates only) stops the same way and creates nothing', async () => {
    const outcome = await h.run(dayOne, { wayke: client({ authUrl: h.sim.authUrl.replace(/\/auth$/, '') }) });
    expect(outcome.status === 'applied' && outcome.summary).toMatchObject({
      created: 0,
      failed: [],
      stopped: { vehicles: dayOne.length },
    });
    expect(Object.keys(h.sim.state().ads)).toEqual([]);
  });
});

describe('refused credentials stop the run once', () => {
  it('invalid_client: one token request, no car failed alone, nothing changed, no secret in the reason', async () => {
    await afterDayOne();
    const before = tokenRequests();
    const wrongSecret = 'wrong-secret-value-1234';
    const outcome = await h.run(dayTwo, { wayke: client({ clientSecret: wrongSecret }) });
    if (outcome.status !== 'applied') throw new Error(`expected an applied run, got ${outcome.status}`);
    expect(outcome.summary.stopped?.reason).toContain('invalid_client');
    expect(outcome.summary.stopped?.vehicles).toBe(STEPS);
    expect(outcome.summary.failed).toEqual([]);
    expect(writes()).toEqual({});
    expect(tokenRequests() - before).toBe(1);
    expect(JSON.stringify(outcome.summary)).not.toContain(wrongSecret);
    expect(reportText(outcome.report)).toContain('invalid_client');
  });
});

describe('transient token failures stay retryable, car by car', () => {
  it.each([
    ['5xx', { serverErrorNext: 1000, routes: ['POST /connect/token'] }, {}, 'HTTP 500'],
    ['timeouts', { latencyMs: 300, routes: ['POST /connect/token'] }, { timeoutMs: 50 }, 'timed out'],
  ] as const)(
    '%s: no stop, each car failed with a retryable reason, the next run converges',
    async (_n, faults, options, why) => {
      await afterDayOne();
      h.sim.setFaults(faults);
      const outcome = await h.run(dayTwo, { wayke: client({ maxAttempts: 2, ...options }) });
      if (outcome.status !== 'applied') throw new Error(`expected an applied run, got ${outcome.status}`);
      expect(outcome.summary.stopped).toBeUndefined();
      expect(outcome.summary.failed).toHaveLength(STEPS);
      expect(outcome.summary.failed.every((f) => f.error.includes(why))).toBe(true);
      expect(writes()).toEqual({});

      h.sim.setFaults({ serverErrorNext: 0, latencyMs: 0, routes: [] });
      await h.run(dayTwo);
      expect(h.differences(dayTwo, goneOnDayTwo)).toEqual([]);
    },
  );
});
