import { randomUUID } from 'node:crypto';
import { RetryableError } from '../errors.js';
import type { Dealer } from '../dealer-config.js';
import type { MappingProfile } from '../mapping-profile.js';
import type { Vehicle } from '../vehicle.js';
import type {
  Clock,
  FeedSource,
  ImportRunState,
  LeaseHolder,
  Log,
  PendingFeed,
  ReportSink,
  SnapshotEntry,
  SnapshotStore,
  WaykeApi,
} from '../../ports.js';
import { feedSizeError, readFeed as defaultReadFeed, DEFAULT_MAX_FEED_BYTES } from '../feed/index.js';
import { applyPlan, type ApplyResult } from './apply.js';
import { FeedTooLargeError } from './errors.js';
import { planImport, type ImportPlan } from './plan.js';
import { reportText, type FeedSummary, type ImportReport, type ImportSummary, type RejectedRow } from './report.js';

/**
 * The import use case: for one dealer, read the newest feed → validate → load the snapshot →
 * plan → apply → record → report. One code path for the Lambda worker and the CLI; it knows only
 * ports (and the pure feed reader, injected so tests and wirings choose).
 */

/** The feed reader's contract (issue 3, `functions/core/feed`). */
export interface FeedReadResult {
  readonly format: 'csv' | 'xml' | 'json' | null;
  readonly encoding: string | null;
  readonly vehicles: ReadonlyArray<{ readonly row: number; readonly vehicle: Vehicle }>;
  readonly rejected: ReadonlyArray<{
    readonly row: number;
    readonly registrationNumber?: string;
    readonly errors: ReadonlyArray<{
      readonly field: string;
      readonly message: string;
      readonly code?: string;
      readonly messageSv?: string;
    }>;
  }>;
  readonly warnings: ReadonlyArray<{ readonly row: number; readonly field: string; readonly message: string }>;
  /** Plates unreadable rows may hold: never removed by the run (absent: none). */
  readonly inDoubt?: readonly string[];
  readonly error: { readonly code: string; readonly message: string } | null;
}
export type FeedReader = (
  bytes: Uint8Array,
  options: { name?: string; mapping?: MappingProfile; now: Date; maxBytes?: number },
) => FeedReadResult;

/** What the use case needs of a dealer (a resolved dealer config entry fits). */
export type ImportDealerConfig = Pick<Dealer, 'id' | 'branchId' | 'feed'> & {
  readonly mappingProfile?: MappingProfile;
  readonly source?: Dealer['source'];
};

export interface ImportDealerDeps {
  /**
   * Where feeds come from; a function picks per dealer (S3 inbound, or a DMS API pull). Optional
   * for callers that always pass the feed (the CLI).
   */
  readonly feeds?: FeedSource | ((dealer: ImportDealerConfig) => FeedSource);
  readonly snapshots: SnapshotStore;
  /** The Wayke client, or a function building one from the dealer's own credentials. */
  readonly wayke: WaykeApi | ((dealer: ImportDealerConfig) => WaykeApi | Promise<WaykeApi>);
  readonly reports?: ReportSink;
  readonly clock: Clock;
  readonly log: Log;
  /** The feed reader (default: `readFeed` of `core/feed`). */
  readonly readFeed?: FeedReader;
  /** Vehicles applied at once (default 4, Wayke's per-branch limit). */
  readonly concurrency?: number;
  readonly maxFeedBytes?: number;
  readonly lease?: {
    /** Lease lifetime; renewed every third of it while the run lasts. Default 60 s. */
    readonly ttlMs?: number;
    /** Identifies this process for a later takeover (the CLI passes host and pid). */
    readonly host?: string;
    readonly pid?: number;
    /** The process's start time as the platform reports it (guards a takeover against a reused pid). */
    readonly processStart?: string;
    /** Decides whether a holder may be taken over (the CLI: same host, process gone). */
    readonly canTakeOver?: (holder: LeaseHolder) => boolean;
  };
  /** Entries buffered before a BatchWrite (default 25, DynamoDB's batch size). */
  readonly snapshotBatchSize?: number;
}

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

