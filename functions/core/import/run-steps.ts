import { RetryableError } from '../errors.js';
import type {
  FeedSource,
  Log,
  PendingFeed,
  RemovalApprovals,
  ReportSink,
  RunStateStore,
  SnapshotEntry,
  Snapshots,
  WaykeApi,
} from '../../ports.js';
import type { Dealer, Market } from '../dealer-config.js';
import { DEFAULT_MARKET, mileageReasonIn, mileageUnitOf } from '../market.js';
import { applyPlan, type ApplyResult } from './apply.js';
import { planImport, type ImportPlan, type PlanStep } from './plan.js';
import type { ChosenFeed, FeedReading } from './read.js';
import {
  reportText,
  type DriftedVehicle,
  type HeldVehicle,
  type ImportReport,
  type ImportSummary,
  type RejectedRow,
} from './report.js';
import type { MileageUnit } from '../feed/fields.js';
import type { RunStop, StoppedRun } from './run-stop.js';
import { checkPlan, formHashes, formOf, type CheckedPlan } from './wayke-check.js';

/**
 * The run's steps after the read: plan against the snapshot, apply to Wayke (writing each
 * vehicle's entry as it succeeds), record the outcome, report. Each takes only the ports it uses.
 */

// ───────────────────────────── plan ─────────────────────────────

export interface PlanRunInput {
  readonly dealer: { readonly id: string; readonly feed: Dealer['feed']; readonly source?: Dealer['source'] };
  readonly reading: FeedReading;
  readonly snapshots: Pick<Snapshots, 'load'>;
  /** Absent for a dry run: it must not use up an approval. */
  readonly approvals?: RemovalApprovals;
  readonly allowMassRemoval: boolean;
  readonly log: Log;
}

/** Plates the run may not remove though the feed lacks them. */
function keptPlates(reading: FeedReading, snapshot: ReadonlyMap<string, SnapshotEntry>, source?: Dealer['source']) {
  // A car the run cannot rule out of the feed stays listed: rejected rows' plates and the
  // plates unreadable rows may hold.
  const keep = new Set<string>(reading.read.inDoubt);
  for (const row of reading.read.rejected) if (row.registrationNumber) keep.add(row.registrationNumber);
  // `both`: a vehicle the DMS last pushed through the Vehicle API leaves only by its `DELETE`.
  if (source === 'both')
    for (const entry of snapshot.values()) if (entry.setBy === 'api') keep.add(entry.registrationNumber);
  return keep;
}

/** The plan; removals the safety valve holds back go through once if an operator approved them. */
export async function planRun(input: PlanRunInput): Promise<ImportPlan> {
  const { dealer, log } = input;
  const snapshot = await input.snapshots.load(dealer.id);
  const plan = planImport({
    vehicles: input.reading.read.vehicles.map((item) => item.vehicle),
    snapshot,
    keep: keptPlates(input.reading, snapshot, dealer.source),
    policy: dealer.feed,
    allowMassRemoval: input.allowMassRemoval,
  });
  if (!plan.blocked) return plan;
  if (input.approvals && (await input.approvals.consumeMassRemovalApproval(dealer.id))) {
    log.info('Mass removal approved once for this dealer; the approval is used up', {
      dealerId: dealer.id,
      wouldRemove: plan.blocked.wouldRemove,
    });
    return { ...plan, blocked: null };
  }
  return plan;
}

// ───────────────────────────── check ─────────────────────────────

/** The market of a dealer whose config names none: the config schema's own default. */

/** A dealer as the check and the apply see it. */
export interface RunDealer {
  readonly id: string;
  readonly branchId: string;
  readonly feed: Dealer['feed'];
  readonly market?: Market;
}

export const marketOf = (dealer: RunDealer): Market => dealer.market ?? DEFAULT_MARKET;

export interface CheckRunInput {
  readonly dealer: RunDealer;
  readonly plan: ImportPlan;
  readonly wayke: WaykeApi;
  readonly concurrency: number;
  readonly log: Log;
  /** The run's stop, shared with the apply (see `run-stop.ts`). */
  readonly stop?: RunStop;
}

