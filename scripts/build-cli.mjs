#!/usr/bin/env node
// Builds the `wayke-dms` CLI once (npm install and npm ci run this as `prepare`), so no command
// compiles TypeScript at run time: esbuild bundles functions/local/cli.ts, each command as its
// own lazily loaded chunk, and the Lambda handlers the local run invokes, into dist/cli/.
// build.json lists the project sources that went in, so bin/wayke-dms.js can tell a stale build
// from a fresh one, and holds the command list it prints for `--help` and the version for `--version`.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // An install without devDependencies: the launcher runs the sources instead, and says so.
  process.stderr.write(
    'wayke-dms: esbuild is not installed; the CLI will run from its TypeScript sources (slower start).\n',
  );
  process.exit(0);
}

const handlers = readdirSync(join(root, 'functions', 'handlers'))
  .filter((name) => name.endsWith('.ts'))
  .map((name) => join(root, 'functions', 'handlers', name));

rmSync(outdir, { recursive: true, force: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: [join(root, 'functions', 'local', 'cli.ts'), ...handlers],
  outbase: join(root, 'functions'),
  outdir,
  entryNames: '[dir]/[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Bundled: one file to load instead of hundreds to resolve (zod, csv-parse, the SDK). Left in
  // node_modules: the engines, which load their own native or data files by path.
  external: ['dynalite', 's3rver', 'local-aws-sqs', 'ssh2', 'tsx', 'esbuild'],
  sourcemap: 'linked',
  define: { WAYKE_DMS_BUNDLED: 'true' },
  // The SDK and others are CommonJS inside: in an ES module bundle they need a real `require`.
  banner: {
    js: "import { createRequire as __waykeDmsCreateRequire } from 'node:module'; const require = __waykeDmsCreateRequire(import.meta.url);",
  },
  metafile: true,
  logLevel: 'warning',
});

const inputs = Object.keys(result.metafile.inputs)
  .filter((input) => !input.includes('node_modules'))
  .map((input) => relative(root, join(root, input)))
  .sort();
// The command list and the version too, so `wayke-dms --help` and `--version` are answered by the
// launcher without loading the CLI; taken from the bundle, so they are what the CLI would print.
const { usage, HELP_WORDS, VERSION, VERSION_WORDS } = await import(pathToFileURL(join(outdir, 'local', 'cli.js')).href);
const manifest = {
  builtAt: new Date().toISOString(),
  usage: usage(),
  helpWords: HELP_WORDS,
  version: VERSION,
  versionWords: VERSION_WORDS,
  inputs,
};
mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, 'build.json'), `${JSON.stringify(manifest, null, 2)}\n`);
