import { randomUUID } from 'node:crypto';
import type { Dealer } from '../dealer-config.js';
import type { MappingProfile } from '../mapping-profile.js';
import type {
  Clock,
  DealerLease,
  FeedSource,
  LeaseHolder,
  Log,
  PendingFeed,
  RemovalApprovals,
  ReportSink,
  RunStateStore,
  Snapshots,
  WaykeApi,
} from '../../ports.js';
import { readFeed as defaultReadFeed, DEFAULT_MAX_FEED_BYTES } from '../feed/index.js';
import { acquireDealerLease, NO_LEASE, type HeldLease, type LeaseSettings } from './lease.js';
import type { ImportPlan } from './plan.js';
import { chooseFeed, readChosenFeed, type ChosenFeed, type FeedReader, type FeedReading } from './read.js';
import type { ImportReport, ImportSummary } from './report.js';
import { RunStop } from './run-stop.js';
import {
  appliedTally,
  applyRun,
  checkRun,
  makeReport,
  NOTHING_DONE,
  planRun,
  plannedTally,
  recordRunState,
  settleFeed,
  summarize,
  withCheckFailures,
  writeReport,
} from './run-steps.js';

/**
 * The import use case: for one dealer, lease → read (choose the feed, validate it) → plan against
 * the snapshot → apply to Wayke → record → report. One code path for the Lambda worker and the
 * CLI; it knows only ports (and the pure feed reader, injected so tests and wirings choose).
 */

/**
 * What the use case needs of a dealer (a resolved dealer config entry fits). `market` (absent:
 * the config's default) reaches the Wayke client through `deps.wayke(dealer)` and the report's unit.
 */
export type ImportDealerConfig = Pick<Dealer, 'id' | 'branchId' | 'feed'> & {
  /** Decides how Wayke holds mileage, which the hand-edit check compares in. */
  readonly market?: Dealer['market'];
  readonly mappingProfile?: MappingProfile;
  readonly source?: Dealer['source'];
};

export interface ImportDealerDeps {
  /**
   * Where feeds come from; a function picks per dealer (S3 inbound, or a DMS API pull). Optional
   * for callers that always pass the feed (the CLI).
   */
  readonly feeds?: FeedSource | ((dealer: ImportDealerConfig) => FeedSource);
  /** The snapshot table's roles the import uses (one store may play them all). */
  readonly snapshots: Snapshots & RunStateStore & DealerLease & RemovalApprovals;
  /** The Wayke client, or a function building one from the dealer's own credentials. */
  readonly wayke: WaykeApi | ((dealer: ImportDealerConfig) => WaykeApi | Promise<WaykeApi>);
  readonly reports?: ReportSink;
  readonly clock: Clock;
  readonly log: Log;
  /** The feed reader (default: `readFeed` of `core/feed`). */
  readonly readFeed?: FeedReader;
  /** Vehicles applied at once (default {@link DEFAULT_CONCURRENCY}). */
  readonly concurrency?: number;
  readonly maxFeedBytes?: number;
  readonly lease?: LeaseSettings;
  /** Entries buffered before they are written together (default {@link DEFAULT_SNAPSHOT_BATCH_SIZE}). */
  readonly snapshotBatchSize?: number;
}

/** Wayke's limit of requests at once per branch. */
export const DEFAULT_CONCURRENCY = 4;
/** DynamoDB's batch write size: fewer writes than that per batch wastes round trips. */
export const DEFAULT_SNAPSHOT_BATCH_SIZE = 25;

export interface ImportRequest {
  readonly dealer: ImportDealerConfig;
  readonly trigger: 'schedule' | 'upload' | 'manual' | 'cli';
  /** The feed to import, when the caller has it (the CLI's file); else the source's newest. */
  readonly feed?: PendingFeed;
  /** Lets the removals through the safety valve this once (CLI flag, manual work message). */
  readonly allowMassRemoval?: boolean;
  /** Plan only: no lease, no Wayke call, no write of any kind. */
  readonly dryRun?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
  /** Stops launching new vehicles (Ctrl-C); the run records what it finished. */
  readonly signal?: AbortSignal;
}