/** Reads the ads the plan would change (see `wayke-check.ts`): the plan the apply may run. */
export function checkRun(input: CheckRunInput): Promise<CheckedPlan> {
  return checkPlan(input.plan, {
    wayke: input.wayke,
    market: marketOf(input.dealer),
    handEdits: input.dealer.feed.handEdits,
    concurrency: input.concurrency,
    log: input.log,
    ...(input.stop ? { stop: input.stop } : {}),
  });
}

// ───────────────────────────── apply ─────────────────────────────

export interface ApplyRunInput {
  readonly dealer: RunDealer;
  readonly plan: ImportPlan;
  /** Entries the check decided without an apply (held marks, checks done): stored with the rest. */
  readonly checkedEntries?: readonly SnapshotEntry[];
  readonly wayke: WaykeApi;
  readonly snapshots: Pick<Snapshots, 'put'>;
  readonly concurrency: number;
  /** Entries buffered before they are written together. */
  readonly batchSize: number;
  readonly now: () => Date;
  readonly log: Log;
  /** Why the run must stop starting vehicles (lease lost, interrupted), or null. */
  readonly stopReason: () => string | null;
  readonly onProgress?: (done: number, total: number) => void;
  /** The run's stop, shared with the check: a stop there leaves every step here unstarted. */
  readonly stop?: RunStop;
}

/**
 * Entries written in batches while the apply goes on, one batch at a time. A failed write stops
 * the run (a later batch must not land while an earlier one is missing); it is rethrown at the end.
 */
function snapshotWriter(snapshots: Pick<Snapshots, 'put'>, dealerId: string, batchSize: number) {
  const pending: SnapshotEntry[] = [];
  let failure: { error: unknown } | null = null;
  let writing: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    const batch = pending.splice(0, pending.length);
    if (batch.length === 0) return writing;
    writing = writing
      .then(() => snapshots.put(dealerId, batch))
      .catch((error: unknown) => {
        failure ??= { error };
      });
    return writing;
  };
  return {
    failed: () => failure !== null,
    async add(entry: SnapshotEntry): Promise<void> {
      pending.push(entry);
      if (pending.length >= batchSize) await flush();
    },
    /** Writes what is buffered; throws if any write failed. */
    async finish(): Promise<void> {
      await flush();
      if (!failure) return;
      throw new RetryableError(
        'Writing the snapshot failed; the next run adopts what was applied',
        { dealerId, operation: 'snapshot.put' },
        { cause: failure.error },
      );
    },
  };
}

/**
 * What a written entry says of its check mark. The run read the entry unmarked: `check: false`,
 * so the write keeps a mark the webhook set since (the run's read of the ad may predate the edit
 * it reports; see `put` of the DynamoDB store). The run read the mark, or there was no entry to
 * mark (a create): nothing, the write replaces the item and the mark the run acted on goes.
 */
function markAfterRun(step: PlanStep): Pick<SnapshotEntry, 'check'> {
  return step.action === 'create' || step.entry.check === true ? {} : { check: false };
}

/**
 * The entry an applied step leaves, with what Wayke now holds of each sent field (the baseline of
 * the next check) and, under `wayke-wins`, the fields kept as Wayke has them. The marks the run
 * read go: the ad was just read and written.
 */
function withBaseline(input: ApplyRunInput, applied: SnapshotEntry, step: PlanStep): SnapshotEntry {
  const { check: _check, held: _held, sent: _sent, kept: _kept, ...unmarked } = applied;
  const entry = { ...unmarked, ...markAfterRun(step) };
  if (step.action === 'remove') return { ...entry, ...keptOf(applied) };
  const sent = formHashes(formOf(input.wayke, step.vehicle, marketOf(input.dealer)));
  const kept: Record<string, string> = {};
  for (const [field, keep] of Object.entries(step.action === 'create' ? {} : (step.kept ?? {}))) {
    sent[field] = keep.wayke;
    kept[field] = keep.feed;
  }
  return { ...entry, sent, ...(Object.keys(kept).length > 0 ? { kept } : {}) };
}

