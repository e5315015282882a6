/**
 * One local run per state directory. Two runs on one `--data` would open the same LevelDB
 * (dynalite then fails every request with "Database is closed") and the same S3 files; the
 * second is refused before any engine starts. The lock file names the holder's pid and start
 * time, so a run that exited — or was killed — leaves no lock that counts.
 */
import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { processIsGone, processStartOf } from '../../process-liveness.js';
import { DevStartError, type Stoppable } from '../start-failure.js';

export const DATA_LOCK_FILE = 'dev.lock';

interface LockHolder {
  readonly pid: number;
  readonly processStart?: string;
}

function readHolder(path: string): LockHolder | null {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    return typeof holder.pid === 'number' ? { pid: holder.pid, processStart: holder.processStart } : null;
  } catch {
    return null;
  }
}

/** Creates the lock file; false when it exists already. */
function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${JSON.stringify({ pid: process.pid, processStart: processStartOf(process.pid) })}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Takes the directory's lock (a stale one from a gone process is taken over) or throws a DevStartError. */
export function lockDataDir(root: string): Stoppable {
  const path = join(root, DATA_LOCK_FILE);
  const release = { stop: async () => rmSync(path, { force: true }) };
  if (tryCreate(path)) return release;
  const holder = readHolder(path);
  if (holder && !processIsGone(holder.pid, holder.processStart)) {
    throw new DevStartError(
      `the state directory ${root} is in use by another \`wayke-dms dev\` (pid ${holder.pid}): ` +
        'stop that one first, or give this one its own directory with --data <dir>.',
      'the state directory',
      '--data',
    );
  }
  rmSync(path, { force: true });
  if (!tryCreate(path))
    throw new DevStartError(
      `the state directory ${root} was taken just now by another \`wayke-dms dev\`; try again.`,
      'the state directory',
      '--data',
    );
  return release;
}