export type ImportOutcome =
  | {
      readonly status: 'skipped';
      readonly dealer: string;
      readonly reason: 'lease-held' | 'no-feed' | 'api-source';
      readonly message: string;
      readonly holder?: LeaseHolder | null;
    }
  | {
      readonly status: 'rejected' | 'planned' | 'applied';
      readonly dealer: string;
      readonly runId: string;
      readonly summary: ImportSummary;
      readonly report: ImportReport;
      /** Absent when the feed was rejected as a whole. */
      readonly plan?: ImportPlan;
      readonly adopted?: number;
      /** The run retried from the archived feed (hourly, no new file). */
      readonly retry: boolean;
      /** Runs of feeds that arrived while this one ran, made before the lease was released. */
      readonly followUps?: readonly ImportOutcome[];
    };

/** For callers that always pass the feed: there is nothing waiting and nothing to move. */
const NO_SOURCE: FeedSource = {
  next: async () => null,
  archived: async () => null,
  settle: async () => null,
};

/**
 * Follow-up runs one lease holder makes at most for feeds that arrived while it ran: each run
 * takes the newest and archives the older ones, so a second is only needed for an upload during
 * the first follow-up; the bound keeps a feed that is rewritten non-stop from holding the lease.
 */
const MAX_FOLLOW_UPS = 5;

const newRunId = (now: Date): string => `${now.toISOString().replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}`;

/** One run under the lease: the request, where its feed comes from, its id and the lease. */
interface LockedRun {
  readonly request: ImportRequest;
  readonly source: FeedSource;
  readonly runId: string;
  readonly lease: HeldLease;
}

/** The use case's settings with their defaults applied. */
interface Settings {
  readonly concurrency: number;
  readonly maxBytes: number;
  readonly batchSize: number;
  readonly readFeed: FeedReader;
}

function settingsOf(deps: ImportDealerDeps): Settings {
  return {
    concurrency: deps.concurrency ?? DEFAULT_CONCURRENCY,
    maxBytes: deps.maxFeedBytes ?? DEFAULT_MAX_FEED_BYTES,
    batchSize: deps.snapshotBatchSize ?? DEFAULT_SNAPSHOT_BATCH_SIZE,
    readFeed: deps.readFeed ?? defaultReadFeed,
  };
}

/** Builds the use case. */
export function makeImportDealer(deps: ImportDealerDeps) {
  const settings = settingsOf(deps);
  const run = (locked: LockedRun) => runLocked(deps, settings, locked);

  return async function importDealer(request: ImportRequest): Promise<ImportOutcome> {
    const { dealer } = request;
    // A dealer on the Vehicle API alone: files are left where they are, unread (and unmoved).
    if (dealer.source === 'api' && request.trigger !== 'cli') return apiSourceSkip(dealer.id);
    const runId = newRunId(deps.clock.now());
    const source = sourceFor(deps, request);
    const lease = await leaseFor(deps, request, runId);
    if (!lease.held) return leaseHeldSkip(deps.log, dealer.id, lease.holder);
    try {
      const outcome = await run({ request, source, runId, lease: lease.lease });
      if (request.dryRun || request.feed) return outcome;
      return withFollowUps(outcome, await followUp(deps, run, { request, source, lease: lease.lease }));
    } finally {
      await lease.lease.release();
    }
  };
}

export type ImportDealer = ReturnType<typeof makeImportDealer>;

function sourceFor(deps: ImportDealerDeps, request: ImportRequest): FeedSource {
  return typeof deps.feeds === 'function' ? deps.feeds(request.dealer) : (deps.feeds ?? NO_SOURCE);
}

async function leaseFor(deps: ImportDealerDeps, request: ImportRequest, runId: string) {
  if (request.dryRun) return { held: true as const, lease: NO_LEASE };
  return acquireDealerLease(
    { lease: deps.snapshots, log: deps.log, ...(deps.lease ? { settings: deps.lease } : {}) },
    request.dealer.id,
    runId,
  );
}

function apiSourceSkip(dealerId: string): ImportOutcome {
  return {
    status: 'skipped',
    dealer: dealerId,
    reason: 'api-source',
    message: `${dealerId} takes its stock through the Vehicle API (source: api); files are not imported`,
  };
}

