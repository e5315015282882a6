/**
 * The whole system on one machine, composed of parts that each start and stop on their own:
 * the state directory's lock, the HTTP API, the engines (`parts/engines.ts`), the Wayke simulator
 * (or the real Wayke), the handlers (`parts/handlers.ts`), the seeding of sample feeds, the event
 * bridge (`parts/event-bridge.ts`), the pollers (`parts/pollers.ts`), the SFTP server and the DLQ
 * watch; the console listens through {@link DevStackListener}. `startDevStack` returns once every
 * part is up and `/health` answers 200; when a part cannot start, the parts already started stop
 * in reverse order (so a busy port never leaves engines listening); `stop()` ends them the same way.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadDealerConfig } from '../../adapters/dealer-config-file.js';
import type { ResolvedDealer, ResolvedDealerConfig } from '../../core/dealer-config.js';
import type { ImportReport } from '../../core/import/report.js';
import type { Log } from '../../ports.js';
import { stateLayout, type StateLayout } from '../state-dir.js';
import { startWaykeSimulator, type WaykeSimulator } from '../wayke-simulator/index.js';
import { startLocalHttpApi, type HttpRoute, type LocalHttpApi } from './api-gateway.js';
import type { DemoDms } from './demo-dms.js';
import type { LocalResources } from './engines.js';
import { connectEngines, resetSnapshotTable, startEngines, type Engines } from './parts/engines.js';
import { lockDataDir } from './parts/data-lock.js';
import { startDlqWatch } from './parts/dlq-watch.js';
import { startEventBridge, type EventBridge } from './parts/event-bridge.js';
import { divertHandlerLogs, lambdaEnvironment, loadHandlers, type WaykeUrls } from './parts/handlers.js';
import type { DevStackListener } from './parts/listener.js';
import { startPollers, type Pollers } from './parts/pollers.js';
import { exampleFeedFor, seedFeeds } from './parts/seeding.js';
import { freeGoneLeasesOfLocalRun } from './parts/gone-leases.js';
import { PARTS } from './parts/services.js';
import { restoreQueues, saveQueues } from './queue-store.js';
import { loadOrCreateSecrets, type LoadedSecrets } from './secrets.js';
import { startLocalSftpServer, type LocalSftpServer } from './sftp-server.js';
import { startPart, type Stoppable } from './start-failure.js';

export type { DevStackListener } from './parts/listener.js';
export { EXAMPLE_FEEDS_DIR } from './parts/seeding.js';
export { HOURLY_MS } from './parts/event-bridge.js';
export { PARTS, SECRET_PREFIX } from './parts/services.js';

export interface DevStackOptions {
  /** Dealer config (default `config/dealers.example.json`). */
  readonly configPath: string;
  /** All local state (default `./.wayke-dms`). */
  readonly dataDir: string;
  /** Webhook endpoint / health port (3000; 0 = any free port). */
  readonly port: number;
  /** SFTP port (2222), or null for `--no-sftp`. */
  readonly sftpPort: number | null;
  /** Wayke simulator port (4010); ignored when `wayke` is given. */
  readonly simulatorPort: number;
  /** Demo DMS port (4020). */
  readonly dmsPort: number;
  /** The real Wayke (from `WAYKE_*`), else the simulator runs. */
  readonly wayke?: { authUrl: string; dealerApiUrl: string; mediaApiUrl: string };
  /** Seed `examples/feeds/<dealerId>.*` into empty dealers (simulator only). */
  readonly seedExamples: boolean;
  /** Run the hourly schedule (off for `--once`). */
  readonly schedule: boolean;
  readonly cwd: string;
  /** Handler log level (`LOG_LEVEL`), default WARN so the console stays readable. */
  readonly handlerLogLevel?: string;
  /** Where the stack's own diagnostics go (stderr JSON logger). */
  readonly log: Log;
  /** Console events for the user-facing output. */
  readonly events?: DevStackListener;
  /** Delays after each failed DMS delivery, seconds (`--dms-retry-schedule`); default the stack's. */
  readonly dmsRetrySchedule?: readonly number[];
}

