#!/usr/bin/env node
// Launcher for the `wayke-dms` CLI. It runs the prebuilt bundle in dist/cli/ (built by
// `npm install`/`npm ci` through `prepare`, or `npm run build`), so a command starts without
// compiling TypeScript. When the bundle is missing, or older than a source it was built from
// (a checkout or an edit since), it says so once on stderr and runs the sources through tsx.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// A plain path, not URLs: this check runs on every start, and 180 URL objects cost as much as the stats.
const root = fileURLToPath(new URL('../', import.meta.url));

/** null when dist/cli is usable, else why not. */
function bundleProblem() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(`${root}dist/cli/build.json`, 'utf8'));
  } catch {
    return 'the prebuilt CLI (dist/cli) is missing';
  }
  const builtAt = Date.parse(manifest.builtAt);
  for (const input of manifest.inputs) {
    const stat = statSync(`${root}${input}`, { throwIfNoEntry: false });
    if (!stat) return `the prebuilt CLI (dist/cli) was built from ${input}, which is gone`;
    if (stat.mtimeMs > builtAt) return `the prebuilt CLI (dist/cli) is older than ${input}`;
  }
  return null;
}

const problem = process.env.WAYKE_DMS_FROM_SOURCE === '1' ? null : bundleProblem();
let main;
if (process.env.WAYKE_DMS_FROM_SOURCE === '1' || problem) {
  if (problem)
    process.stderr.write(
      `wayke-dms: ${problem}; running from the TypeScript sources (slower start). \`npm run build\` rebuilds it.\n`,
    );
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    // An install without devDependencies has no tsx: only the bundle can run there.
    process.stderr.write(
      'wayke-dms: tsx is not installed either, so the sources cannot run. Run `npm run build` ' +
        '(needs esbuild, installed with the package) or `npm install` in the project directory.\n',
    );
    process.exit(1);
  }
  tsx.register();
  ({ main } = await import('../functions/local/cli.ts'));
} else {
  ({ main } = await import('../dist/cli/local/cli.js'));
}
process.exitCode = await main(process.argv.slice(2));
