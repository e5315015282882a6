/**
 * `wayke-dms dev` as a child process on free ports and a temporary data directory, for tests of the
 * whole local stack: its output, its endpoints and secrets, a dealer's SFTP upload.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ssh2 from 'ssh2';
import type { SFTPWrapper } from 'ssh2';
import type { DevStackOptions } from '../../functions/local/dev/stack.js';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Options of the stack run in the test's own process: every port free, no SFTP, no seeded
 * examples, no hourly schedule; `given` names the config, the state, the log and any change.
 */
export function inProcessStackOptions(
  given: Pick<DevStackOptions, 'configPath' | 'dataDir' | 'cwd' | 'log'> & Partial<DevStackOptions>,
): DevStackOptions {
  return { port: 0, sftpPort: null, simulatorPort: 0, dmsPort: 0, seedExamples: false, schedule: false, ...given };
}

/** The four ports `dev` listens on, by option. */
export type DevPortOption = '--port' | '--sftp-port' | '--wayke-port' | '--dms-port';

/** `dev`'s port options, each 0 (a free port) unless `ports` gives it one (a busy one, say). */
export function devPorts(ports: Partial<Record<DevPortOption, number>> = {}): string[] {
  const chosen = { '--port': 0, '--sftp-port': 0, '--wayke-port': 0, '--dms-port': 0, ...ports };
  return Object.entries(chosen).flatMap(([option, port]) => [option, String(port)]);
}

/** The environment of a `dev` child: no colours, and no Wayke URLs from the shell, so it uses its own simulator. */
export function devChildEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NO_COLOR: '1',
    WAYKE_AUTH_URL: '',
    WAYKE_DEALER_API_URL: '',
    WAYKE_MEDIA_API_URL: '',
    ...extra,
  };
}

export interface DevStack {
  readonly child: ChildProcess;
  readonly data: string;
  stdout(): string;
  /** Service URLs (`/health`): `api`, `wayke`, `demoDms`, … */
  readonly services: Record<string, string>;
  readonly ports: { api: number; sftp: number; wayke: number; demoDms: number };
  readonly secrets: Record<string, { sftpPassword: string; webhookSecret: string }>;
  /** Waits until `probe` gives a value (polling every 100 ms), else throws with the stack's output. */
  waitFor<T>(
    what: string,
    probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  ): Promise<T>;
  /** Uploads `bytes` as `inbound/<name>` over SFTP, as the dealer. */
  upload(dealerId: string, name: string, bytes: Buffer): Promise<void>;
  /** Merges `faults` into the Wayke simulator's (`POST /_admin/faults`); throws unless it takes them. */
  setWaykeFaults(faults: Record<string, unknown>): Promise<void>;
  /** Kills the stack (SIGKILL, as a crash would) and removes its data directory unless it was given. */
  stop(): Promise<void>;
}

const WAIT_MS = 60_000;

/** bilhallen's sample feed with every price `extra` kronor higher (`123 000` → `123 <extra>`). */
export function repricedBilhallen(extra = 500): Buffer {
  const feed = readFileSync(join(ROOT, 'examples/feeds/bilhallen.csv')).toString('latin1');
  return Buffer.from(
    feed.replace(
      /^([A-Z0-9]{2,7};\d+;)(\d+) 000/gm,
      (_all, head: string, thousands: string) => `${head}${thousands} ${extra}`,
    ),
    'latin1',
  );
}

/**
 * Starts the stack; `args` are more `dev` options (e.g. `--config <file>` for dealers of its own),
 * `env` more environment for it, `data` a data directory to start on (a restart; kept at stop).
 */
export async function startDevStack(
  options: { readonly args?: readonly string[]; readonly env?: NodeJS.ProcessEnv; readonly data?: string } = {},
): Promise<DevStack> {
  const data = options.data ?? mkdtempSync(join(tmpdir(), 'wayke-dms-stack-'));
  // A killed earlier run on the same directory left its endpoints: wait for this run's own.
  rmSync(join(data, 'endpoints.json'), { force: true });
  const child = spawn(
    process.execPath,
    ['bin/wayke-dms.js', 'dev', '--data', data, ...devPorts(), ...(options.args ?? [])],
    { cwd: ROOT, env: devChildEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const waitFor: DevStack['waitFor'] = async (what, probe) => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`timed out waiting for ${what}\n--- stdout\n${out}\n--- stderr\n${err.slice(-4000)}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  };
  const endpoints = join(data, 'endpoints.json');
  const api = await waitFor(
    'endpoints.json',
    () => existsSync(endpoints) && (JSON.parse(readFileSync(endpoints, 'utf8')) as DevStack).services.api,
  );
  const health = (await (
    await waitFor('GET /health 200', async () => {
      const answer = await fetch(`${api}/health`).catch(() => null);
      return answer?.status === 200 ? answer : null;
    })
  ).json()) as Pick<DevStack, 'services' | 'ports'>;
  const secrets = JSON.parse(readFileSync(join(data, 'secrets.json'), 'utf8')) as DevStack['secrets'];
  return {
    child,
    data,
    stdout: () => out,
    services: health.services,
    ports: health.ports,
    secrets,
    waitFor,
    upload: (dealerId, name, bytes) =>
      upload(health.ports.sftp, dealerId, secrets[dealerId]!.sftpPassword, name, bytes),
    async setWaykeFaults(faults) {
      const answer = await fetch(`${health.services.wayke}/_admin/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(faults),
      });
      if (answer.status !== 200) throw new Error(`faults ${JSON.stringify(faults)}: HTTP ${answer.status}`);
    },
    async stop() {
      // A killed child has a signalCode and no exitCode; it will not exit again.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGKILL');
        await exited;
      }
      if (!options.data) rmSync(data, { recursive: true, force: true });
    },
  };
}

async function upload(port: number, username: string, password: string, name: string, bytes: Buffer): Promise<void> {
  const client = new ssh2.Client();
  try {
    const sftp = await new Promise<SFTPWrapper>((ready, reject) => {
      client
        .on('ready', () => client.sftp((error, session) => (error ? reject(error) : ready(session))))
        .on('error', reject)
        .connect({ host: '127.0.0.1', port, username, password });
    });
    await new Promise<void>((done, reject) => {
      const stream = sftp.createWriteStream(`inbound/${name}`);
      stream.on('close', () => done()).on('error', reject);
      stream.end(bytes);
    });
  } finally {
    client.end();
  }
}
