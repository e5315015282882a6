import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/wayke-dms.js', import.meta.url));

/** The URLs `simulate-wayke --json` prints as its first line. */
export interface SimulatorUrls {
  readonly url: string;
  readonly authUrl: string;
  readonly dealerApiUrl: string;
  readonly mediaApiUrl: string;
  readonly clientId: string;
}

/**
 * `wayke-dms simulate-wayke --port 0 --json <args>` as a child process, resolved once it printed its
 * URLs; rejects (with its stderr) when it exits first. The caller stops it (`child.kill`).
 */
export function startSimulatorCli(args: readonly string[]): Promise<{ child: ChildProcess; urls: SimulatorUrls }> {
  const child = spawn(process.execPath, [BIN, 'simulate-wayke', '--port', '0', '--json', ...args], {
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve({ child, urls: JSON.parse(out.split('\n')[0] as string) as SimulatorUrls });
    });
    child.once('exit', (code) => reject(new Error(`simulate-wayke exited with ${code}: ${err}`)));
  });
}
