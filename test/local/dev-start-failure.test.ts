/**
 * Every start failure of the local run ends it: a busy port (each of the four the user chooses)
 * or an engine that cannot start is reported as a DevStartError naming the option to change, and
 * nothing that had started is left listening. The CLI turns that into a message and exit 1
 * within seconds, even with --once.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/adapters/logger.js';
import { startDevStack, type DevStackOptions } from '../../functions/local/dev/stack.js';
import { DevStartError, PortInUseError } from '../../functions/local/dev/start-failure.js';
import { devChildEnv, devPorts, inProcessStackOptions } from '../support/dev-stack.js';
import { tempDirs } from '../support/temp-dirs.js';

const ROOT = resolve(import.meta.dirname, '../..');
const tempDir = tempDirs('wayke-dms-start-');

/** A port taken by someone else, as another program would hold it. */
async function occupyPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { port: address.port, server };
}

const listening = () => process.getActiveResourcesInfo().filter((type) => type === 'TCPServerWrap').length;
const settle = () => new Promise((done) => setTimeout(done, 200));

function options(override: Partial<DevStackOptions>): DevStackOptions {
  return inProcessStackOptions({
    configPath: 'config/dealers.example.json',
    dataDir: tempDir(),
    cwd: ROOT,
    sftpPort: 0,
    log: createLogger({ serviceName: 'dev-start-failure-test', toStderr: true, level: 'ERROR' }),
    ...override,
  });
}

describe('startDevStack with a busy port', () => {
  for (const [field, option] of [
    ['port', '--port'],
    ['dmsPort', '--dms-port'],
    ['simulatorPort', '--wayke-port'],
    ['sftpPort', '--sftp-port'],
  ] as const) {
    it(`names ${option} and leaves nothing listening when that port is taken`, async () => {
      // Prepare
      const busy = await occupyPort();
      // A server closed a moment ago is still listed until the event loop has run once more.
      await settle();
      const before = listening();
      try {
        // Act
        const failure = await startDevStack(options({ [field]: busy.port })).then(
          () => null,
          (error: unknown) => error,
        );
        await settle();
        // Assess
        expect(failure).toBeInstanceOf(PortInUseError);
        expect((failure as PortInUseError).option).toBe(option);
        expect((failure as PortInUseError).port).toBe(busy.port);
        expect((failure as Error).message).toContain(`Choose another port with ${option}`);
        expect(listening()).toBe(before);
      } finally {
        await new Promise((done) => busy.server.close(done));
      }
    });
  }

  it('reports an engine that cannot start (its state directory is a file) and stops the others', async () => {
    // Prepare
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'dynamodb'), 'not a directory');
    await settle();
    const before = listening();
    // Act
    const failure = await startDevStack(options({ dataDir })).then(
      () => null,
      (error: unknown) => error,
    );
    await settle();
    // Assess
    expect(failure).toBeInstanceOf(DevStartError);
    expect((failure as Error).message).toMatch(/DynamoDB stand-in/);
    expect(listening()).toBe(before);
  });
});

describe('wayke-dms dev with a busy port', () => {
  // How fast it exits is measured in `npm run bench -- cli` (≤ 10 s); here: that it exits at all.
  it('prints which option to change and exits 1, even with --once', async () => {
    // Prepare
    const busy = await occupyPort();
    try {
      // Act
      const child = spawn(
        process.execPath,
        ['bin/wayke-dms.js', 'dev', '--once', '--data', tempDir(), ...devPorts({ '--dms-port': busy.port })],
        { cwd: ROOT, env: devChildEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const code = await new Promise<number | null>((done) => {
        // A hang is what this guards against: a child still running after this long has hung.
        const kill = setTimeout(() => child.kill('SIGKILL'), 50_000);
        child.on('exit', (exitCode) => {
          clearTimeout(kill);
          done(exitCode);
        });
      });
      // Assess
      expect(code, err).toBe(1);
      expect(err).toContain(`port ${busy.port} on 127.0.0.1 is already in use`);
      expect(err).toContain('--dms-port');
    } finally {
      busy.server.close();
    }
  });
});
