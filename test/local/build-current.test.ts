/**
 * The test run's global setup keeps a current CLI bundle and rebuilds a stale one: a second
 * `vitest run` beside a running suite must not swap dist/cli's chunks under the first (a CLI
 * spawned then finds its chunk gone), and an edit must never be tested through an old bundle.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildIsCurrent } from '../global-setup.js';

const dir = mkdtempSync(join(tmpdir(), 'build-current-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BUILT = new Date('2026-12-01T12:00:00Z');
const before = new Date(BUILT.getTime() - 60_000);
const after = new Date(BUILT.getTime() + 60_000);

/** A project with one bundled input, the build script and package.json, all older than the build. */
function project(name: string): string {
  const root = join(dir, name);
  for (const folder of ['dist/cli', 'functions', 'scripts']) mkdirSync(join(root, folder), { recursive: true });
  for (const file of ['functions/a.ts', 'scripts/build-cli.mjs', 'package.json']) {
    writeFileSync(join(root, file), '');
    utimesSync(join(root, file), before, before);
  }
  writeFileSync(
    join(root, 'dist/cli/build.json'),
    JSON.stringify({ builtAt: BUILT.toISOString(), inputs: ['functions/a.ts'] }),
  );
  return root;
}

describe('buildIsCurrent', () => {
  it('keeps a build newer than everything it came from', () => {
    expect(buildIsCurrent(project('fresh'))).toBe(true);
  });

  it.each(['functions/a.ts', 'scripts/build-cli.mjs', 'package.json'])('rebuilds after %s changed', (file) => {
    const root = project(`changed-${file.replaceAll('/', '-')}`);
    utimesSync(join(root, file), after, after);
    expect(buildIsCurrent(root)).toBe(false);
  });

  it('rebuilds when an input is gone, the manifest is missing or not JSON', () => {
    const gone = project('gone');
    rmSync(join(gone, 'functions/a.ts'));
    const missing = project('missing');
    rmSync(join(missing, 'dist/cli/build.json'));
    const broken = project('broken');
    writeFileSync(join(broken, 'dist/cli/build.json'), '{');
    expect([gone, missing, broken].map((root) => buildIsCurrent(root))).toEqual([false, false, false]);
  });
});
