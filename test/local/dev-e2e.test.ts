/**
 * `npm start` end to end: the real CLI in a child process, on free ports and a temporary data
 * directory, so it never collides with a running `npm start`. Proves the `--once` smoke run, the
 * SFTP upload path (upload → S3 event → scheduler → work queue → worker → report over SFTP), the
 * webhook round trip (purchase in the Wayke simulator → webhook → FIFO queue → DMS writer →
 * signed delivery verified by the demo DMS), a clean Ctrl-C, and a restart that continues from the
 * kept state (the simulator's ads included) without importing anything again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import type { SFTPWrapper } from 'ssh2';
import { devChildEnv, devPorts } from '../support/dev-stack.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FREE_PORTS = devPorts();

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** A real SFTP session as a dealer would open it. */
async function connectSftp(
  port: number,
  username: string,
  password: string,
): Promise<{ client: InstanceType<typeof ssh2.Client>; sftp: SFTPWrapper }> {
  const client = new ssh2.Client();
  const sftp = await new Promise<SFTPWrapper>((resolveSftp, reject) => {
    client
      .on('ready', () => client.sftp((error, session) => (error ? reject(error) : resolveSftp(session))))
      .on('error', reject)
      .connect({ host: '127.0.0.1', port, username, password });
  });
  return { client, sftp };
}

const listDir = (sftp: SFTPWrapper, path: string) =>
  new Promise<Array<{ filename: string }>>((resolveList, reject) =>
    sftp.readdir(path, (error, list) => (error ? reject(error) : resolveList(list))),
  );

