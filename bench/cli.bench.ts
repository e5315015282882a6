/**
 * CLI start-up benchmark, whole processes as a user starts them: `node bin/wayke-dms.js --help`
 * (target ≤ 0.15 s median), and `validate-feed` on a 10,000-vehicle Windows-1252 CSV against a
 * bare csv-parse of the same file in its own Node process (target ≤ 2.0×, goal 1.5×), both with
 * `node bin/wayke-dms.js` and through `npx wayke-dms`. A bare `node -e 0` is shown for the
 * machine's own start-up cost. Runs are interleaved, so a load spike hits every variant alike.
 * Needs the prebuilt CLI (`npm run build`; `npm install` does it).
 *
 * Through npx, npm's own start comes first, and costs more than twice the bare parse by itself:
 * so npx is shown three ways — against the bare parse through `node`, against the same bare parse
 * started through `npx` as well (a tiny bin in a project beside this one, on the same
 * node_modules, so npm reads the same dependency tree to find it), and npm's floor
 * (`npx --no -- node -e 0`: npm starting and handing over, without looking up a package bin).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { csvFeed } from './generated-feed.js';
import { devPorts } from '../test/support/dev-stack.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const VEHICLES = 10_000;

if (!existsSync(join(ROOT, 'dist', 'cli', 'build.json'))) {
  process.stdout.write('dist/cli is missing: run `npm run build` first\n');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'wayke-cli-bench-'));
const feed = join(dir, 'lager.csv');
writeFileSync(feed, csvFeed(VEHICLES, 'windows-1252'));
// The baseline: what the file costs with nothing of ours around it — start Node, load
// csv-parse, read and parse the same bytes.
const bareScript = join(dir, 'bare-csv-parse.mjs');
writeFileSync(
  bareScript,
  `import { readFileSync } from 'node:fs';\nimport { parse } from ${JSON.stringify(join(ROOT, 'node_modules', 'csv-parse', 'lib', 'sync.js'))};\n` +
    `const rows = parse(readFileSync(process.argv[2]), { delimiter: ';', relax_column_count: true });\nif (rows.length !== ${VEHICLES + 1}) process.exit(1);\n`,
);

/**
 * The same bare parse as a package bin, so `npx` can start it: a project of its own (npm runs a
 * project's own bin, as it runs `wayke-dms` here) whose node_modules is this one's.
 */
const bareProject = join(dir, 'bare-project');
mkdirSync(bareProject);
symlinkSync(join(ROOT, 'node_modules'), join(bareProject, 'node_modules'), 'dir');
writeFileSync(join(bareProject, 'bare-csv-parse.mjs'), `#!/usr/bin/env node\n${readFileSync(bareScript, 'utf8')}`, {
  mode: 0o755,
});
writeFileSync(
  join(bareProject, 'package.json'),
  JSON.stringify({
    name: 'bare-csv-parse',
    private: true,
    type: 'module',
    bin: { 'bare-csv-parse': 'bare-csv-parse.mjs' },
  }),
);

interface Variant {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Exit statuses that mean the run did its work. */
  readonly ok: readonly number[];
  /** Where it runs; the project root unless said. */
  readonly cwd?: string;
}

const variants: Variant[] = [
  { name: 'node -e 0 (Node itself)', command: process.execPath, args: ['-e', '0'], ok: [0] },
  { name: 'node bin/wayke-dms.js --help', command: process.execPath, args: ['bin/wayke-dms.js', '--help'], ok: [0] },
  { name: 'npx wayke-dms --help', command: 'npx', args: ['--no-install', 'wayke-dms', '--help'], ok: [0] },
  { name: 'bare csv-parse (own process)', command: process.execPath, args: [bareScript, feed], ok: [0] },
  {
    name: 'node bin/wayke-dms.js validate-feed',
    command: process.execPath,
    args: ['bin/wayke-dms.js', 'validate-feed', feed],
    ok: [0],
  },
  {
    name: 'npx wayke-dms validate-feed',
    command: 'npx',
    args: ['--no-install', 'wayke-dms', 'validate-feed', feed],
    ok: [0],
  },
  { name: 'npx --no -- node -e 0 (npm floor)', command: 'npx', args: ['--no', '--', 'node', '-e', '0'], ok: [0] },
  {
    name: 'npx bare-csv-parse (same npm start)',
    command: 'npx',
    args: ['--no-install', 'bare-csv-parse', feed],
    ok: [0],
    cwd: bareProject,
  },
];

