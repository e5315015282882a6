import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaykeSettingError } from '../../functions/adapters/wayke-auth.js';
import { NotFoundError, ConfigError } from '../../functions/core/errors.js';
import { WaykeRetryableError } from '../../functions/adapters/wayke-errors.js';
import { startWaykeSimulator, type WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import { simulatorWaykeClient } from '../support/simulator-client.js';

/**
 * What the Wayke client makes of a token endpoint that is not where `WAYKE_AUTH_URL` says, against
 * the real simulator: a setting error (a ConfigError, never a "not found" a caller would read as
 * "the ad is gone"), raised after one request; a refused connection stays retryable but is caused
 * by the setting, and says so.
 */

let sim: WaykeSimulator;
beforeAll(async () => {
  sim = await startWaykeSimulator();
});
afterAll(async () => {
  await sim?.stop();
});

const tokenRequests = () => sim.state().requests.filter((r) => r.path.endsWith('/connect/token')).length;

describe('the token endpoint at a wrong WAYKE_AUTH_URL', () => {
  it('a 404 is a setting error after one request: no status a caller could take for a gone ad', async () => {
    const before = tokenRequests();
    const wayke = simulatorWaykeClient(sim, { authUrl: sim.authUrl.replace(/\/auth$/, ''), backoffBaseMs: 1 });
    const error = await wayke.getAd('ad-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaykeSettingError);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).not.toBeInstanceOf(NotFoundError);
    expect((error as WaykeSettingError).context).toMatchObject({ setting: 'WAYKE_AUTH_URL', answeredStatus: 404 });
    expect((error as WaykeSettingError).context.status).toBeUndefined();
    expect((error as Error).message).not.toContain('not found');
    expect(tokenRequests() - before).toBe(1);
  });

  it('a refused connection is retried, then ends retryable with the setting as its cause', async () => {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((done) => server.close(() => done()));
    const wayke = simulatorWaykeClient(sim, {
      authUrl: `http://127.0.0.1:${port}/auth`,
      maxAttempts: 2,
      backoffBaseMs: 1,
    });
    const error = await wayke.getAd('ad-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaykeRetryableError);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).message).toContain('WAYKE_AUTH_URL');
    const token = (error as Error).cause as Error;
    expect(token.cause).toBeInstanceOf(WaykeSettingError);
  });

  it('the right URL with a 500 stays plainly retryable (no setting in it)', async () => {
    sim.setFaults({ serverErrorNext: 2, routes: ['POST /connect/token'] });
    const wayke = simulatorWaykeClient(sim, { maxAttempts: 2, backoffBaseMs: 1 });
    const error = await wayke.getAd('ad-1').catch((e: unknown) => e);
    sim.setFaults({ serverErrorNext: 0, routes: [] });
    expect(error).toBeInstanceOf(WaykeRetryableError);
    expect((error as Error).message).not.toContain('WAYKE_AUTH_URL');
  });
});
