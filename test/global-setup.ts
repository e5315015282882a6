/**
 * Builds the CLI bundle (dist/cli) before any test runs, so tests that start `bin/wayke-dms.js`
 * run what a user runs after `npm install` — from current sources, never a stale build. A build
 * that is current (no input, nor the build script or package.json, changed since) is kept: a
 * second test run started beside a running one must not swap the bundle's chunks under it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const BUILD_SCRIPT = resolve(ROOT, 'scripts/build-cli.mjs');

/** Whether dist/cli was built after every file it was built from was last changed. */
export function buildIsCurrent(root: string = ROOT): boolean {
  let manifest: { builtAt: string; inputs: string[] };
  try {
    manifest = JSON.parse(readFileSync(resolve(root, 'dist/cli/build.json'), 'utf8')) as typeof manifest;
  } catch {
    return false;
  }
  const builtAt = Date.parse(manifest.builtAt);
  const files = [...manifest.inputs, 'scripts/build-cli.mjs', 'package.json'];
  return files.every((file) => {
    const stat = statSync(resolve(root, file), { throwIfNoEntry: false });
    return stat !== undefined && stat.mtimeMs <= builtAt;
  });
}

export default function setup(): void {
  if (buildIsCurrent()) return;
  execFileSync(process.execPath, [BUILD_SCRIPT], { stdio: 'inherit' });
}