const keptOf = (entry: SnapshotEntry) => ({
  ...(entry.sent ? { sent: entry.sent } : {}),
  ...(entry.kept ? { kept: entry.kept } : {}),
});

/** Applies the plan to Wayke; every vehicle that succeeds is in the snapshot when this resolves. */
export async function applyRun(input: ApplyRunInput): Promise<ApplyResult> {
  const writer = snapshotWriter(input.snapshots, input.dealer.id, input.batchSize);
  for (const entry of input.checkedEntries ?? []) await writer.add(entry);
  const result = await applyPlan(input.plan, {
    wayke: input.wayke,
    branchId: input.dealer.branchId,
    removalStatus: input.dealer.feed.removalStatus,
    concurrency: input.concurrency,
    now: input.now,
    log: input.log,
    onApplied: (entry, step) => writer.add(withBaseline(input, entry, step)),
    // A refused change: the next run reads the ad again (and holds it while Wayke does).
    onHeld: (step) => (step.action === 'create' ? Promise.resolve() : writer.add({ ...step.entry, check: true })),
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
    ...(input.stop ? { stop: input.stop } : {}),
    shouldStop: () => (writer.failed() ? 'the snapshot store failed' : input.stopReason()),
  });
  await writer.finish();
  return result;
}

// ───────────────────────────── record ─────────────────────────────

export interface RecordRunInput {
  readonly dealerId: string;
  readonly runId: string;
  readonly chosen: ChosenFeed;
  readonly outcome: 'archived' | 'rejected';
  readonly source: FeedSource;
  readonly now: () => Date;
}

/** Moves a feed taken from the source to `archive/` or `rejected/`; returns where it went. */
export async function settleFeed(input: RecordRunInput): Promise<string | null> {
  const { chosen } = input;
  // A retried feed is in the archive already; a feed the caller handed in is not the source's to move.
  if (!chosen.fromSource || chosen.retry) return null;
  return input.source.settle(input.dealerId, chosen.feed, input.outcome, input.now());
}

/** Remembers what the hourly run must retry: the failed plates and held-back removals, and from which feed. */
export async function recordRunState(
  runState: RunStateStore,
  input: {
    readonly dealerId: string;
    readonly runId: string;
    readonly at: Date;
    readonly archiveKey: string | undefined;
    readonly result: ApplyResult;
    readonly plan: ImportPlan;
  },
): Promise<void> {
  const { plan } = input;
  await runState.putRunState(input.dealerId, {
    runId: input.runId,
    at: input.at.toISOString(),
    ...(input.archiveKey ? { archiveKey: input.archiveKey } : {}),
    failed: input.result.failed.map((f) => f.registrationNumber),
    blocked: plan.blocked ? { wouldRemove: plan.blocked.wouldRemove, limit: plan.blocked.limit } : null,
  });
}

// ───────────────────────────── report ─────────────────────────────

/** What a summary counts besides the feed: the plan's or the apply's numbers. */
export interface RunTally {
  readonly created: number;
  readonly updated: number;
  readonly removed: number;
  readonly republished: number;
  readonly unchanged: number;
  readonly failed: ImportSummary['failed'];
  readonly blocked: ImportSummary['blocked'];
  readonly heldInWayke?: readonly HeldVehicle[];
  readonly drift?: readonly DriftedVehicle[];
  readonly stopped?: StoppedRun;
}

export const NOTHING_DONE: RunTally = {
  created: 0,
  updated: 0,
  removed: 0,
  republished: 0,
  unchanged: 0,
  failed: [],
  blocked: null,
};

/** What a plan would do, as a tally (a dry run's summary). */
export function plannedTally(plan: ImportPlan): RunTally {
  return {
    created: plan.create.length,
    updated: plan.update.length,
    removed: plan.blocked ? 0 : plan.remove.length,
    republished: plan.republish.length,
    unchanged: plan.unchanged,
    failed: [],
    blocked: plan.blocked,
  };
}

