/** One local run per state directory: a second is refused in words, a gone holder's lock is taken over. */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_LOCK_FILE, lockDataDir } from '../../functions/local/dev/parts/data-lock.js';
import { DevStartError } from '../../functions/local/dev/start-failure.js';
import { tempDirs } from '../support/temp-dirs.js';

const tempDir = tempDirs('wayke-dms-lock-');

describe('the state directory lock of wayke-dms dev', () => {
  it('refuses a second run while the first holds the directory, naming --data', async () => {
    const dir = tempDir();
    const first = lockDataDir(dir);
    const second = (() => {
      try {
        lockDataDir(dir);
        return null;
      } catch (error) {
        return error;
      }
    })();
    expect(second).toBeInstanceOf(DevStartError);
    expect((second as DevStartError).message).toContain(`pid ${process.pid}`);
    // One sentence, as `dev` prints it after "wayke-dms dev: " (it added "could not start " before).
    expect((second as DevStartError).message).toBe(
      `the state directory ${dir} is in use by another \`wayke-dms dev\` (pid ${process.pid}): stop that one first, or give this one its own directory with --data <dir>.`,
    );
    expect((second as DevStartError).option).toBe('--data');
    await first.stop();
  });

  it('is free again once the first run stopped', async () => {
    const dir = tempDir();
    await lockDataDir(dir).stop();
    expect(existsSync(join(dir, DATA_LOCK_FILE))).toBe(false);
    await lockDataDir(dir).stop();
  });

  it('takes over the lock of a run that exited without releasing it (killed)', async () => {
    const dir = tempDir();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, DATA_LOCK_FILE), JSON.stringify({ pid: Number(gone.stdout) }));
    const lock = lockDataDir(dir);
    await lock.stop();
  });

  it('takes over an unreadable lock file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, DATA_LOCK_FILE), 'not json');
    await lockDataDir(dir).stop();
  });
});
