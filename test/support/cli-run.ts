import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runImportCommand } from '../../functions/local/commands/import.js';
import type { WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';
import { BRANCH } from './import-harness.js';

/** What one CLI run printed, and its exit status. */
export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The launcher, by path, so a test's working directory does not matter. */
const BIN = fileURLToPath(new URL('../../bin/wayke-dms.js', import.meta.url));

/** The environment `plan`/`import` need to reach a simulator as the test dealer's branch. */
export function simulatorCliEnv(sim: WaykeSimulator, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WAYKE_AUTH_URL: sim.authUrl,
    WAYKE_DEALER_API_URL: sim.dealerApiUrl,
    WAYKE_MEDIA_API_URL: sim.mediaApiUrl,
    WAYKE_CLIENT_ID: 'sim-client',
    WAYKE_CLIENT_SECRET: 'sim-secret',
    WAYKE_BRANCH_ID: BRANCH,
    NODE_NO_WARNINGS: '1',
    ...extra,
  };
}

/**
 * Complete Wayke settings that reach no one (port 9, discard), for cases `import` refuses before
 * it calls Wayke: a feed it cannot read, a state directory that is not the one meant.
 */
export function unreachableWaykeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LOG_LEVEL: 'SILENT',
    WAYKE_AUTH_URL: 'http://127.0.0.1:9/auth',
    WAYKE_DEALER_API_URL: 'http://127.0.0.1:9/dealer',
    WAYKE_MEDIA_API_URL: 'http://127.0.0.1:9/media',
    WAYKE_CLIENT_ID: 'client',
    WAYKE_CLIENT_SECRET: 'secret',
    WAYKE_BRANCH_ID: '11111111-1111-4111-8111-111111111111',
    ...extra,
  };
}

/** The real command line, in its own process (slow to start: for the end-to-end cases). */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** `plan` or `import` in this process, stdout and stderr captured (fast: for the many small cases). */
export async function runImportInProcess(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const [mode, ...rest] = args as ['plan' | 'import', ...string[]];
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = (chunk: string) => ((stdout += String(chunk)), true);
  process.stderr.write = (chunk: string) => ((stderr += String(chunk)), true);
  try {
    const status = await runImportCommand(mode, rest, env);
    return { status, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