function leaseHeldSkip(log: Log, dealerId: string, holder: LeaseHolder | null): ImportOutcome {
  const until = holder?.expiresAt.toISOString() ?? 'unknown';
  log.info('Another import of this dealer is running; skipping', { dealerId, holder: holder?.owner, until });
  return {
    status: 'skipped',
    dealer: dealerId,
    reason: 'lease-held',
    holder,
    message: `another import of ${dealerId} holds the lease until ${until}`,
  };
}

function withFollowUps(outcome: ImportOutcome, followUps: ImportOutcome[]): ImportOutcome {
  if (followUps.length === 0) return outcome;
  return outcome.status === 'skipped' ? followUps[followUps.length - 1]! : { ...outcome, followUps };
}

/**
 * Before the lease is released: imports the feeds uploaded while the run went on. Their own
 * triggers found the lease held; without this the newest file would wait for the hourly run.
 */
async function followUp(
  deps: ImportDealerDeps,
  run: (locked: LockedRun) => Promise<ImportOutcome>,
  held: Omit<LockedRun, 'runId'>,
): Promise<ImportOutcome[]> {
  const { request, source, lease } = held;
  const runs: ImportOutcome[] = [];
  while (runs.length < MAX_FOLLOW_UPS && source.waiting && !lease.lost() && !request.signal?.aborted) {
    if (!(await source.waiting(request.dealer.id))) break;
    deps.log.info('A feed arrived during the run; importing it before releasing the lease', {
      dealerId: request.dealer.id,
    });
    const outcome = await run({
      request: { ...request, trigger: 'upload', allowMassRemoval: false },
      source,
      runId: newRunId(deps.clock.now()),
      lease,
    });
    runs.push(outcome);
    if (outcome.status === 'skipped') break;
  }
  return runs;
}

/** Why the run must stop starting vehicles, or null. */
function stopReason(locked: LockedRun): string | null {
  if (locked.lease.lost()) return 'the dealer lease was lost';
  if (locked.request.signal?.aborted) return 'the run was interrupted';
  return null;
}

/** Read → plan → apply → record → report, under the lease. */
async function runLocked(deps: ImportDealerDeps, settings: Settings, locked: LockedRun): Promise<ImportOutcome> {
  const { request } = locked;
  const { dealer } = request;
  const chosen = await chooseFeed({
    dealerId: dealer.id,
    trigger: request.trigger,
    ...(request.feed ? { given: request.feed } : {}),
    source: locked.source,
    runState: deps.snapshots,
    log: deps.log,
  });
  if (!chosen) {
    return { status: 'skipped', dealer: dealer.id, reason: 'no-feed', message: `no new feed for ${dealer.id}` };
  }
  const reading = await readChosenFeed(chosen.feed, {
    readFeed: settings.readFeed,
    maxBytes: settings.maxBytes,
    now: deps.clock.now(),
    ...(dealer.mappingProfile ? { mappingProfile: dealer.mappingProfile } : {}),
  });
  if (reading.error) return rejectFeed(deps, locked, chosen, reading);
  const plan = await planRun({
    dealer,
    reading,
    snapshots: deps.snapshots,
    ...(request.dryRun ? {} : { approvals: deps.snapshots }),
    allowMassRemoval: request.allowMassRemoval === true,
    log: deps.log,
  });
  if (request.dryRun) return planned(deps, locked, chosen, reading, plan);
  return applyAndRecord(deps, settings, locked, chosen, reading, plan);
}

/** A feed refused as a whole: it goes to `rejected/`, the run changes nothing else. */
async function rejectFeed(
  deps: ImportDealerDeps,
  locked: LockedRun,
  chosen: ChosenFeed,
  reading: FeedReading,
): Promise<ImportOutcome> {
  const { request, runId } = locked;
  const dealerId = request.dealer.id;
  deps.log.warn('Feed rejected as a whole; nothing changed', {
    dealerId,
    file: chosen.feed.name,
    code: reading.error?.code,
  });
  const summary = summarize(request.dealer, reading, NOTHING_DONE);
  const movedTo = request.dryRun
    ? null
    : await settleFeed({
        dealerId,
        runId,
        chosen,
        outcome: 'rejected',
        source: locked.source,
        now: () => deps.clock.now(),
      });
  const report = reportOf(deps, locked, chosen, summary, movedTo);
  if (!request.dryRun) await writeReport(deps.reports, report, deps.log);
  return { status: 'rejected', dealer: dealerId, runId, summary, report, retry: chosen.retry };
}

