/** Temporary directories a test file makes, removed after its last test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A maker of fresh directories named `<prefix>[<label>-]…` under the OS temp dir; all are removed after the file's tests. */
export function tempDirs(prefix: string): (label?: string) => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return (label = '') => {
    const dir = mkdtempSync(join(tmpdir(), label ? `${prefix}${label}-` : prefix));
    dirs.push(dir);
    return dir;
  };
}
