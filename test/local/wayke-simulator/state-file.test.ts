/**
 * The simulator's `stateFile`: what a stop/start with the same file keeps (ads by plate, media and
 * their bytes, registered clients — so a created ad can be patched after the restart), the save
 * after a change without a stop, and an unreadable file (moved aside, empty start, a warning).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_SIMULATOR_CLIENT,
  startWaykeSimulator,
  type WaykeSimulator,
} from '../../../functions/local/wayke-simulator/index.js';
import type { Log } from '../../../functions/ports.js';
import { BRANCH } from '../../support/import-harness.js';
import { requestToken } from '../../support/simulator-client.js';

const dirs: string[] = [];
const sims: WaykeSimulator[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'wayke-sim-state-'));
  dirs.push(dir);
  return dir;
};

afterAll(async () => {
  for (const sim of sims) await sim.stop().catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function start(stateFile: string, log?: Log, clients = [DEFAULT_SIMULATOR_CLIENT]): Promise<WaykeSimulator> {
  const sim = await startWaykeSimulator({ stateFile, clients, ...(log ? { log } : {}) });
  sims.push(sim);
  return sim;
}

async function tokenOf(sim: WaykeSimulator, clientId?: string, clientSecret?: string): Promise<string | null> {
  const response = await requestToken(sim, clientId, clientSecret);
  return response.ok ? ((await response.json()) as { access_token: string }).access_token : null;
}

async function call(
  method: string,
  url: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const createBody = (plate: string, media?: unknown) => ({
  branch: BRANCH,
  marketCode: 'SE',
  status: 'Published',
  vehicle: { registrationNumber: plate, mileage: 4115, vin: 'YV1ZWA8UDL2123456' },
  ad: { price: 249900, shortDescription: 'Volvo V60', ...(media ? { media } : {}) },
});

const capturingLog = (): Log & { warnings: Array<{ message: string; attributes: Record<string, unknown> }> } => {
  const warnings: Array<{ message: string; attributes: Record<string, unknown> }> = [];
  return {
    warnings,
    debug: () => undefined,
    info: () => undefined,
    warn: (message, ...attributes) =>
      warnings.push({ message, attributes: Object.assign({}, ...attributes) as Record<string, unknown> }),
    error: () => undefined,
  };
};

async function waitFor<T>(what: string, probe: () => T | null | undefined | false): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('Wayke simulator state file', () => {
  it('keeps ads by plate, media (bytes too) and registered clients across stop/start; a created ad can be patched after the restart', async () => {
    const file = join(tempDir(), 'nested', 'wayke-simulator.json');
    const first = await start(file);
    expect(first.restored).toBe(false);
    first.addClient({ clientId: 'added-client', clientSecret: 'added-secret', branchIds: [BRANCH] });
    const token = (await tokenOf(first))!;

    const byUrl = await call('POST', `${first.mediaApiUrl}/media/v2/image-url`, token, {
      url: 'https://unreachable.invalid/front.jpg',
      branchId: BRANCH,
      sortOrder: 1,
    });
    expect(byUrl.status).toBe(201);
    const form = new FormData();
    form.set('File', new Blob([new Uint8Array([9, 8, 7, 6, 5])], { type: 'image/webp' }), 'side.webp');
    form.set('Metadata.BranchId', BRANCH);
    const upload = await fetch(`${first.mediaApiUrl}/media/v2/image`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(upload.status).toBe(201);
    const bytesMedia = (await upload.json()) as { url: string; mediaId: string };

    const created = await call(
      'POST',
      `${first.dealerApiUrl}/vehicle`,
      token,
      createBody('ABC123', [{ fileUrls: [byUrl.body.url] }, { fileUrls: [bytesMedia.url] }]),
    );
    expect(created.status).toBe(201);
    const other = await call('POST', `${first.dealerApiUrl}/vehicle`, token, createBody('XYZ789'));
    expect(
      (await call('PUT', `${first.dealerApiUrl}/vehicle/${other.body.id}/ad/status`, token, { status: 'Deleted' }))
        .status,
    ).toBe(204);
    const before = first.state();
    await first.stop();

    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ version: 1 });
    expect(readdirSync(join(file, '..')).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    const second = await start(file);
    expect(second.restored).toBe(true);
    const after = second.state();
    expect(after.ads).toEqual(before.ads);
    expect(after.adsByPlate).toEqual({ ABC123: [created.body.id], XYZ789: [other.body.id] });
    expect(after.media).toEqual(before.media);
    expect(after.calls).toEqual({});
    expect(second.clients.map((client) => client.clientId).sort()).toEqual(['added-client', 'sim-client']);

    // The kept client gets a token; find-by-plate answers the kept ad with its media URLs.
    const again = await tokenOf(second, 'added-client', 'added-secret');
    expect(again).not.toBeNull();
    const found = await call(
      'GET',
      `${second.dealerApiUrl}/vehicle/${BRANCH}/vehicle/by-registration-number/abc123`,
      again!,
    );
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({
      id: created.body.id,
      ad: { media: [{ fileUrls: [byUrl.body.url] }, { fileUrls: [bytesMedia.url] }] },
    });

    // A patch of the ad created before the restart, with the media URLs uploaded before it.
    const patched = await call('PATCH', `${second.dealerApiUrl}/vehicle/${created.body.id}`, again!, {
      ad: { price: 199900, media: [{ fileUrls: [bytesMedia.url] }] },
    });
    expect(patched.status).toBe(204);
    expect(second.state().ads[created.body.id]).toMatchObject({
      version: 2,
      ad: { price: 199900, media: [{ fileUrls: [bytesMedia.url] }] },
    });
    // A URL the simulator never issued is still refused.
    expect(
      (
        await call('PUT', `${second.dealerApiUrl}/vehicle/${created.body.id}/media`, again!, {
          media: [{ fileUrls: ['https://elsewhere.invalid/x.jpg'] }],
        })
      ).status,
    ).toBe(400);

    // The uploaded bytes are served again (by file id, on this run's port).
    const fileName = bytesMedia.url.split('/').pop()!;
    const served = await fetch(`${second.mediaApiUrl}/files/${fileName}`);
    expect(served.headers.get('content-type')).toBe('image/webp');
    expect([...new Uint8Array(await served.arrayBuffer())]).toEqual([9, 8, 7, 6, 5]);
    await second.stop();

    // The patch made in the second run is what a third run starts from.
    const third = await start(file);
    expect(third.state().ads[created.body.id]).toMatchObject({ version: 2, ad: { price: 199900 } });
    await third.stop();
  });

  it('saves a change shortly after it happens, without waiting for stop()', async () => {
    const file = join(tempDir(), 'wayke-simulator.json');
    const sim = await start(file);
    const token = (await tokenOf(sim))!;
    const created = await call('POST', `${sim.dealerApiUrl}/vehicle`, token, createBody('SAV001'));
    expect(created.status).toBe(201);
    const saved = await waitFor('the saved ad', () => {
      if (!existsSync(file)) return null;
      const state = JSON.parse(readFileSync(file, 'utf8')) as {
        ads: Array<{ id: string }>;
        adsByPlate: Record<string, string[]>;
      };
      return state.ads.some((ad) => ad.id === created.body.id) ? state : null;
    });
    expect(saved.adsByPlate).toEqual({ SAV001: [created.body.id] });
    await sim.stop();
  });

  it('the clients given at start win over kept ones with the same id', async () => {
    const file = join(tempDir(), 'wayke-simulator.json');
    await (await start(file, undefined, [{ clientId: 'dealer', clientSecret: 'old-secret' }])).stop();
    const sim = await start(file, undefined, [{ clientId: 'dealer', clientSecret: 'new-secret' }]);
    expect(sim.restored).toBe(true);
    expect(await tokenOf(sim, 'dealer', 'old-secret')).toBeNull();
    expect(await tokenOf(sim, 'dealer', 'new-secret')).not.toBeNull();
    await sim.stop();
  });

  it.each([
    ['not JSON', '{"version":1,"ads":['],
    ['a wrong shape', JSON.stringify({ version: 1, ads: [{ id: 1 }], adsByPlate: {}, media: [], clients: [] })],
    ['another version', JSON.stringify({ version: 99 })],
  ])(
    'a state file that is %s is moved aside; the simulator starts empty with a warning and saves a fresh file',
    async (_kind, content) => {
      const dir = tempDir();
      const file = join(dir, 'wayke-simulator.json');
      writeFileSync(file, content);
      const log = capturingLog();
      const sim = await start(file, log);
      expect(sim.restored).toBe(false);
      expect(sim.state().ads).toEqual({});
      expect(log.warnings).toHaveLength(1);
      expect(log.warnings[0]!.message).toMatch(/state file .* is .*starting with an empty state/);
      const aside = readdirSync(dir).filter((name) => name.startsWith('wayke-simulator.json.corrupt-'));
      expect(aside).toHaveLength(1);
      expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe(content);
      expect(log.warnings[0]!.attributes.movedTo).toBe(join(dir, aside[0]!));

      const token = (await tokenOf(sim))!;
      const created = await call('POST', `${sim.dealerApiUrl}/vehicle`, token, createBody('NEW001'));
      await sim.stop();
      const next = await start(file);
      expect(next.restored).toBe(true);
      expect(Object.keys(next.state().ads)).toEqual([created.body.id]);
      await next.stop();
    },
  );
});