/** A dry run's answer: what the plan would do; nothing written. */
function planned(
  deps: ImportDealerDeps,
  locked: LockedRun,
  chosen: ChosenFeed,
  reading: FeedReading,
  plan: ImportPlan,
): ImportOutcome {
  const dealerId = locked.request.dealer.id;
  const summary = summarize(locked.request.dealer, reading, plannedTally(plan));
  const report = reportOf(deps, locked, chosen, summary, null);
  return { status: 'planned', dealer: dealerId, runId: locked.runId, summary, report, plan, retry: chosen.retry };
}

async function applyAndRecord(
  deps: ImportDealerDeps,
  settings: Settings,
  locked: LockedRun,
  chosen: ChosenFeed,
  reading: FeedReading,
  plan: ImportPlan,
): Promise<ImportOutcome> {
  const { request, runId } = locked;
  const { dealer } = request;
  if (plan.blocked) logBlocked(deps.log, dealer.id, plan);
  const wayke = typeof deps.wayke === 'function' ? await deps.wayke(dealer) : deps.wayke;
  const stop = new RunStop();
  const checked = await checkRun({ dealer, plan, wayke, concurrency: settings.concurrency, log: deps.log, stop });
  const applied = await applyRun({
    dealer,
    plan: checked.plan,
    checkedEntries: checked.entries,
    wayke,
    snapshots: deps.snapshots,
    concurrency: settings.concurrency,
    batchSize: settings.batchSize,
    now: () => deps.clock.now(),
    log: deps.log,
    stopReason: () => stopReason(locked),
    stop,
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
  });
  const result = withCheckFailures(applied, checked);
  const movedTo = await settleFeed({
    dealerId: dealer.id,
    runId,
    chosen,
    outcome: 'archived',
    source: locked.source,
    now: () => deps.clock.now(),
  });
  const archiveKey = movedTo ?? (chosen.retry ? chosen.previous?.archiveKey : undefined);
  await recordRunState(deps.snapshots, { dealerId: dealer.id, runId, at: deps.clock.now(), archiveKey, result, plan });
  const summary = summarize(dealer, reading, appliedTally(plan, result, checked, stop));
  const report = reportOf(deps, locked, chosen, summary, movedTo);
  await writeReport(deps.reports, report, deps.log);
  if (summary.stopped) logStopped(deps.log, dealer.id, summary.stopped);
  logDone(deps.log, dealer.id, runId, summary, result.adopted);
  return {
    status: 'applied',
    dealer: dealer.id,
    runId,
    summary,
    report,
    plan,
    adopted: result.adopted,
    retry: chosen.retry,
  };
}

function reportOf(
  deps: ImportDealerDeps,
  locked: LockedRun,
  chosen: ChosenFeed,
  summary: ImportSummary,
  movedTo: string | null,
): ImportReport {
  return makeReport({
    summary,
    runId: locked.runId,
    at: deps.clock.now(),
    trigger: locked.request.trigger,
    feed: chosen.feed,
    movedTo,
    retry: chosen.retry,
  });
}

function logBlocked(log: Log, dealerId: string, plan: ImportPlan): void {
  log.warn('Removals blocked by the safety valve', {
    dealerId,
    wouldRemove: plan.blocked?.wouldRemove,
    limit: plan.blocked?.limit,
    liveAds: plan.liveAds,
  });
}

function logStopped(log: Log, dealerId: string, stopped: NonNullable<ImportSummary['stopped']>): void {
  log.error('Import stopped: no vehicle can get past this until it is fixed', {
    dealerId,
    reason: stopped.reason,
    vehicles: stopped.vehicles,
  });
}

function logDone(log: Log, dealerId: string, runId: string, summary: ImportSummary, adopted: number): void {
  log.info('Import done', {
    dealerId,
    runId,
    created: summary.created,
    updated: summary.updated,
    removed: summary.removed,
    republished: summary.republished,
    unchanged: summary.unchanged,
    failed: summary.failed.length,
    adopted,
    blocked: Boolean(summary.blocked),
  });
}
