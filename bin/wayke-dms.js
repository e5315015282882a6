#!/usr/bin/env node
// Launcher for the `wayke-dms` CLI. It runs the prebuilt bundle in dist/cli/ (built by
// `npm install`/`npm ci` through `prepare`, or `npm run build`), so a command starts without
// compiling TypeScript. When the bundle is missing, or older than a source it was built from
// (a checkout or an edit since), it says so once on stderr and runs the sources through tsx.
//
// It runs on every start, so it stays small: `node:fs` and `node:url` are taken as the built-in module where Node
// has `process.getBuiltinModule` (20.16+), as importing it as an ES module builds a facade that
// loads the stream modules too; and `wayke-dms --help` and `--version` are printed from the build
// manifest, without loading the CLI at all.
const builtin = async (name) => process.getBuiltinModule?.(name) ?? (await import(name));
const { readFileSync, statSync } = await builtin('node:fs');
const { fileURLToPath } = await builtin('node:url');

// A plain path, not URLs: 180 URL objects cost as much as the stats.
const root = fileURLToPath(new URL('../', import.meta.url));

/** The build manifest (dist/cli/build.json) when the bundle is usable, else why not. */
function readBuild() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(`${root}dist/cli/build.json`, 'utf8'));
  } catch {
    return { problem: 'the prebuilt CLI (dist/cli) is missing' };
  }
  const builtAt = Date.parse(manifest.builtAt);
  for (const input of manifest.inputs) {
    const stat = statSync(`${root}${input}`, { throwIfNoEntry: false });
    if (!stat) return { problem: `the prebuilt CLI (dist/cli) was built from ${input}, which is gone` };
    if (stat.mtimeMs > builtAt) return { problem: `the prebuilt CLI (dist/cli) is older than ${input}` };
  }
  return { manifest };
}

/** Runs the TypeScript sources through tsx (devDependencies), or exits saying why it cannot. */
async function sourceMain() {
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
  return (await import('../functions/local/cli.ts')).main;
}

const args = process.argv.slice(2);
const { manifest, problem } = process.env.WAYKE_DMS_FROM_SOURCE === '1' ? {} : readBuild();
if (manifest?.version !== undefined && manifest.versionWords.includes(args[0])) {
  // What main() prints for these arguments.
  process.stdout.write(`${manifest.version}\n`);
} else if (
  manifest?.usage !== undefined &&
  (args.length === 0 || (args.length === 1 && manifest.helpWords.includes(args[0])))
) {
  // Only a help word alone: `help <command>` is that command's help, which only the CLI has.
  // What main() prints for these arguments, with its exit status: 2 when no command was given.
  process.stdout.write(`${manifest.usage}\n`);
  process.exitCode = args.length === 0 ? 2 : 0;
} else {
  if (problem)
    process.stderr.write(
      `wayke-dms: ${problem}; running from the TypeScript sources (slower start). \`npm run build\` rebuilds it.\n`,
    );
  const main = manifest ? (await import('../dist/cli/local/cli.js')).main : await sourceMain();
  process.exitCode = await main(args);
}
