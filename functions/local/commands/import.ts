/**
 * `wayke-dms import <file> --dealer <id>`: the import use case, run from a terminal against
 * Wayke (or the simulator) with the snapshot kept in an embedded DynamoDB-compatible store on
 * disk (`--state`, default `./.wayke-dms`), through the same DynamoDB adapter as in AWS.
 * `plan.ts` shares this module: same reading and planning, nothing written.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { loadDealerConfig } from '../../adapters/dealer-config-file.js';
import { DynamoSnapshotStore, ensureSnapshotTable } from '../../adapters/dynamo-snapshot-store.js';
import { FileReportSink } from '../../adapters/file-feed-source.js';
import { createLogger } from '../../adapters/logger.js';
import { createWaykeClient, WaykeUrlsEnvSchema, waykeUrlsFromEnv } from '../../adapters/wayke-http-client.js';
import {
  DEALER_ID_PATTERN,
  DEALER_ID_RULE,
  DEFAULT_FEED_SETTINGS,
  MARKETS,
  type Market,
} from '../../core/dealer-config.js';
import { DEFAULT_MARKET } from '../../core/market.js';
import {
  countOf,
  exitStatus,
  makeImportDealer,
  type ImportDealerConfig,
  type ImportOutcome,
  type ImportPlan,
  type ImportSummary,
} from '../../core/import/index.js';
import type { LeaseHolder } from '../../ports.js';
import { loadMappingOption, UsageError } from '../cli-support.js';
import { feedFile } from '../feed-file.js';
import { DEFAULT_RESOURCE_NAMES, LOCAL_CREDENTIALS, LOCAL_REGION } from '../dev/local-aws.js';
import { processIsGone, processStartOf } from '../process-liveness.js';
import {
  DEFAULT_STATE_DIR,
  noSnapshotNote,
  readLocalRunEndpoints,
  runningLocalRun,
  stateLayout,
  stateUseProblem,
  type StateLayout,
} from '../state-dir.js';
import { localRunDealer, localRunWayke, noWaykeUrls, type WaykeConnection } from '../local-run-target.js';

export const help = `Usage: wayke-dms import <file> --dealer <id> [options]

Reads the feed, compares it with what Wayke holds for the dealer (the snapshot in --state),
and sends Wayke only the changes: new ads, one PATCH per changed ad with only the changed
fields, new images only, status changes for ads that left or came back.

Options:
  --dealer <id>           the dealer (required)
  --state <dir>           where the snapshot lives (embedded store; default ./.wayke-dms)
  --mapping <file>        the dealer's mapping profile (JSON)
  --config <file>         dealer config (dealers.json): branch, market, removal status and
                          limits, mapping profile of --dealer (default: the dealer as the
                          local run in --state configured it, if one did)
  --market SE|NO|FI       the dealer's Wayke market, without --config (default ${DEFAULT_MARKET}):
                          the market code of new ads and the odometer unit (mil for SE, km
                          for NO and FI)
  --json                  print exactly one JSON object (the run summary)
  --allow-mass-removal    let removals through the safety valve this once
  --concurrency <n>       vehicles applied at once (default 4)
  -h, --help              show this help

Environment: WAYKE_AUTH_URL, WAYKE_DEALER_API_URL, WAYKE_MEDIA_API_URL, WAYKE_CLIENT_ID,
WAYKE_CLIENT_SECRET, WAYKE_BRANCH_ID (the branch, unless --config names it). With none of the
URLs set and the local run (npm start) up in --state, import goes to its Wayke simulator as the
dealer's client there: no settings needed.

The safety valve: removing more than max(3, 25% of the dealer's live ads) in one run (or the
dealer's own limits from --config) is held back until --allow-mass-removal.

Exit status: 0 all applied and no row rejected; 1 done, but rows rejected or vehicles failed
(run again to retry them); 2 the feed rejected as a whole, nothing applied (also: bad
arguments or environment, and a run stopped because Wayke refused the credentials or its
token endpoint is not at WAYKE_AUTH_URL); 3 removals blocked by the safety valve. Also 1: --state holds the local run's
snapshot of its simulator and WAYKE_* names another Wayke (give it its own --state).`;

/** The local run's snapshot table: one name, so `plan`/`import` see what `dev` imported. */
export const SNAPSHOT_TABLE = DEFAULT_RESOURCE_NAMES.snapshotTable;