const timings = new Map<string, number[]>(variants.map((variant) => [variant.name, []]));
let failed = false;
try {
  for (let run = 0; run < RUNS; run++) {
    for (const variant of variants) {
      const start = performance.now();
      const child = spawnSync(variant.command, variant.args, {
        cwd: variant.cwd ?? ROOT,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      const elapsed = (performance.now() - start) / 1000;
      if (!variant.ok.includes(child.status ?? -1)) {
        process.stdout.write(`${variant.name}: exit ${child.status}\n${child.stderr.slice(-2000)}\n`);
        failed = true;
      }
      if (child.stderr.includes('running from the TypeScript sources')) {
        process.stdout.write(
          `${variant.name}: ran from the sources, not dist/cli (stale build?): ${child.stderr.split('\n')[0]}\n`,
        );
        failed = true;
      }
      timings.get(variant.name)!.push(elapsed);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// A busy port must end `dev --once` with exit 1 within 10 s (nothing left running keeps it alive).
const busyPortSeconds: number[] = [];
for (let run = 0; run < Math.min(RUNS, 3); run++) {
  const data = mkdtempSync(join(tmpdir(), 'wayke-cli-bench-busy-'));
  // Held by another process, as another program on the machine would hold it.
  const holder = spawn(
    process.execPath,
    [
      '-e',
      'const s=require("net").createServer().listen(0,"127.0.0.1",()=>console.log(s.address().port));setTimeout(()=>{},60000)',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const port = await new Promise<number>((done) =>
    holder.stdout.once('data', (chunk: Buffer) => done(Number(chunk.toString().trim()))),
  );
  const start = performance.now();
  const child = spawnSync(
    process.execPath,
    ['bin/wayke-dms.js', 'dev', '--once', '--data', data, ...devPorts({ '--dms-port': port })],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  busyPortSeconds.push((performance.now() - start) / 1000);
  holder.kill();
  rmSync(data, { recursive: true, force: true });
  if (child.status !== 1 || !child.stderr.includes('--dms-port')) {
    process.stdout.write(`busy --dms-port: exit ${child.status}\n${child.stderr.slice(-1000)}\n`);
    failed = true;
  }
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const m = (name: string): number => median(timings.get(name)!);
const verdict = (ok: boolean): string => (ok ? 'ok' : 'OVER TARGET');
const help = m('node bin/wayke-dms.js --help');
const bare = m('bare csv-parse (own process)');
const viaNode = m('node bin/wayke-dms.js validate-feed') / bare;
const viaNpx = m('npx wayke-dms validate-feed') / bare;
const npxBoth = m('npx wayke-dms validate-feed') / m('npx bare-csv-parse (same npm start)');
const npmFloor = m('npx --no -- node -e 0 (npm floor)');

process.stdout.write(`whole-process medians of ${RUNS} runs (s); ${VEHICLES} vehicles, Windows-1252 CSV\n`);
for (const variant of variants) process.stdout.write(`  ${variant.name.padEnd(38)} ${m(variant.name).toFixed(3)}\n`);
process.stdout.write(
  `  --help                                 ${help.toFixed(3)} s (target ≤ 0.150: ${verdict(help <= 0.15)})\n` +
    `  validate-feed / bare csv-parse, node   ${viaNode.toFixed(2)}× (target ≤ 2.0: ${verdict(viaNode <= 2)}; goal 1.5)\n` +
    `  npx validate-feed / bare through node  ${viaNpx.toFixed(2)}× (target ≤ 2.0: ${verdict(viaNpx <= 2)}; npm's floor alone is ${(npmFloor / bare).toFixed(2)}×)\n` +
    `  npx validate-feed / bare through npx   ${npxBoth.toFixed(2)}× (target ≤ 2.0: ${verdict(npxBoth <= 2)}; goal 1.5)\n` +
    `  npm floor (npx --no -- node -e 0)      ${npmFloor.toFixed(3)} s\n` +
    `  dev --once, --dms-port busy → exit 1   ${median(busyPortSeconds).toFixed(3)} s (target ≤ 10: ${verdict(median(busyPortSeconds) <= 10)})\n` +
    `  load average                           ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')} on ${availableParallelism()} cores\n`,
);
// Through npx the target is held against a bare parse that pays npm's start too: against one
// started by `node`, npm's floor alone can exceed it (shown above, not a failure of ours).
process.exit(failed || help > 0.15 || viaNode > 2 || npxBoth > 2 || median(busyPortSeconds) > 10 ? 1 : 0);
