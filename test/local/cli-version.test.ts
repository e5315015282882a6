/**
 * `wayke-dms --version` / `-v`: the package's version, bare on one line, exit 0 — answered by the
 * launcher from the build manifest (the test run builds dist/cli first), and by the CLI itself
 * when the launcher runs the sources (no usable manifest).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli-run.js';

const { version } = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'));

describe('wayke-dms --version', () => {
  for (const word of ['--version', '-v']) {
    it(`${word} prints package.json's version from the build manifest, exit 0`, async () => {
      const result = await spawnCli([word], { ...process.env, WAYKE_DMS_FROM_SOURCE: '' });
      expect(result.stdout).toBe(`${version}\n`);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });
  }

  it("prints package.json's version from the sources (no manifest), exit 0", async () => {
    const result = await spawnCli(['--version'], { ...process.env, WAYKE_DMS_FROM_SOURCE: '1' });
    expect(result.stdout).toBe(`${version}\n`);
    expect(result.status).toBe(0);
  });

  it('is written into the manifest the launcher answers from', () => {
    const built = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../dist/cli/build.json', import.meta.url)), 'utf8'),
    );
    expect(built.version).toBe(version);
  });
});