const WaykeEnvSchema = WaykeUrlsEnvSchema.extend({
  WAYKE_CLIENT_ID: z.string().min(1),
  WAYKE_CLIENT_SECRET: z.string().min(1),
  WAYKE_BRANCH_ID: z.uuid().optional(),
});

export interface EmbeddedDynamo {
  readonly client: DynamoDBClient;
  stop(): Promise<void>;
}

/**
 * Starts dynalite in this process on 127.0.0.1 (random port), persisted in LevelDB at `path`
 * (in memory without one), and makes sure the snapshot table exists.
 */
export async function startEmbeddedDynamo(path: string | null): Promise<EmbeddedDynamo> {
  const require = createRequire(import.meta.url);
  const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;
  if (path) {
    mkdirSync(path, { recursive: true });
    await assertNotLocked(path);
  }
  const server = dynalite({ ...(path ? { path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 2,
  });
  try {
    await ensureSnapshotTable(client, SNAPSHOT_TABLE);
  } catch (error) {
    client.destroy();
    server.closeAllConnections?.();
    await new Promise<void>((done) => server.close(() => done()));
    const message = (error as Error).message ?? '';
    if (
      /lock/i.test(message) ||
      /LEVEL_DATABASE_NOT_OPEN|LEVEL_LOCKED/.test(String((error as { code?: string }).code))
    ) {
      throw new UsageError(`the state directory ${path} is in use by another wayke-dms run`);
    }
    throw error;
  }
  return {
    client,
    async stop() {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/**
 * LevelDB allows one process per directory, and dynalite turns a refused open into an uncaught
 * exception. Open it briefly first, with dynalite's own `level`, to say so in words.
 */
async function assertNotLocked(path: string): Promise<void> {
  const require = createRequire(import.meta.url);
  const levelRequire = createRequire(require.resolve('dynalite'));
  const { Level } = levelRequire('level') as {
    Level: new (location: string) => { open(): Promise<void>; close(): Promise<void> };
  };
  const db = new Level(path);
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED' || /lock/i.test(String((cause as Error | undefined)?.message))) {
      throw new UsageError(
        `the state directory ${path} is in use by another wayke-dms process (a local run that is starting or stopping, or another import); wait for it or stop it`,
      );
    }
    throw error;
  }
  await db.close();
}

export { processIsGone };

/**
 * The snapshot table of the state directory, in the one layout `dev` uses too: the running local
 * run's DynamoDB when it is up (its `endpoints.json` answers), else the directory's `dynamodb/`
 * opened here. `plan` writes nothing: without a state yet it plans against an empty in-memory store.
 */
export async function openSnapshotTable(mode: 'plan' | 'import', layout: StateLayout): Promise<EmbeddedDynamo> {
  const endpoints = await runningLocalRun(layout);
  if (endpoints) {
    const client = new DynamoDBClient({
      endpoint: endpoints.services.dynamodb,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 2,
    });
    return { client, stop: async () => client.destroy() };
  }
  // Before one layout was shared, `plan`/`import` kept their own store in cli-snapshots/.
  if (existsSync(layout.legacyCliSnapshots)) {
    if (existsSync(layout.dynamodb)) {
      process.stderr.write(
        `note: ${layout.legacyCliSnapshots} is from an older version and is not used; the snapshot is in ${layout.dynamodb}\n`,
      );
    } else {
      renameSync(layout.legacyCliSnapshots, layout.dynamodb);
    }
  }
  const persist = mode === 'import' || existsSync(layout.dynamodb);
  if (!persist) process.stderr.write(`wayke-dms plan: ${noSnapshotNote(layout)}\n`);
  return startEmbeddedDynamo(persist ? layout.dynamodb : null);
}

/** Why the state directory is not the one meant (a missing --state, a mistyped --dealer), or null. */
function stateUseProblemOf(mode: 'plan' | 'import', options: Options): string | null {
  return stateUseProblem({
    mode,
    layout: stateLayout(options.state),
    named: options.named.state,
    dealerId: options.dealer.id,
    config: options.named.config,
  });
}

interface Options {
  readonly file: string;
  readonly dealer: ImportDealerConfig;
  readonly state: string;
  /** Whether `--state` and `--config` were given (see {@link stateUseProblem}). */
  readonly named: { readonly state: boolean; readonly config: boolean };
  readonly json: boolean;
  readonly allowMassRemoval: boolean;
  readonly concurrency: number;
}

function parseCommandLine(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        dealer: { type: 'string' },
        state: { type: 'string' },
        mapping: { type: 'string' },
        config: { type: 'string' },
        market: { type: 'string' },
        json: { type: 'boolean', default: false },
        'allow-mass-removal': { type: 'boolean', default: false },
        concurrency: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function concurrencyOption(value: string | undefined): number {
  const concurrency = value === undefined ? 4 : Number(value);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new UsageError('--concurrency must be a whole number from 1 to 64');
  return concurrency;
}

/** The dealer's entry in the `--config` file, when one is given. */
function dealerFromConfig(configPath: string | undefined, dealerId: string): ImportDealerConfig | undefined {
  if (!configPath) return undefined;
  const fromConfig = loadDealerConfig(configPath).dealers.find((d) => d.id === dealerId);
  if (!fromConfig) throw new UsageError(`dealer "${dealerId}" is not in ${configPath}`);
  return fromConfig;
}

/**
 * The market of `--market`, which only stands in for a config: with `--config` the dealer's entry
 * says it (two sources could disagree, and the config is what the deployed system uses).
 */
function marketOption(value: string | undefined, configPath: string | undefined): Market | undefined {
  if (value === undefined) return undefined;
  if (configPath) throw new UsageError('--market is for runs without --config; the dealer config names the market');
  if (!(MARKETS as readonly string[]).includes(value))
    throw new UsageError(`--market must be one of ${MARKETS.join(', ')}`);
  return value as Market;
}

/** The dealer's branch: its config's, else WAYKE_BRANCH_ID; `plan` calls no one and needs none. */
function branchOf(mode: 'plan' | 'import', fromConfig: ImportDealerConfig | undefined, env: NodeJS.ProcessEnv): string {
  const branchId =
    fromConfig?.branchId ??
    env.WAYKE_BRANCH_ID ??
    (mode === 'plan' ? '00000000-0000-0000-0000-000000000000' : undefined);
  if (branchId) return branchId;
  // No Wayke named at all: `connect` decides, after the state check (a mistyped --dealer), and
  // the local run's dealer brings its branch.
  if (noWaykeUrls(env)) return '';
  throw new UsageError("WAYKE_BRANCH_ID is not set (or pass --config with the dealer's branchId)");
}

/** The dealer as the command line, the `--config` file and WAYKE_BRANCH_ID describe it, in that order. */
function dealerOf(
  mode: 'plan' | 'import',
  dealerId: string,
  values: { config?: string; mapping?: string; market?: string },
  env: NodeJS.ProcessEnv,
  layout: StateLayout,
): ImportDealerConfig {
  const market = marketOption(values.market, values.config);
  // Without --config, the dealer as the local run of the state directory configured it (if it did).
  const fromConfig = values.config ? dealerFromConfig(values.config, dealerId) : localRunDealer(layout, dealerId);
  const mapping = values.mapping ? loadMappingOption(values.mapping) : fromConfig?.mappingProfile;
  return {
    id: dealerId,
    branchId: branchOf(mode, fromConfig, env),
    market: market ?? fromConfig?.market ?? DEFAULT_MARKET,
    feed: fromConfig?.feed ?? DEFAULT_FEED_SETTINGS,
    ...(mapping ? { mappingProfile: mapping } : {}),
  };
}

function parseOptions(mode: 'plan' | 'import', args: string[], env: NodeJS.ProcessEnv): Options {
  const { values, positionals } = parseCommandLine(args);
  if (positionals.length !== 1) throw new UsageError(`expected exactly one feed file, got ${positionals.length}`);
  const dealerId = values.dealer;
  if (!dealerId || !DEALER_ID_PATTERN.test(dealerId))
    throw new UsageError(`--dealer <id> is required (${DEALER_ID_RULE})`);
  const concurrency = concurrencyOption(values.concurrency);
  const state = resolve(values.state ?? DEFAULT_STATE_DIR);
  return {
    file: positionals[0] as string,
    dealer: dealerOf(mode, dealerId, values, env, stateLayout(state)),
    state,
    named: { state: values.state !== undefined, config: values.config !== undefined },
    json: values.json === true,
    allowMassRemoval: values['allow-mass-removal'] === true,
    concurrency,
  };
}

/** The `plan --json` object. */
export function planJson(dealer: string, summaryOf: ImportSummary, plan: ImportPlan | undefined) {
  return {
    dealer,
    feed: summaryOf.feed,
    create: plan?.create.map((s) => s.registrationNumber) ?? [],
    update:
      plan?.update.map((s) => ({
        registrationNumber: s.registrationNumber,
        fields: [...s.fields, ...(s.media ? ['media'] : [])],
      })) ?? [],
    remove: plan?.remove.map((s) => s.registrationNumber) ?? [],
    republish: plan?.republish.map((s) => s.registrationNumber) ?? [],
    unchanged: plan?.unchanged ?? 0,
    rejected: summaryOf.rejected,
    blocked: summaryOf.blocked,
    ...(summaryOf.market ? { market: summaryOf.market } : {}),
    ...(summaryOf.mileageUnit ? { mileageUnit: summaryOf.mileageUnit } : {}),
  };
}

/** The `import --json` object: the run summary, exactly. */
export function importJson(s: ImportSummary) {
  return {
    dealer: s.dealer,
    feed: s.feed,
    created: s.created,
    updated: s.updated,
    removed: s.removed,
    republished: s.republished,
    unchanged: s.unchanged,
    failed: s.failed,
    rejected: s.rejected,
    blocked: s.blocked,
    ...(s.market ? { market: s.market } : {}),
    ...(s.mileageUnit ? { mileageUnit: s.mileageUnit } : {}),
    ...(s.heldInWayke ? { heldInWayke: s.heldInWayke } : {}),
    ...(s.drift ? { drift: s.drift } : {}),
    ...(s.stopped ? { stopped: s.stopped } : {}),
  };
}

function feedLine(s: ImportSummary): string {
  if (s.feed.error)
    return `The feed was rejected as a whole (${s.feed.error.code}): ${s.feed.error.message}\nNothing was changed.`;
  const read = `Feed: ${countOf(s.feed.vehicles, 'vehicle')} (${s.feed.format ?? '?'}${s.feed.encoding ? `, ${s.feed.encoding}` : ''}), ${countOf(s.feed.rejected, 'row')} rejected`;
  return s.mileageUnit && s.market ? `${read}; market ${s.market}, mileage in ${s.mileageUnit}` : read;
}

function tail(s: ImportSummary): string[] {
  const lines: string[] = [];
  if (s.stopped)
    lines.push(
      `STOPPED: ${s.stopped.reason}`,
      `${countOf(s.stopped.vehicles, 'vehicle')} ${s.stopped.vehicles === 1 ? 'was' : 'were'} not changed; fix it and run again.`,
    );
  if (s.blocked) lines.push(`BLOCKED: ${s.blocked.reason}. Run again with --allow-mass-removal if that is intended.`);
  if (s.failed.length)
    lines.push(
      'Failed (run again to retry):',
      ...s.failed.map((f) => `  ${f.registrationNumber} (${f.action}): ${f.error}`),
    );
  if (s.heldInWayke?.length)
    lines.push(
      "Left alone (Wayke's online sale holds them):",
      ...s.heldInWayke.map((h) => `  ${h.registrationNumber}: ${h.reason}`),
    );
  if (s.drift?.length)
    lines.push('Changed by hand in Wayke:', ...s.drift.map((d) => `  ${d.registrationNumber}: ${d.fields.join(', ')}`));
  if (s.rejected.length)
    lines.push(
      'Rejected rows:',
      ...s.rejected.map(
        (r) =>
          `  row ${r.row}${r.registrationNumber ? ` (${r.registrationNumber})` : ''}: ${r.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
      ),
    );
  return lines;
}

function planText(dealer: string, s: ImportSummary, plan: ImportPlan | undefined): string {
  const lines = [`Plan for ${dealer}`, feedLine(s)];
  if (plan) {
    lines.push(
      `create ${plan.create.length} · update ${plan.update.length} · remove ${plan.remove.length} · republish ${plan.republish.length} · unchanged ${plan.unchanged}`,
    );
    const list = (label: string, items: string[]) =>
      items.length &&
      lines.push(
        `${label}: ${items.slice(0, 50).join(', ')}${items.length > 50 ? `, … (${items.length - 50} more)` : ''}`,
      );
    list(
      'create',
      plan.create.map((x) => x.registrationNumber),
    );
    list(
      'update',
      plan.update.map((x) => `${x.registrationNumber} (${[...x.fields, ...(x.media ? ['media'] : [])].join(', ')})`),
    );
    list(
      'remove',
      plan.remove.map((x) => x.registrationNumber),
    );
    list(
      'republish',
      plan.republish.map((x) => x.registrationNumber),
    );
  }
  return [...lines, ...tail(s)].join('\n');
}

function importText(s: ImportSummary): string {
  const lines = [`Import for ${s.dealer}`, feedLine(s)];
  if (!s.feed.error)
    lines.push(
      `created ${s.created} · updated ${s.updated} · removed ${s.removed} · republished ${s.republished} · unchanged ${s.unchanged} · failed ${s.failed.length}`,
    );
  return [...lines, ...tail(s)].join('\n');
}

type WaykeEnv = z.infer<typeof WaykeEnvSchema>;

/** What a run needs before it touches state: the options, the Wayke settings (import only) and the feed. */
function prepare(mode: 'plan' | 'import', args: string[], env: NodeJS.ProcessEnv) {
  const options = parseOptions(mode, args, env);
  const feed = feedFile(options.file);
  return { options, feed };
}

const noWaykeMessage = (layout: StateLayout): string =>
  `no Wayke to import into: set WAYKE_AUTH_URL, WAYKE_DEALER_API_URL, WAYKE_MEDIA_API_URL, WAYKE_CLIENT_ID, WAYKE_CLIENT_SECRET and WAYKE_BRANCH_ID, or start the local run (\`npm start\`) to import into its Wayke simulator (no local run is up in ${layout.root})`;

/** No usable Wayke settings (exit 2, like other bad settings; a state directory's problems exit 1). */
class WaykeSettingsError extends UsageError {}

/**
 * The Wayke `import` calls: the one in `WAYKE_*`, or — when no URL is set — the Wayke simulator of
 * the local run that is up in the state directory, as the dealer's client there. A state directory
 * holding a simulator's snapshot is refused for another Wayke: its ad ids mean nothing there, so the
 * run would patch ads that do not exist and miss the ones that do.
 */
async function waykeFor(options: Options, env: NodeJS.ProcessEnv): Promise<WaykeConnection> {
  const layout = stateLayout(options.state);
  const endpoints = readLocalRunEndpoints(layout);
  if (noWaykeUrls(env)) {
    const running = await runningLocalRun(layout);
    if (!running || !options.dealer.branchId) throw new WaykeSettingsError(noWaykeMessage(layout));
    const local = localRunWayke(layout, running, options.dealer.id);
    if ('problem' in local) throw new UsageError(local.problem);
    process.stderr.write(`wayke-dms import: into the Wayke simulator of the local run in ${layout.root}\n`);
    return local;
  }
  const parsed = waykeEnvOf(env);
  const simulated = endpoints?.services.waykeSimulated === true ? endpoints.services.wayke : undefined;
  if (simulated && `${simulated}/dealer` !== parsed.WAYKE_DEALER_API_URL.replace(/\/+$/, ''))
    throw new UsageError(
      `the state directory ${layout.root} holds the local run's snapshot of its Wayke simulator, not of ${parsed.WAYKE_DEALER_API_URL}; give this Wayke its own --state <dir>`,
    );
  return {
    ...waykeUrlsFromEnv(parsed),
    clientId: parsed.WAYKE_CLIENT_ID,
    clientSecret: parsed.WAYKE_CLIENT_SECRET,
  };
}

function waykeEnvOf(env: NodeJS.ProcessEnv): WaykeEnv {
  const parsed = WaykeEnvSchema.safeParse(env);
  if (!parsed.success)
    throw new WaykeSettingsError(
      `environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** The importer wired to the local snapshot table, the state directory's reports and (for import) Wayke. */
function makeCliImportDealer(
  options: Options,
  wayke: WaykeConnection | undefined,
  dynamo: EmbeddedDynamo,
  log: ReturnType<typeof createLogger>,
) {
  const processStart = processStartOf(process.pid);
  return makeImportDealer({
    snapshots: new DynamoSnapshotStore({ client: dynamo.client, tableName: SNAPSHOT_TABLE }),
    wayke: wayke
      ? createWaykeClient({
          ...wayke,
          log,
          maxConcurrency: options.concurrency,
          market: options.dealer.market ?? DEFAULT_MARKET,
        })
      : () => {
          throw new Error('plan never calls Wayke');
        },
    reports: new FileReportSink(stateLayout(options.state).reports),
    clock: { now: () => new Date() },
    log,
    concurrency: options.concurrency,
    lease: {
      host: hostname(),
      pid: process.pid,
      ...(processStart ? { processStart } : {}),
      canTakeOver: (holder: LeaseHolder) =>
        holder.host === hostname() &&
        typeof holder.pid === 'number' &&
        holder.pid !== process.pid &&
        processIsGone(holder.pid, holder.processStart),
    },
  });
}

/** Prints the outcome (stdout, or stderr for a skipped run) and returns the exit status. */
function printOutcome(mode: 'plan' | 'import', options: Options, outcome: ImportOutcome, aborted: boolean): number {
  if (outcome.status === 'skipped') {
    process.stderr.write(`wayke-dms ${mode}: ${outcome.message}\n`);
    if (options.json)
      process.stdout.write(
        `${JSON.stringify({ dealer: outcome.dealer, skipped: { reason: outcome.reason, message: outcome.message } })}\n`,
      );
    return 1;
  }
  process.stdout.write(`${outcomeText(mode, options, outcome)}\n`);
  if (aborted) return 130;
  return exitStatus(outcome.summary);
}

function outcomeText(
  mode: 'plan' | 'import',
  options: Options,
  outcome: Exclude<ImportOutcome, { status: 'skipped' }>,
): string {
  if (mode === 'plan')
    return options.json
      ? JSON.stringify(planJson(options.dealer.id, outcome.summary, outcome.plan))
      : planText(options.dealer.id, outcome.summary, outcome.plan);
  return options.json ? JSON.stringify(importJson(outcome.summary)) : importText(outcome.summary);
}

/** Ctrl-C once stops after the vehicles in flight; twice quits at once. */
function stopOnSigint(controller: AbortController): () => void {
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nStopping after the vehicles in flight (Ctrl-C again to quit at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  return () => process.off('SIGINT', onSignal);
}

/**
 * The Wayke (for `import`) and the snapshot table, or the exit status after saying why not: 2 for
 * missing settings, 1 for a state directory that is not the one meant.
 */
async function connect(
  mode: 'plan' | 'import',
  options: Options,
  env: NodeJS.ProcessEnv,
): Promise<{ wayke: WaykeConnection | undefined; dynamo: EmbeddedDynamo } | number> {
  try {
    const problem = stateUseProblemOf(mode, options);
    if (problem) throw new UsageError(problem);
    const wayke = mode === 'import' ? await waykeFor(options, env) : undefined;
    return { wayke, dynamo: await openSnapshotTable(mode, stateLayout(options.state)) };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`wayke-dms ${mode}: ${error.message}\n`);
    return error instanceof WaykeSettingsError ? 2 : 1;
  }
}

/** Shared by `plan` and `import`: returns the exit status. */
export async function runImportCommand(
  mode: 'plan' | 'import',
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const log = createLogger({
    serviceName: `wayke-dms-${mode}`,
    toStderr: true,
    level: (env.LOG_LEVEL?.toUpperCase() as 'INFO' | undefined) ?? 'WARN',
  });
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare(mode, args, env);
  } catch (error) {
    if (!(error instanceof UsageError) && (error as Error).name !== 'ConfigError') throw error;
    process.stderr.write(
      `wayke-dms ${mode}: ${(error as Error).message}\n\n${help.split('\n')[0]?.replace('import', mode)}\n`,
    );
    return 2;
  }
  const { options, feed } = prepared;
  const connected = await connect(mode, options, env);
  if (typeof connected === 'number') return connected;
  const { wayke, dynamo } = connected;

  const controller = new AbortController();
  const stopListening = stopOnSigint(controller);
  const progress = mode === 'import' && process.stderr.isTTY ? makeProgress() : undefined;
  try {
    const importDealer = makeCliImportDealer(options, wayke, dynamo, log);
    const outcome: ImportOutcome = await importDealer({
      dealer: options.dealer,
      trigger: 'cli',
      feed,
      allowMassRemoval: options.allowMassRemoval,
      dryRun: mode === 'plan',
      signal: controller.signal,
      ...(progress ? { onProgress: progress.update } : {}),
    });
    progress?.done();
    return printOutcome(mode, options, outcome, controller.signal.aborted);
  } finally {
    progress?.done();
    stopListening();
    await dynamo.stop();
  }
}

/** A single progress line on a terminal, redrawn at most every 100 ms. */
function makeProgress() {
  let last = 0;
  let shown = false;
  return {
    update: (done: number, total: number) => {
      const now = Date.now();
      if (done !== total && now - last < 100) return;
      last = now;
      shown = true;
      process.stderr.write(`\r\x1b[2Kapplying ${done}/${total} (${Math.floor((done / Math.max(1, total)) * 100)}%)`);
    },
    done: () => {
      if (shown) process.stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}

export function run(args: string[]): Promise<number> {
  return runImportCommand('import', args);
}