/** Builds the use case. */
export function makeImportDealer(deps: ImportDealerDeps) {
  const concurrency = deps.concurrency ?? 4;
  const maxBytes = deps.maxFeedBytes ?? DEFAULT_MAX_FEED_BYTES;
  const ttlMs = deps.lease?.ttlMs ?? 60_000;
  const batchSize = deps.snapshotBatchSize ?? 25;
  const readFeedWith: FeedReader = deps.readFeed ?? defaultReadFeed;

  return async function importDealer(request: ImportRequest): Promise<ImportOutcome> {
    const { dealer } = request;
    // A dealer on the Vehicle API alone: files are left where they are, unread (and unmoved).
    if (dealer.source === 'api' && request.trigger !== 'cli') {
      return {
        status: 'skipped',
        dealer: dealer.id,
        reason: 'api-source',
        message: `${dealer.id} takes its stock through the Vehicle API (source: api); files are not imported`,
      };
    }
    const runId = newRunId(deps.clock.now());
    const log = deps.log;
    const source = typeof deps.feeds === 'function' ? deps.feeds(dealer) : (deps.feeds ?? NO_SOURCE);

    let leaseLost = false;
    let renewTimer: NodeJS.Timeout | undefined;
    if (!request.dryRun) {
      const holder = {
        owner: runId,
        ...(deps.lease?.host ? { host: deps.lease.host } : {}),
        ...(deps.lease?.pid !== undefined ? { pid: deps.lease.pid } : {}),
        ...(deps.lease?.processStart ? { processStart: deps.lease.processStart } : {}),
      };
      let lease = await deps.snapshots.acquireLease(dealer.id, holder, ttlMs);
      if (!lease.acquired && lease.holder && deps.lease?.canTakeOver?.(lease.holder)) {
        log.warn('Taking over the lease of a run that is gone', {
          dealerId: dealer.id,
          previousOwner: lease.holder.owner,
          previousPid: lease.holder.pid,
        });
        lease = await deps.snapshots.acquireLease(dealer.id, holder, ttlMs, lease.holder.owner);
      }
      if (!lease.acquired) {
        const until = lease.holder?.expiresAt.toISOString() ?? 'unknown';
        log.info('Another import of this dealer is running; skipping', {
          dealerId: dealer.id,
          holder: lease.holder?.owner,
          until,
        });
        return {
          status: 'skipped',
          dealer: dealer.id,
          reason: 'lease-held',
          holder: lease.holder,
          message: `another import of ${dealer.id} holds the lease until ${until}`,
        };
      }
      renewTimer = setInterval(
        () => {
          deps.snapshots.renewLease(dealer.id, runId, ttlMs).then(
            (kept) => {
              if (!kept) {
                leaseLost = true;
                log.error('Lost the dealer lease; stopping', { dealerId: dealer.id, runId });
              }
            },
            (error: unknown) =>
              log.warn('Lease renewal failed; will try again', {
                dealerId: dealer.id,
                error: (error as Error).message,
              }),
          );
        },
        Math.max(1000, Math.floor(ttlMs / 3)),
      );
      renewTimer.unref();
    }

    try {
      const outcome = await runLocked(request, source, runId, () => leaseLost);
      if (request.dryRun || request.feed) return outcome;
      const followUps = await followUp(request, source, () => leaseLost);
      if (followUps.length === 0) return outcome;
      return outcome.status === 'skipped' ? followUps[followUps.length - 1]! : { ...outcome, followUps };
    } finally {
      if (renewTimer) clearInterval(renewTimer);
      if (!request.dryRun) {
        await deps.snapshots.releaseLease(dealer.id, runId).catch((error: unknown) =>
          log.warn('Could not release the lease; it expires by itself', {
            dealerId: dealer.id,
            error: (error as Error).message,
          }),
        );
      }
    }
  };

  /**
   * Before the lease is released: imports the feeds uploaded while the run went on. Their own
   * triggers found the lease held; without this the newest file would wait for the hourly run.
   */
  async function followUp(
    request: ImportRequest,
    source: FeedSource,
    leaseLost: () => boolean,
  ): Promise<ImportOutcome[]> {
    const runs: ImportOutcome[] = [];
    while (runs.length < MAX_FOLLOW_UPS && source.waiting && !leaseLost() && !request.signal?.aborted) {
      if (!(await source.waiting(request.dealer.id))) break;
      deps.log.info('A feed arrived during the run; importing it before releasing the lease', {
        dealerId: request.dealer.id,
      });
      const outcome = await runLocked(
        { ...request, trigger: 'upload', allowMassRemoval: false },
        source,
        newRunId(deps.clock.now()),
        leaseLost,
      );
      runs.push(outcome);
      if (outcome.status === 'skipped') break;
    }
    return runs;
  }

  async function runLocked(
    request: ImportRequest,
    source: FeedSource,
    runId: string,
    leaseLost: () => boolean,
  ): Promise<ImportOutcome> {
    const { dealer, dryRun } = request;
    const log = deps.log;
    const now = deps.clock.now();

    // 1. The feed: given, newest waiting, or (nothing new) the last archived one to retry.
    let feed: PendingFeed | null = request.feed ?? null;
    const fromSource = !feed;
    if (!feed) feed = await source.next(dealer.id);
    let retry = false;
    let previous: ImportRunState | null = null;
    // Hourly (or an operator's manual run, e.g. to approve blocked removals): no new feed, so the
    // last run's failures and held-back removals are retried from the feed it archived.
    if (!feed && (request.trigger === 'schedule' || request.trigger === 'manual')) {
      previous = await deps.snapshots.getRunState(dealer.id);
      if (previous?.archiveKey && (previous.failed.length > 0 || previous.blocked)) {
        feed = await source.archived(dealer.id, previous.archiveKey);
        retry = feed !== null;
        if (retry)
          log.info('No new feed; retrying the last run from its archived feed', {
            dealerId: dealer.id,
            failed: previous.failed.length,
            blocked: Boolean(previous.blocked),
          });
      }
    }
    if (!feed) {
      return { status: 'skipped', dealer: dealer.id, reason: 'no-feed', message: `no new feed for ${dealer.id}` };
    }

    // 2. Read and validate. A whole-file error, or a file with no usable vehicle, changes nothing.
    let read: FeedReadResult;
    const tooLarge = feedSizeError(feed.size, maxBytes);
    try {
      if (tooLarge) throw new FeedTooLargeError(tooLarge.message);
      const bytes = await feed.load(maxBytes);
      read = readFeedWith(bytes, {
        name: feed.name,
        ...(dealer.mappingProfile ? { mapping: dealer.mappingProfile } : {}),
        now,
        maxBytes,
      });
    } catch (error) {
      // The size on the listing can lie (a file replaced mid-read): the source checks while streaming too.
      if (!(error instanceof FeedTooLargeError)) throw error;
      read = {
        format: null,
        encoding: null,
        vehicles: [],
        rejected: [],
        warnings: [],
        error: { code: 'FEED_TOO_LARGE', message: tooLarge?.message ?? (error as Error).message },
      };
    }
    const feedError =
      read.error ??
      (read.vehicles.length === 0
        ? {
            code: 'NO_VALID_VEHICLES',
            message: `Every one of the ${read.rejected.length} rows was rejected; nothing from the file was used`,
          }
        : null);
    const feedSummary: FeedSummary = {
      format: read.format,
      encoding: read.encoding,
      vehicles: feedError ? 0 : read.vehicles.length,
      rejected: read.rejected.length,
      ...(feedError ? { error: feedError } : {}),
    };
    const rejected = read.rejected.map((row) => ({
      row: row.row,
      ...(row.registrationNumber ? { registrationNumber: row.registrationNumber } : {}),
      errors: row.errors.map((e) => ({
        field: e.field,
        message: e.message,
        ...(e.code ? { code: e.code } : {}),
        ...(e.messageSv ? { messageSv: e.messageSv } : {}),
      })),
    }));

    if (feedError) {
      log.warn('Feed rejected as a whole; nothing changed', {
        dealerId: dealer.id,
        file: feed.name,
        code: feedError.code,
      });
      const summary: ImportSummary = {
        dealer: dealer.id,
        feed: feedSummary,
        created: 0,
        updated: 0,
        removed: 0,
        republished: 0,
        unchanged: 0,
        failed: [],
        rejected,
        blocked: null,
        ...doubtOf(read),
      };
      let movedTo: string | null = null;
      if (!dryRun && fromSource && !retry) movedTo = await source.settle(dealer.id, feed, 'rejected', deps.clock.now());
      const report = makeReport(summary, runId, request, feed, movedTo, retry);
      if (!dryRun) await writeReport(report);
      return { status: 'rejected', dealer: dealer.id, runId, summary, report, retry };
    }

    // 3. Plan against the snapshot.
    const snapshot = await deps.snapshots.load(dealer.id);
    // A car the run cannot rule out of the feed stays listed: rejected rows' plates and the
    // plates unreadable rows may hold.
    const keep = new Set(
      read.rejected.map((row) => row.registrationNumber).filter((plate): plate is string => Boolean(plate)),
    );
    for (const plate of read.inDoubt ?? []) keep.add(plate);
    // `both`: a vehicle the DMS last pushed through the Vehicle API leaves only by its `DELETE`.
    if (dealer.source === 'both')
      for (const entry of snapshot.values()) if (entry.setBy === 'api') keep.add(entry.registrationNumber);
    let plan = planImport({
      vehicles: read.vehicles.map((item) => item.vehicle),
      snapshot,
      keep,
      policy: dealer.feed,
      allowMassRemoval: request.allowMassRemoval === true,
    });
    if (plan.blocked && !dryRun && (await deps.snapshots.consumeMassRemovalApproval(dealer.id))) {
      log.info('Mass removal approved once for this dealer; the approval is used up', {
        dealerId: dealer.id,
        wouldRemove: plan.blocked.wouldRemove,
      });
      plan = { ...plan, blocked: null };
    }

    if (dryRun) {
      const summary: ImportSummary = {
        dealer: dealer.id,
        feed: feedSummary,
        created: plan.create.length,
        updated: plan.update.length,
        removed: plan.blocked ? 0 : plan.remove.length,
        republished: plan.republish.length,
        unchanged: plan.unchanged,
        failed: [],
        rejected,
        blocked: plan.blocked,
        ...doubtOf(read),
      };
      return {
        status: 'planned',
        dealer: dealer.id,
        runId,
        summary,
        report: makeReport(summary, runId, request, feed, null, retry),
        plan,
        retry,
      };
    }
    if (plan.blocked)
      log.warn('Removals blocked by the safety valve', {
        dealerId: dealer.id,
        wouldRemove: plan.blocked.wouldRemove,
        limit: plan.blocked.limit,
        liveAds: plan.liveAds,
      });

    // 4. Apply, writing each vehicle's entry after it succeeds (buffered into batch writes).
    const wayke = typeof deps.wayke === 'function' ? await deps.wayke(dealer) : deps.wayke;
    const pending: SnapshotEntry[] = [];
    let writeError: unknown = null;
    let flushing: Promise<void> = Promise.resolve();
    const flush = (): Promise<void> => {
      const batch = pending.splice(0, pending.length);
      if (batch.length === 0) return flushing;
      flushing = flushing
        .then(() => deps.snapshots.put(dealer.id, batch))
        .catch((error: unknown) => {
          writeError ??= error;
        });
      return flushing;
    };
    const result: ApplyResult = await applyPlan(plan, {
      wayke,
      branchId: dealer.branchId,
      removalStatus: dealer.feed.removalStatus,
      concurrency,
      now: () => deps.clock.now(),
      log,
      onApplied: async (entry) => {
        pending.push(entry);
        if (pending.length >= batchSize) await flush();
      },
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      shouldStop: () =>
        writeError
          ? 'the snapshot store failed'
          : leaseLost()
            ? 'the dealer lease was lost'
            : request.signal?.aborted
              ? 'the run was interrupted'
              : null,
    });
    await flush();
    if (writeError) {
      throw new RetryableError(
        'Writing the snapshot failed; the next run adopts what was applied',
        { dealerId: dealer.id, operation: 'snapshot.put' },
        { cause: writeError },
      );
    }

    // 5. Record: move the file, remember failures for the hourly retry, report.
    let movedTo: string | null = null;
    if (fromSource && !retry) movedTo = await source.settle(dealer.id, feed, 'archived', deps.clock.now());
    const summary: ImportSummary = {
      dealer: dealer.id,
      feed: feedSummary,
      created: result.created,
      updated: result.updated,
      removed: result.removed,
      republished: result.republished,
      unchanged: plan.unchanged,
      failed: result.failed,
      rejected,
      blocked: plan.blocked,
      ...doubtOf(read),
    };
    const archiveKey = movedTo ?? (retry ? previous?.archiveKey : undefined);
    await deps.snapshots.putRunState(dealer.id, {
      runId,
      at: deps.clock.now().toISOString(),
      ...(archiveKey ? { archiveKey } : {}),
      failed: result.failed.map((f) => f.registrationNumber),
      blocked: plan.blocked ? { wouldRemove: plan.blocked.wouldRemove, limit: plan.blocked.limit } : null,
    });
    const report = makeReport(summary, runId, request, feed, movedTo, retry);
    await writeReport(report);
    log.info('Import done', {
      dealerId: dealer.id,
      runId,
      created: result.created,
      updated: result.updated,
      removed: result.removed,
      republished: result.republished,
      unchanged: plan.unchanged,
      failed: result.failed.length,
      adopted: result.adopted,
      blocked: Boolean(plan.blocked),
    });
    return { status: 'applied', dealer: dealer.id, runId, summary, report, plan, adopted: result.adopted, retry };
  }

  function makeReport(
    summary: ImportSummary,
    runId: string,
    request: ImportRequest,
    feed: PendingFeed,
    movedTo: string | null,
    retry: boolean,
  ): ImportReport {
    const superseded = !retry && feed.superseded && feed.superseded.length > 0 ? { superseded: feed.superseded } : {};
    return {
      ...summary,
      runId,
      at: deps.clock.now().toISOString(),
      trigger: request.trigger,
      source: feed.name,
      movedTo,
      retry,
      ...superseded,
    };
  }

  async function writeReport(report: ImportReport): Promise<void> {
    if (!deps.reports) return;
    try {
      await deps.reports.write(report.dealer, { at: new Date(report.at), json: report, text: reportText(report) });
    } catch (error) {
      // The import itself is done and recorded; a missing report must not make it count as failed.
      deps.log.error('Writing the run report failed', {
        dealerId: report.dealer,
        runId: report.runId,
        error: (error as Error).message,
      });
    }
  }
}

export type ImportDealer = ReturnType<typeof makeImportDealer>;

/** The plates kept because unreadable rows may hold them, for the summary (absent when none). */
function doubtOf(read: FeedReadResult): { inDoubt?: readonly string[] } {
  return read.inDoubt && read.inDoubt.length > 0 ? { inDoubt: read.inDoubt } : {};
}
