/**
 * Deployment-shape benchmark:
 *  1. every Lambda bundle built as the stack builds it (esbuild, ESM, minified, AWS SDK inside):
 *     size in KB, and module init = importing the built bundle in a fresh Node process (median of 5);
 *  2. a synth of a generated 1,000-dealer config (every dealer with an SFTP key and a DMS webhook):
 *     IAM roles in the whole assembly, resources per stack (CloudFormation allows 500; we keep < 450),
 *     synth time.
 * Run: `npm run bench -- stack` (rerun after any change to the bundles, e.g. zod's import style).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { App } from 'aws-cdk-lib';
import { build } from 'esbuild';
import { loadDealerConfig } from '../functions/adapters/dealer-config-file.js';
import { BUNDLE_BANNER, PROJECT_ROOT, writeDealersFile } from '../lib/constructs/service-function.js';
import { readAppContext } from '../lib/settings.js';
import { WaykeDmsStack } from '../lib/wayke-dms-stack.js';
import { cdkJsonContext } from '../test/infra/synth.js';
import { generateDealerConfig } from '../test/infra/fixtures/generate-dealers.js';
import { median } from './stats.js';

const RUNS = 5;
const RESOURCE_CEILING = 450;
const HANDLERS = [
  'import-scheduler',
  'import-worker',
  'webhook',
  'dms-writer',
  'vehicle-api',
  'vehicle-worker',
] as const;

const work = mkdtempSync(join(tmpdir(), 'wayke-dms-bench-stack-'));

// ── 1. bundles ──
const dealersFile = writeDealersFile(loadDealerConfig('config/dealers.example.json', PROJECT_ROOT));
/** The env each handler validates at cold start (values only need to be well-formed). */
const env: Record<string, string> = {
  DEALERS_FILE: dealersFile,
  AWS_REGION: 'eu-north-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  WORK_QUEUE_URL: 'https://sqs.eu-north-1.amazonaws.com/123456789012/work',
  EVENTS_QUEUE_URL: 'https://sqs.eu-north-1.amazonaws.com/123456789012/events.fifo',
  VEHICLE_QUEUE_URL: 'https://sqs.eu-north-1.amazonaws.com/123456789012/vehicle-changes.fifo',
  FEED_BUCKET: 'feeds',
  SNAPSHOT_TABLE: 'snapshots',
  DEDUPE_TABLE: 'dedupe',
  SECRET_PREFIX: 'wayke-dms/dealer/',
  INBOUND_AUTH_TABLE: 'inbound-auth',
  WAYKE_AUTH_URL: 'https://auth.wayketech.se',
  WAYKE_DEALER_API_URL: 'https://dealer-api.wayketech.se',
  WAYKE_MEDIA_API_URL: 'https://api.wayketech.se',
  POWERTOOLS_METRICS_NAMESPACE: 'WaykeDms',
  POWERTOOLS_DEV: 'false',
  LOG_LEVEL: 'ERROR',
};

const node = process.env.BENCH_NODE ?? process.execPath;
console.log(
  `Lambda bundles (esbuild ESM, minified, SDK bundled); init = import in a fresh ${execFileSync(node, ['--version']).toString().trim()} process, median of ${RUNS}`,
);
console.log('function          bundle KB   init ms (median)   runs');
for (const handler of HANDLERS) {
  const outdir = join(work, handler);
  await build({
    entryPoints: [join(PROJECT_ROOT, 'functions', 'handlers', `${handler}.ts`)],
    outfile: join(outdir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    minify: true,
    banner: { js: BUNDLE_BANNER },
    logLevel: 'error',
  });
  const bytes = readdirSync(outdir).reduce((sum, file) => sum + statSync(join(outdir, file)).size, 0);
  const probe = `const t=performance.now();await import(${JSON.stringify(join(outdir, 'index.mjs'))});process.stdout.write(String(performance.now()-t));`;
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const child = spawnSync(node, ['--input-type=module', '-e', probe], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`${handler} bundle failed to load: ${child.stderr}`);
    times.push(Number(child.stdout));
  }
  console.log(
    `${handler.padEnd(17)} ${(bytes / 1024).toFixed(0).padStart(9)}   ${median(times).toFixed(1).padStart(16)}   ${times.map((t) => t.toFixed(0)).join(' ')}`,
  );
}

// ── 2. 1,000-dealer synth ──
const DEALERS = 1000;
const configFile = join(work, 'dealers-1000.json');
writeFileSync(configFile, JSON.stringify(generateDealerConfig(DEALERS)));
const started = performance.now();
const app = new App({ outdir: join(work, 'cdk.out'), context: { ...cdkJsonContext(), config: configFile } });
const settings = readAppContext((key) => app.node.tryGetContext(key));
new WaykeDmsStack(app, settings.stackName, { settings, dealers: loadDealerConfig(settings.config) });
const assembly = app.synth();
const synthMs = performance.now() - started;

let roles = 0;
const counts = new Map<string, number>();
for (const file of readdirSync(assembly.directory).filter((name) => name.endsWith('.template.json'))) {
  const template = JSON.parse(readFileSync(join(assembly.directory, file), 'utf8')) as {
    Resources?: Record<string, { Type: string }>;
  };
  const resources = Object.values(template.Resources ?? {});
  roles += resources.filter((r) => r.Type === 'AWS::IAM::Role').length;
  counts.set(file.replace(/\.(nested\.)?template\.json$/, ''), resources.length);
}
const fullest = Math.max(...counts.values());
console.log(`\n${DEALERS}-dealer synth (every dealer with an SFTP key and a DMS webhook), bundling included`);
console.log(`  synth time            ${(synthMs / 1000).toFixed(1)} s`);
console.log(`  IAM roles (all stacks) ${roles}   (account quota 1,000 by default)`);
console.log(
  `  stacks                ${counts.size}; resources: main ${counts.get(settings.stackName)}, fullest ${fullest}, ceiling ${RESOURCE_CEILING}`,
);
if (fullest >= RESOURCE_CEILING) {
  console.error(`A stack holds ${fullest} resources, not under ${RESOURCE_CEILING}`);
  process.exitCode = 1;
}
