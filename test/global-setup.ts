/**
 * Builds the CLI bundle (dist/cli) before any test runs, so tests that start `bin/wayke-dms.js`
 * run what a user runs after `npm install` — from current sources, never a stale build.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export default function setup(): void {
  execFileSync(process.execPath, [resolve(import.meta.dirname, '../scripts/build-cli.mjs')], { stdio: 'inherit' });
}