function startCli(args: string[]): Run {
  const child = spawn(process.execPath, ['bin/wayke-dms.js', 'dev', ...args], {
    cwd: ROOT,
    env: devChildEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** What a failed assertion on a run shows: everything it printed (stderr holds the handlers' ERROR lines). */
function output(run: Run): string {
  return `\n--- stdout\n${run.stdout()}\n--- stderr\n${run.stderr().slice(-8000)}`;
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  run: Run,
  timeoutMs = 50_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}\n--- stdout\n${run.stdout()}\n--- stderr\n${run.stderr().slice(-4000)}`,
      );
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

const dirs: string[] = [];
const runs: Run[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'wayke-dms-e2e-'));
  dirs.push(dir);
  return dir;
};

afterAll(async () => {
  for (const run of runs) if (run.child.exitCode === null) run.child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// The smoke run and the long-running stack start together (separate ports and data): most of
// their time is waiting on I/O, so running them side by side keeps the file well inside CI's time.
let onceRun: Run;
let onceData: string;
beforeAll(() => {
  onceData = tempDir();
  onceRun = startCli(['--once', '--data', onceData, ...FREE_PORTS]);
  runs.push(onceRun);
});

describe('wayke-dms dev --once', { timeout: 120_000 }, () => {
  it('starts, imports every sample dealer once, prints the reports and exits 0', async () => {
    const run = onceRun;
    const data = onceData;
    const code = await run.exited;
    const out = run.stdout();
    expect(code, `${out}\n${run.stderr()}`).toBe(0);
    expect(out).toMatch(/ready in \d+\.\d s/);
    expect(out).toMatch(
      /✓ bilhallen: inbound\/bilhallen\.csv \(csv\/windows-1252\) — 46 vehicles: 46 created, 0 updated/,
    );
    expect(out).toMatch(/✓ motorcentrum: inbound\/motorcentrum\.xml \(xml\/utf-8\) — 32 vehicles: 32 created/);
    // autohuset's feed has one row without a price: imported, and the row named
    expect(out).toMatch(
      /autohuset: inbound\/autohuset\.csv \(csv\/windows-1252\) — 25 vehicles: 25 created.*1 row rejected/,
    );
    expect(out).toMatch(/row 19 \(UZB18P\): price:/);
    const secrets = JSON.parse(readFileSync(join(data, 'secrets.json'), 'utf8')) as Record<
      string,
      { dmsSigningSecret: string }
    >;
    expect(Object.keys(secrets).sort()).toEqual(['autohuset', 'bilhallen', 'motorcentrum']);
    expect(secrets.bilhallen!.dmsSigningSecret).toMatch(/^whsec_/);
    expect(existsSync(join(data, 'dealers.json'))).toBe(true);
  });
});

describe('wayke-dms dev (running)', { timeout: 120_000 }, () => {
  let run: Run;
  let data: string;
  let health: {
    services: Record<string, string>;
    ports: { api: number; sftp: number; wayke: number; demoDms: number };
  };
  let secrets: Record<string, { sftpPassword: string; webhookSecret: string; dmsSigningSecret: string }>;

  beforeAll(async () => {
    data = tempDir();
    run = startCli(['--data', data, ...FREE_PORTS]);
    runs.push(run);
    const endpoints = join(data, 'endpoints.json');
    const api = await waitFor(
      'endpoints.json',
      () => existsSync(endpoints) && (JSON.parse(readFileSync(endpoints, 'utf8')) as typeof health).services.api,
      run,
    );
    const response = await waitFor(
      'GET /health 200',
      async () => {
        const answer = await fetch(`${api}/health`).catch(() => null);
        return answer?.status === 200 ? answer : null;
      },
      run,
    );
    health = (await response.json()) as typeof health;
    secrets = JSON.parse(readFileSync(join(data, 'secrets.json'), 'utf8')) as typeof secrets;
  }, 120_000);

  it('imports the samples at start, then a simulated purchase reaches the demo DMS signed and verified', async () => {
    await waitFor(
      'the three start-up reports',
      () => ['bilhallen', 'motorcentrum', 'autohuset'].every((id) => new RegExp(`${id}: inbound/`).test(run.stdout())),
      run,
    );
    const line = await waitFor(
      'the purchase delivered to the demo DMS',
      () =>
        /✓ demo DMS ← bilhallen: vehicle\.purchased (\w+) \(id [0-9a-f]{64}\), signature verified/.exec(run.stdout()),
      run,
    );
    const deliveries = (await (await fetch(`${health.services.demoDms}/dealers/bilhallen/events`)).json()) as Array<{
      verified: boolean;
      type?: string;
      body: {
        type: string;
        dealer: string;
        vehicle?: { registrationNumber: string; price: number };
        wayke: { processName: string };
      };
    }>;
    const purchase = deliveries.find((delivery) => delivery.type === 'vehicle.purchased');
    expect(purchase?.verified).toBe(true);
    expect(purchase?.body.dealer).toBe('bilhallen');
    expect(purchase?.body.wayke.processName).toBe('Inköpsavtal');
    // enriched by the DMS writer with the ad read back from Wayke
    expect(purchase?.body.vehicle?.registrationNumber).toBe(line[1]);
    expect(purchase?.body.vehicle?.price).toBeGreaterThan(0);
  });

  it('a webhook with a wrong secret is refused and nothing reaches the DMS', async () => {
    // Two events for the same ad (one FIFO group): the refused one first, then an accepted one.
    // Had the refused one been queued, FIFO order would deliver it before the accepted one.
    const fixture = JSON.parse(
      readFileSync(join(ROOT, 'test/fixtures/wayke-events/purchase-contract-completed.json'), 'utf8'),
    ) as Record<string, unknown>;
    const refused = JSON.stringify({ ...fixture, stepId: 'e2e-refused' });
    const accepted = JSON.stringify({ ...fixture, stepId: 'e2e-accepted' });
    const post = (body: string, authorization: string) =>
      fetch(`${health.services.api}/webhooks/wayke/bilhallen`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body,
      });
    expect((await post(refused, 'Bearer not-the-secret')).status).toBe(401);
    const unknown = await fetch(`${health.services.api}/webhooks/wayke/nobody`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unknown.status).toBe(404);
    const answer = await post(accepted, `Bearer ${secrets.bilhallen!.webhookSecret}`);
    expect(answer.status).toBe(200);
    const { id } = (await answer.json()) as { id: string };
    const delivered = async () =>
      (await (await fetch(`${health.services.demoDms}/dealers/bilhallen/events`)).json()) as Array<{
        body: { id: string; wayke: { stepId?: string } };
      }>;
    await waitFor(
      'the accepted event at the demo DMS',
      async () => ((await delivered()).some((d) => d.body.id === id) ? true : null),
      run,
    );
    expect((await delivered()).map((d) => d.body.wayke.stepId)).not.toContain('e2e-refused');
  });

  it("the console's curl line names an ad that exists: the demo DMS gets the car with make, model, VIN and images", async () => {
    // Prepare
    const printed = await waitFor(
      'the curl line after the demo purchase',
      () =>
        /curl -i -X POST (\S+) -H 'authorization: ([^']+)' -H 'content-type: application\/json' --data '([^']+)'/.exec(
          run.stdout(),
        ),
      run,
    );
    const [, url, authorization, body] = printed;
    // Act
    const answer = await fetch(url!, {
      method: 'POST',
      headers: { authorization: authorization!, 'content-type': 'application/json' },
      body: body!,
    });
    // Assess
    expect(answer.status).toBe(200);
    const { id } = (await answer.json()) as { id: string };
    const events = async () =>
      (await (await fetch(`${health.services.demoDms}/dealers/bilhallen/events`)).json()) as Array<{
        verified: boolean;
        body: { id: string; vehicle?: Record<string, unknown> };
      }>;
    const delivery = await waitFor(
      'the curl event at the demo DMS',
      async () => (await events()).find((d) => d.body.id === id) ?? null,
      run,
    );
    expect(delivery.verified).toBe(true);
    expect(delivery.body.vehicle).toMatchObject({
      make: expect.any(String),
      model: expect.any(String),
      vin: expect.stringMatching(/^[A-HJ-NPR-Z0-9]{17}$/),
      images: expect.any(Array),
    });
    expect((delivery.body.vehicle!.images as string[]).length).toBeGreaterThan(0);
  });

  it('wayke-dms replay re-delivers the accepted events to the demo DMS with the same webhook-id', async () => {
    // Prepare
    const before = (await (await fetch(`${health.services.demoDms}/dealers/bilhallen/events`)).json()) as Array<{
      body: { id: string; type: string };
    }>;
    const purchase = before.find((d) => d.body.type === 'vehicle.purchased')!;
    // Act
    const child = spawn(
      process.execPath,
      [
        'bin/wayke-dms.js',
        'replay',
        '--dealer',
        'bilhallen',
        '--since',
        new Date(Date.now() - 3_600_000).toISOString(),
        '--data',
        data,
        '--json',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', AWS_REGION: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolveExit) => child.on('exit', resolveExit));
    // Assess
    expect(code, out).toBe(0);
    const report = JSON.parse(out) as { delivered: number; events: Array<{ id: string; outcome: string }> };
    expect(report.events.map((e) => e.id)).toContain(purchase.body.id);
    const after = (await (await fetch(`${health.services.demoDms}/dealers/bilhallen/events`)).json()) as Array<{
      body: { id: string };
      duplicate?: boolean;
    }>;
    expect(after.filter((d) => d.body.id === purchase.body.id).length).toBeGreaterThanOrEqual(2);
  });

  it('an SFTP upload into inbound/ is imported within seconds and its report is readable over SFTP', async () => {
    const original = readFileSync(join(ROOT, 'examples/feeds/bilhallen.csv'));
    const text = original.toString('latin1');
    const [header, first, ...rest] = text.split('\r\n');
    const plate = first!.split(';')[0]!;
    const changed = Buffer.from(
      [header, first!.replace(/^([^;]*;[^;]*;)[^;]*;/, '$1123 456;'), ...rest].join('\r\n'),
      'latin1',
    );

    const { client, sftp } = await connectSftp(health.ports.sftp, 'bilhallen', secrets.bilhallen!.sftpPassword);
    try {
      const reportsBefore = run
        .stdout()
        .split('\n')
        .filter((entry) => entry.startsWith('✓ bilhallen: inbound/price-update.csv')).length;
      await new Promise<void>((resolveUpload, reject) => {
        const stream = sftp.createWriteStream('inbound/price-update.csv');
        stream.on('close', () => resolveUpload()).on('error', reject);
        stream.end(changed);
      });
      const report = await waitFor(
        'the upload report',
        () =>
          run
            .stdout()
            .split('\n')
            .filter((entry) => entry.startsWith('✓ bilhallen: inbound/price-update.csv')).length > reportsBefore &&
          run.stdout(),
        run,
      );
      expect(report).toMatch(/SFTP upload by bilhallen: inbound\/price-update\.csv/);
      expect(report).toMatch(
        /✓ bilhallen: inbound\/price-update\.csv \(csv\/windows-1252\) — 46 vehicles: 0 created, 1 updated, 0 removed, 0 republished, 45 unchanged/,
      );
      const latest = await new Promise<string>((resolveRead, reject) => {
        const chunks: Buffer[] = [];
        sftp
          .createReadStream('reports/latest.json')
          .on('data', (chunk: Buffer) => chunks.push(chunk))
          .on('end', () => resolveRead(Buffer.concat(chunks).toString()))
          .on('error', reject);
      });
      expect(JSON.parse(latest)).toMatchObject({ dealer: 'bilhallen', trigger: 'upload', updated: 1, created: 0 });
      const ads = (await (await fetch(`${health.services.wayke}/_admin/state`)).json()) as {
        ads: Record<string, { vehicle: { registrationNumber: string }; ad: Record<string, unknown> }>;
      };
      const ad = Object.values(ads.ads).find((entry) => entry.vehicle.registrationNumber === plate);
      expect(JSON.stringify(ad)).toContain('123456');
    } finally {
      client.end();
    }
  });

  it('an SFTP upload named with a + and a % is imported and archived, and inbound/ is left empty', async () => {
    const { client, sftp } = await connectSftp(health.ports.sftp, 'bilhallen', secrets.bilhallen!.sftpPassword);
    try {
      for (const name of ['lager 100%+ny.csv', 'lager+ny.csv']) {
        const done = (out: string) =>
          out.split('\n').some((entry) => entry.startsWith(`✓ bilhallen: inbound/${name} `));
        await new Promise<void>((resolveUpload, reject) => {
          const stream = sftp.createWriteStream(`inbound/${name}`);
          stream.on('close', () => resolveUpload()).on('error', reject);
          stream.end(readFileSync(join(ROOT, 'examples/feeds/bilhallen.csv')));
        });
        await waitFor(`the import of ${name}`, () => done(run.stdout()), run);
      }
      const inbound = await new Promise<string[]>((resolveList, reject) =>
        sftp.readdir('inbound', (error, list) =>
          error ? reject(error) : resolveList(list.map((entry) => entry.filename)),
        ),
      );
      expect(inbound).toEqual([]);
      expect(run.stdout()).not.toMatch(/bilhallen: import failed/);
    } finally {
      client.end();
    }
  });

  it('Ctrl-C stops everything cleanly; the next start keeps secrets, host key, reports and the Wayke ads (nothing imported again), and stops cleanly', async () => {
    type AdminState = { ads: Record<string, { version: number }>; adsByPlate: Record<string, string[]> };
    const adsBefore = (await (await fetch(`${health.services.wayke}/_admin/state`)).json()) as AdminState;
    expect(Object.keys(adsBefore.adsByPlate).length).toBeGreaterThanOrEqual(100);
    run.child.kill('SIGINT');
    expect(await run.exited, output(run)).toBe(0);
    expect(run.stdout(), output(run)).toMatch(/Stopped\./);
    const secretsBefore = readFileSync(join(data, 'secrets.json'), 'utf8');
    const fingerprint = /host key (SHA256:\S+);/.exec(run.stdout())![1];

    const again = startCli(['--data', data, ...FREE_PORTS]);
    runs.push(again);
    await waitFor('the restart to be ready', () => /Running the start-up import …/.test(again.stdout()), again);
    expect(readFileSync(join(data, 'secrets.json'), 'utf8')).toBe(secretsBefore);
    expect(again.stdout()).not.toMatch(/created now/);
    expect(again.stdout()).toContain(`host key ${fingerprint};`);
    // The simulator continues from its saved state: no snapshot reset, no archived feed back to inbound/.
    expect(again.stdout(), output(again)).not.toMatch(/snapshot was reset/);
    expect(again.stdout(), output(again)).not.toMatch(/Importing the sample feeds/);
    expect(again.stdout(), output(again)).toMatch(
      /The Wayke simulator continues from \.?\S*wayke-simulator\.json \(\d+ ads\)/,
    );
    const endpoints = JSON.parse(readFileSync(join(data, 'endpoints.json'), 'utf8')) as typeof health;
    // The start-up import finds no new feed: once it is done, the same ads (ids per plate, versions) as before.
    await waitFor('the restart start-up import to finish', () => /Ready\. Upload a feed/.test(again.stdout()), again);
    const restartOutput = again.stdout().split('Running the start-up import …')[1]!;
    expect(restartOutput, output(again)).not.toMatch(/^✓ \w+: inbound\//m);
    // Every import the console announced got its result line, though nothing was new.
    const announced = [...restartOutput.matchAll(/… importing ([\w-]+) \(/g)].map((match) => match[1]);
    expect(announced.length, output(again)).toBeGreaterThan(0);
    for (const dealerId of announced)
      expect(restartOutput, output(again)).toContain(`– ${dealerId}: nothing to import`);
    const adsAfter = (await (await fetch(`${endpoints.services.wayke}/_admin/state`)).json()) as AdminState;
    expect(adsAfter.adsByPlate).toEqual(adsBefore.adsByPlate);
    expect(Object.fromEntries(Object.entries(adsAfter.ads).map(([id, ad]) => [id, ad.version]))).toEqual(
      Object.fromEntries(Object.entries(adsBefore.ads).map(([id, ad]) => [id, ad.version])),
    );
    const { client, sftp } = await connectSftp(endpoints.ports.sftp, 'bilhallen', secrets.bilhallen!.sftpPassword);
    try {
      const reports = await listDir(sftp, 'reports');
      const runReports = reports.map((entry) => entry.filename).filter((name) => /^\d{8}T\d{9}Z/.test(name));
      expect(runReports.length).toBeGreaterThanOrEqual(2);
      const archive = await listDir(sftp, 'archive');
      expect(archive.map((entry) => entry.filename).some((name) => name.endsWith('-price-update.csv'))).toBe(true);
    } finally {
      client.end();
    }
    again.child.kill('SIGINT');
    expect(await again.exited, output(again)).toBe(0);
    expect(again.stdout(), output(again)).toMatch(/Stopped\./);
    // The start-up import after the restart did not fail before the Ctrl-C.
    expect(again.stdout().split('Ctrl-C: stopping')[0], output(again)).not.toMatch(/import failed/);

    // A data dir without the simulator's state (as an older version left it): the snapshot is
    // reset and each dealer's last archived feed is imported again, into an empty simulator.
    rmSync(join(data, 'wayke-simulator.json'));
    const legacy = startCli(['--data', data, ...FREE_PORTS]);
    runs.push(legacy);
    await waitFor(
      'the legacy restart to be ready',
      () => /Importing the sample feeds of bilhallen, motorcentrum, autohuset/.test(legacy.stdout()),
      legacy,
    );
    expect(legacy.stdout(), output(legacy)).toMatch(/local Wayke snapshot was reset/);
    expect(legacy.stdout(), output(legacy)).not.toMatch(/continues from/);
    await waitFor(
      'the three re-imports',
      () =>
        /✓ bilhallen: inbound\/.+ \(csv.*— 46 vehicles: 46 created/.test(legacy.stdout()) &&
        /✓ motorcentrum: inbound\/\S+ .*— 32 vehicles: 32 created/.test(legacy.stdout()) &&
        /autohuset: inbound\/\S+ .*— 25 vehicles: 25 created/.test(legacy.stdout()),
      legacy,
    );
    legacy.child.kill('SIGINT');
    expect(await legacy.exited, output(legacy)).toBe(0);
    expect(legacy.stdout(), output(legacy)).toMatch(/Stopped\./);
    // The re-import did not fail (it once did: the snapshot table was recreated while the old one
    // was still being dropped, and every dealer's import found no table).
    expect(legacy.stdout().split('Ctrl-C: stopping')[0], output(legacy)).not.toMatch(/import failed/);
    expect(existsSync(join(data, 'wayke-simulator.json'))).toBe(true);
  });
});
