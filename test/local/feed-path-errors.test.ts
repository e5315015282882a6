/**
 * A feed path that is no readable regular file — a directory, a named pipe, a device, no
 * permission, a symbolic link loop, nothing there — is refused by `validate-feed`, `plan` and
 * `import` alike in one line, `<file> cannot be read: …`, with exit 2 (for `import`, exit 1 would
 * mean rows rejected), no stack trace, and no state directory touched.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli, unreachableWaykeEnv } from '../support/cli-run.js';

const BIN = fileURLToPath(new URL('../../bin/wayke-dms.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'feed-path-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Wayke settings `import` checks before the feed; nothing is reached, as the feed is refused first. */
const env = unreachableWaykeEnv({ NODE_NO_WARNINGS: '1' });

const state = join(dir, 'state');
const argsOf = (command: string, path: string) =>
  command === 'validate-feed' ? [command, path] : [command, path, '--dealer', 'bilhallen', '--state', state];

const fifo = join(dir, 'feed.fifo');
execFileSync('mkfifo', [fifo]);
const loop = join(dir, 'loop.csv');
symlinkSync(loop, loop);

const COMMANDS = ['validate-feed', 'plan', 'import'] as const;
const PATHS = [
  { kind: 'a directory', path: fileURLToPath(new URL('../../examples', import.meta.url)), why: 'EISDIR' },
  { kind: 'a named pipe with no writer', path: fifo, why: 'a named pipe (FIFO), not a regular file' },
  { kind: 'a device', path: '/dev/null', why: 'a device, not a regular file' },
  { kind: 'a symbolic link loop', path: loop, why: 'ELOOP (a symbolic link loop)' },
  { kind: 'nothing', path: join(dir, 'missing.csv'), why: 'ENOENT (no such file)' },
];

/** Root reads any file, so the EACCES case runs the CLI as nobody; that needs a Node binary nobody may run. */
const canRunAsNobody =
  process.getuid?.() !== 0 || spawnSync(process.execPath, ['-e', '0'], { uid: 65534, gid: 65534 }).status === 0;

describe.each(COMMANDS)('wayke-dms %s with a feed path that is no readable file', (command) => {
  it.each(PATHS)('refuses $kind in one line, exit 2, and leaves the state alone', async ({ path, why }) => {
    const { status, stderr } = await spawnCli(argsOf(command, path), env);
    expect(stderr).toContain(`wayke-dms ${command}: ${path} cannot be read: ${why}`);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(status).toBe(2);
    expect(existsSync(state)).toBe(false);
  });

  // As root, nobody must be able to start this Node (a node@24 from root's npx cache is not): else skipped.
  it.skipIf(!canRunAsNobody)('refuses a file it has no permission to read (EACCES), exit 2', () => {
    const locked = join(dir, `${command}-locked.csv`);
    writeFileSync(locked, 'registrationNumber\nABC123\n');
    chmodSync(locked, 0o000);
    chmodSync(dir, 0o755);
    // Root reads any file, so as root the command runs as nobody: the check is the kernel's either way.
    const asRoot = process.getuid?.() === 0;
    const result = spawnSync(process.execPath, [BIN, ...argsOf(command, locked)], {
      env,
      encoding: 'utf8',
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    expect(result.stderr).toContain(`${locked} cannot be read: EACCES (permission denied)`);
    expect(result.status).toBe(2);
  });
});