export interface DevStackDealer {
  readonly id: string;
  readonly name: string;
  readonly branchId: string;
  /** The example feed seeded for it, if any. */
  readonly exampleFeed: string | null;
  /** `demo DMS <url>`, `webhook <url>` or `outbox`. */
  readonly delivery:
    | { kind: 'demo'; url: string }
    | { kind: 'webhook'; url: string }
    | { kind: 'outbox' }
    | { kind: 'none' };
}

export interface DevStack {
  readonly dataDir: string;
  readonly configPath: string;
  readonly secrets: LoadedSecrets;
  readonly dealers: readonly DevStackDealer[];
  readonly resources: LocalResources;
  readonly urls: {
    readonly api: string;
    readonly health: string;
    readonly s3: string;
    readonly dynamodb: string;
    readonly sqs: string;
    readonly secretsManager: string;
    readonly sftp: string | null;
    readonly wayke: string;
    readonly waykeSimulated: boolean;
    readonly demoDms: string;
  };
  readonly sftpPort: number | null;
  readonly sftpFingerprint: string | null;
  /** Dealers whose example feed was put in `inbound/` at this start. */
  readonly seeded: readonly string[];
  /** Messages saved in the queues at the last stop and sent again at this start. */
  readonly restoredMessages: number;
  /**
   * True when the stack reset the snapshot table: it existed, but the simulator had no state to
   * continue from (no or an unreadable `<data>/wayke-simulator.json`, e.g. a data dir from an
   * older version), so each dealer's last archived feed is imported again.
   */
  readonly snapshotReset: boolean;
  /** The simulator's state file, and whether this start continued from it (null with the real Wayke). */
  readonly simulatorState: { readonly file: string; readonly restored: boolean; readonly ads: number } | null;
  readonly simulator: WaykeSimulator | null;
  readonly demoDms: DemoDms;
  readonly startedAt: Date;
  /** Invokes the import scheduler with a scheduled event (what the hourly rule does). */
  runSchedule(): Promise<void>;
  /** Resolves with the reports written since `since`, once every dealer has one, `timeoutMs` passed or the stack stops. */
  waitForReports(since: Date, timeoutMs: number): Promise<Map<string, ImportReport>>;
  /** Resolves once work and events queues are empty and idle. */
  drained(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** The config the handlers get: dealers without a `dms` target deliver to the demo DMS. */
export function resolveForLocalRun(
  config: ResolvedDealerConfig,
  demoDmsUrl: (dealerId: string) => string,
): ResolvedDealerConfig {
  return {
    dealers: config.dealers.map(
      (dealer): ResolvedDealer =>
        dealer.dms ? dealer : { ...dealer, dms: { type: 'webhook', url: demoDmsUrl(dealer.id) } },
    ),
  };
}

/** Stops what started, last first; a part that fails to stop does not keep the others running. */
async function stopInReverse(started: Stoppable[]): Promise<void> {
  for (const part of started.splice(0).reverse()) await part.stop().catch(() => undefined);
}

/** Starts everything; throws (after stopping what started) when a part cannot start. */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const started: Stoppable[] = [];
  try {
    return await composeStack(options, started);
  } catch (error) {
    await stopInReverse(started);
    throw error;
  }
}

/** What the parts share while the stack starts. */
interface StartContext {
  readonly options: DevStackOptions;
  readonly started: Stoppable[];
  readonly layout: StateLayout;
  readonly config: ResolvedDealerConfig;
  readonly secrets: LoadedSecrets;
  readonly listener: DevStackListener;
}

function startSimulator(context: StartContext, apiUrl: string): Promise<WaykeSimulator> {
  const { config, secrets, options } = context;
  const secretOf = (dealerId: string) => secrets.secrets[dealerId]!;
  return startPart(context.started, PARTS.wayke, () =>
    startWaykeSimulator({
      port: options.simulatorPort,
      stateFile: context.layout.simulator,
      log: options.log,
      clients: config.dealers.map((dealer) => ({
        clientId: secretOf(dealer.id).waykeClientId,
        clientSecret: secretOf(dealer.id).waykeClientSecret,
        branchIds: [dealer.branchId],
      })),
      branchMarkets: Object.fromEntries(config.dealers.map((dealer) => [dealer.branchId, dealer.market])),
      webhook: config.dealers.map((dealer) => ({
        branchId: dealer.branchId,
        url: `${apiUrl}/webhooks/wayke/${dealer.id}`,
        headers: { authorization: `Bearer ${secretOf(dealer.id).webhookSecret}` },
      })),
    }),
  );
}

function startSftp(
  context: StartContext,
  engines: { s3: import('@aws-sdk/client-s3').S3Client; bucket: string },
  port: number,
): Promise<LocalSftpServer> {
  const { config, secrets, options } = context;
  return startPart(context.started, PARTS.sftp, () =>
    startLocalSftpServer({
      s3: engines.s3,
      bucket: engines.bucket,
      hostKeyPath: context.layout.hostKey,
      port,
      log: options.log,
      users: () =>
        config.dealers.map((dealer) => {
          const password = secrets.secrets[dealer.id]?.sftpPassword;
          return { dealerId: dealer.id, ...(password ? { password } : {}), publicKeys: dealer.sftp?.publicKeys ?? [] };
        }),
      onUpload: (upload) => context.listener.upload?.(upload),
    }),
  );
}

/**
 * Messages left in the queues at the last stop go back in before the pollers start; at stop,
 * after the pollers and the event bridge, whatever is still waiting is saved again.
 */
async function persistQueues(
  context: StartContext,
  sqs: import('@aws-sdk/client-sqs').SQSClient,
  resources: LocalResources,
): Promise<number> {
  const queues = {
    work: resources.workQueueUrl,
    events: resources.eventsQueueUrl,
    workDlq: resources.workDlqUrl,
    eventsDlq: resources.eventsDlqUrl,
    vehicles: resources.vehicleQueueUrl,
    vehiclesDlq: resources.vehicleDlqUrl,
  };
  const restored = await restoreQueues(sqs, queues, context.layout.queues);
  context.started.push({
    stop: async () => {
      const kept = await saveQueues(sqs, queues, context.layout.queues);
      if (kept > 0) context.options.log.info('queued messages kept for the next start', { count: kept });
    },
  });
  return restored;
}

function dealerList(config: ResolvedDealerConfig, demoDms: DemoDms): DevStackDealer[] {
  return config.dealers.map((dealer) => {
    const delivery: DevStackDealer['delivery'] = !dealer.dms
      ? { kind: 'demo', url: demoDms.urlFor(dealer.id) }
      : dealer.dms.type === 'outbox'
        ? { kind: 'outbox' }
        : { kind: 'webhook', url: dealer.dms.url };
    return {
      id: dealer.id,
      name: dealer.name,
      branchId: dealer.branchId,
      exampleFeed: exampleFeedFor(dealer.id),
      delivery,
    };
  });
}

interface Running {
  readonly api: LocalHttpApi;
  readonly engines: Engines;
  readonly resources: LocalResources;
  readonly simulator: WaykeSimulator | null;
  readonly wayke: WaykeUrls;
  readonly sftp: LocalSftpServer | null;
}

function urlsOf(running: Running): DevStack['urls'] {
  const { api, engines, simulator, sftp } = running;
  return {
    api: api.url,
    health: `${api.url}/health`,
    s3: engines.s3Engine.url,
    dynamodb: engines.dynamoEngine.url,
    sqs: engines.sqsEngine.url,
    secretsManager: engines.secretsEndpoint.url,
    sftp: sftp ? sftp.url : null,
    wayke: simulator ? simulator.url : running.wayke.dealerApiUrl,
    waykeSimulated: simulator !== null,
    demoDms: engines.demoDms.url,
  };
}

/** `/health` and `<data>/endpoints.json`: every address, for scripts and for the CLI. */
function publishEndpoints(
  context: StartContext,
  running: Running,
  dealers: readonly DevStackDealer[],
): DevStack['urls'] {
  const urls = urlsOf(running);
  const { api, resources, simulator, sftp, engines } = running;
  const details = {
    services: urls,
    ports: { api: api.port, sftp: sftp?.port ?? null, wayke: simulator?.port ?? null, demoDms: engines.demoDms.port },
    dataDir: context.layout.root,
    bucket: resources.bucket,
    queues: {
      work: resources.workQueueUrl,
      workDlq: resources.workDlqUrl,
      events: resources.eventsQueueUrl,
      eventsDlq: resources.eventsDlqUrl,
      vehicles: resources.vehicleQueueUrl,
      vehiclesDlq: resources.vehicleDlqUrl,
    },
    dealers: dealers.map((dealer) => dealer.id),
  };
  writeFileSync(context.layout.endpoints, `${JSON.stringify(details, null, 2)}\n`);
  api.setHealthy(details);
  return urls;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Lifecycle {
  readonly api: LocalHttpApi;
  readonly bridge: EventBridge;
  readonly pollers: Pollers;
  readonly dealerIds: readonly string[];
  readonly started: Stoppable[];
}

/** `waitForReports`, `drained` and `stop` of a started stack. */
function lifecycleOf(parts: Lifecycle): Pick<DevStack, 'waitForReports' | 'drained' | 'stop' | 'runSchedule'> {
  // Set by stop(): a running waitForReports returns then, as the engines it polls are about to go.
  let stopping = false;
  const drained = async (timeoutMs: number) => {
    await parts.bridge.settled();
    return parts.pollers.drained(timeoutMs);
  };
  // The engines go away during stop(): a probe that loses that race means "stopping", not an error.
  const idle = () =>
    drained(1).catch((error: unknown) => {
      if (stopping) return false;
      throw error;
    });
  const fresh = (since: Date) =>
    new Map([...parts.bridge.reports.latest].filter(([, report]) => new Date(report.at) >= since));
  return {
    runSchedule: () => parts.bridge.runSchedule(),
    drained,
    async waitForReports(since, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && !stopping) {
        const current = fresh(since);
        if (parts.dealerIds.every((dealerId) => current.has(dealerId))) return current;
        // Nothing left to do and nothing running: the dealers without a report will not get one.
        if (await idle()) {
          await sleep(300);
          if (stopping) break;
          if (await idle()) return fresh(since);
        }
        await parts.bridge.reports.next(250);
      }
      return fresh(since);
    },
    async stop() {
      stopping = true;
      parts.bridge.reports.wakeAll();
      parts.api.setUnhealthy('stopping');
      // Let running imports and deliveries finish (bounded); what still waits is saved.
      await drained(10_000).catch(() => false);
      await stopInReverse(parts.started);
    },
  };
}

/** True when the snapshot was reset because the simulator started empty over an existing one. */
async function resetOrphanedSnapshot(
  simulator: WaykeSimulator | null,
  hadState: boolean,
  reset: () => Promise<boolean>,
): Promise<boolean> {
  return simulator !== null && hadState && !simulator.restored && (await reset());
}

/** WARN keeps the console readable; `--verbose` (or LOG_LEVEL) says more. */
const handlerLogLevel = (options: DevStackOptions) => options.handlerLogLevel ?? process.env.LOG_LEVEL ?? 'WARN';

function simulatorFacts(
  simulator: WaykeSimulator | null,
  layout: StateLayout,
): Pick<DevStack, 'simulator' | 'simulatorState'> {
  return {
    simulator,
    simulatorState: simulator
      ? { file: layout.simulator, restored: simulator.restored, ads: Object.keys(simulator.state().ads).length }
      : null,
  };
}

/** Starts the parts in order, each registered on `started` once up. */
async function composeStack(options: DevStackOptions, started: Stoppable[]): Promise<DevStack> {
  const startedAt = new Date();
  const layout = stateLayout(options.dataDir, options.cwd);
  mkdirSync(layout.root, { recursive: true });
  started.push(lockDataDir(layout.root));
  // The API first, so /health answers 503 while the rest starts.
  const routes: HttpRoute[] = [];
  const api = await startPart(started, PARTS.api, () =>
    startLocalHttpApi({ routes, port: options.port, log: options.log }),
  );
  const config = loadDealerConfig(options.configPath, options.cwd);
  const secrets = loadOrCreateSecrets(
    layout.secrets,
    config.dealers.map((dealer) => dealer.id),
  );
  const context: StartContext = { options, started, layout, config, secrets, listener: options.events ?? {} };

  const hadState = existsSync(layout.dynamodb);
  const engines = await startEngines({ started, layout, secrets, dmsPort: options.dmsPort });
  const simulator = options.wayke ? null : await startSimulator(context, api.url);
  const wayke: WaykeUrls = options.wayke ?? simulator!;
  const { resources, s3, sqs } = await connectEngines(started, engines);
  // The simulator keeps its ads in <data>/wayke-simulator.json, so a restart continues where the
  // last run stopped; without that file an earlier snapshot would point at ads that do not exist.
  const snapshotReset = await resetOrphanedSnapshot(simulator, hadState, () => resetSnapshotTable(engines, resources));
  // An import killed with an earlier run would hold its dealer away from the start-up import.
  await freeGoneLeasesOfLocalRun(
    engines.dynamoEngine.url,
    resources.snapshotTable,
    config.dealers.map((dealer) => dealer.id),
    options.log,
  );

  const resolved = resolveForLocalRun(config, (dealerId) => engines.demoDms.urlFor(dealerId));
  writeFileSync(layout.dealers, `${JSON.stringify(resolved, null, 2)}\n`);
  started.push(divertHandlerLogs(layout.handlerLog, options.handlerLogLevel !== undefined));
  const handlers = await loadHandlers(
    lambdaEnvironment({
      engines,
      resources,
      dealersFile: layout.dealers,
      apiUrl: api.url,
      wayke,
      logLevel: handlerLogLevel(options),
      ...(options.dmsRetrySchedule ? { dmsRetrySchedule: options.dmsRetrySchedule } : {}),
    }),
    routes,
  );

  // Seeded before uploads are forwarded: the start-up schedule imports them.
  const dealerIds = config.dealers.map((dealer) => dealer.id);
  const examples = new Map(dealerIds.map((id) => [id, exampleFeedFor(id)]));
  // The real Wayke gets no sample feeds: they would publish ads there.
  const seeded =
    simulator && options.seedExamples
      ? await seedFeeds({ s3, bucket: resources.bucket, dealerIds, examples, snapshotReset })
      : [];
  const restoredMessages = await persistQueues(context, sqs, resources);
  const bridge = startEventBridge({
    s3Engine: engines.s3Engine,
    s3,
    bucket: resources.bucket,
    scheduler: handlers.scheduler,
    listener: context.listener,
    log: options.log,
    hourly: options.schedule,
  });
  started.push(bridge);
  const pollers = startPollers({
    sqs,
    resources,
    handlers,
    reports: bridge.reports,
    listener: context.listener,
    log: options.log,
  });
  started.push(pollers);
  engines.demoDms.onDelivery((delivery) => context.listener.delivery?.(delivery));
  const sftp =
    options.sftpPort === null ? null : await startSftp(context, { s3, bucket: resources.bucket }, options.sftpPort);
  started.push(
    startDlqWatch({
      sqs,
      sqsUrl: engines.sqsEngine.url,
      resources,
      listener: context.listener,
      dataDir: layout.root,
      cwd: options.cwd,
    }),
  );

  const dealers = dealerList(config, engines.demoDms);
  const running: Running = { api, engines, resources, simulator, wayke, sftp };
  const urls = publishEndpoints(context, running, dealers);
  return {
    ...simulatorFacts(simulator, layout),
    dataDir: layout.root,
    configPath: options.configPath,
    secrets,
    dealers,
    resources,
    urls,
    sftpPort: sftp?.port ?? null,
    sftpFingerprint: sftp?.hostKeyFingerprint ?? null,
    seeded,
    restoredMessages,
    snapshotReset,
    demoDms: engines.demoDms,
    startedAt,
    ...lifecycleOf({ api, bridge, pollers, dealerIds, started }),
  };
}