/**
 * What the apply did, as a tally; with the check's findings when the run made one. A stopped run
 * says why once: the vehicles it left undone are not listed as failed one by one.
 */
export function appliedTally(plan: ImportPlan, result: ApplyResult, checked?: CheckedPlan, stop?: RunStop): RunTally {
  const { created, updated, removed, republished } = result;
  const unchanged = checked ? checked.plan.unchanged : plan.unchanged;
  const held = [...(checked?.held ?? []), ...result.held].sort(byPlate);
  const drift = checked?.drift ?? [];
  const stopped = stop?.summary();
  const failed = stopped ? result.failed.filter((f) => !stop?.leftUndone(f.registrationNumber)) : result.failed;
  return {
    created,
    updated,
    removed,
    republished,
    unchanged,
    failed,
    blocked: plan.blocked,
    ...(held.length > 0 ? { heldInWayke: held } : {}),
    ...(drift.length > 0 ? { drift } : {}),
    ...(stopped ? { stopped } : {}),
  };
}

const byPlate = (a: { registrationNumber: string }, b: { registrationNumber: string }) =>
  a.registrationNumber < b.registrationNumber ? -1 : a.registrationNumber > b.registrationNumber ? 1 : 0;

/** The apply's result with the vehicles whose check failed among its failures (the hourly run retries both). */
export function withCheckFailures(result: ApplyResult, checked: CheckedPlan): ApplyResult {
  if (checked.failed.length === 0) return result;
  return { ...result, failed: [...checked.failed, ...result.failed].sort(byPlate) };
}

export function summarize(
  dealer: { readonly id: string; readonly market?: Market },
  reading: FeedReading,
  tally: RunTally,
): ImportSummary {
  const inDoubt = reading.read.inDoubt;
  const market = dealer.market ?? DEFAULT_MARKET;
  const mileageUnit = mileageUnitOf(market);
  return {
    dealer: dealer.id,
    feed: reading.summary,
    ...tally,
    rejected: inDealerUnit(reading.rejected, mileageUnit),
    ...(inDoubt.length > 0 ? { inDoubt } : {}),
    mileageUnit,
    market,
  };
}

/** The rejected rows with their mileage reasons in the dealer's unit (the feed reader speaks km). */
function inDealerUnit(rejected: readonly RejectedRow[], unit: MileageUnit): RejectedRow[] {
  return rejected.map((row) =>
    row.errors.some((error) => error.field === 'mileage')
      ? {
          ...row,
          errors: row.errors.map((error) =>
            error.field === 'mileage' ? { ...error, message: mileageReasonIn(unit, error.message) } : error,
          ),
        }
      : row,
  );
}

export interface ReportInput {
  readonly summary: ImportSummary;
  readonly runId: string;
  readonly at: Date;
  readonly trigger: string;
  readonly feed: PendingFeed;
  readonly movedTo: string | null;
  readonly retry: boolean;
}

/** The report files' content: the summary plus where and when. */
export function makeReport(input: ReportInput): ImportReport {
  const { feed, retry } = input;
  const superseded = !retry && feed.superseded && feed.superseded.length > 0 ? { superseded: feed.superseded } : {};
  return {
    ...input.summary,
    runId: input.runId,
    at: input.at.toISOString(),
    trigger: input.trigger,
    source: feed.name,
    movedTo: input.movedTo,
    retry,
    ...superseded,
  };
}

/** Writes the report where the dealer finds it; a failure only logs. */
export async function writeReport(reports: ReportSink | undefined, report: ImportReport, log: Log): Promise<void> {
  if (!reports) return;
  try {
    await reports.write(report.dealer, { at: new Date(report.at), json: report, text: reportText(report) });
  } catch (error) {
    // The import itself is done and recorded; a missing report must not make it count as failed.
    log.error('Writing the run report failed', {
      dealerId: report.dealer,
      runId: report.runId,
      error: (error as Error).message,
    });
  }
}
