import type { ResolvedDealer } from '../dealer-config.js';
import type { FeedSource, Log, MetricsSink, WorkQueue } from '../../ports.js';
import { makeImportDealer, type ImportDealerDeps, type ImportOutcome } from './import-dealer.js';
import type { ImportSummary } from './report.js';
import { allowsMassRemoval, leaseHeldRetry, WorkMessageSchema, type WorkMessage } from './work-message.js';

/**
 * The import worker: imports one dealer per work message with the same use case as the CLI. A
 * run that throws is a failed message (retried by the queue, then dead-lettered) and an
 * `ImportFailed` metric; blocked removals count `RemovalBlocked`, failed vehicles `VehiclesFailed`
 * (the next hourly run retries them). A run that stopped (refused credentials, a wrong setting)
 * counts `ImportFailed` too, but its message is done: the queue's retries would stop the same way. A trigger that finds the dealer's lease held comes back later.
 */

/** Where a dealer's feeds come from. */
export interface WorkerFeedSources {
  /** The feed bucket's inbound folders. */
  readonly bucket: FeedSource;
  /** The dealer's DMS API, for a dealer that has one. */
  dmsApi(dealer: ResolvedDealer & { readonly dmsApi: NonNullable<ResolvedDealer['dmsApi']> }): FeedSource;
}

/**
 * Uploads always come from the bucket (the trigger names a file there); a dealer with a DMS API
 * is pulled on the schedule and on manual runs.
 */
export function feedSourceFor(dealer: ResolvedDealer, trigger: WorkMessage['trigger'], sources: WorkerFeedSources) {
  if (trigger === 'upload' || !dealer.dmsApi) return sources.bucket;
  return sources.dmsApi({ ...dealer, dmsApi: dealer.dmsApi });
}

export interface ImportWorkerDeps {
  readonly dealers: readonly ResolvedDealer[];
  readonly feedSources: WorkerFeedSources;
  /** Everything the import use case needs but its feeds, which the worker chooses. */
  readonly importDeps: Omit<ImportDealerDeps, 'feeds'>;
  /** The work queue itself: a trigger that finds the lease held is sent back, delayed. */
  readonly workQueue: WorkQueue;
  readonly metrics: MetricsSink;
  readonly log: Log;
  readonly leaseRetryDelaySeconds: number;
  /**
   * Time kept back before the invocation's deadline: no vehicle is started after that, so the
   * run still records what it applied, archives the file and reports.
   */
  readonly stopMarginSeconds: number;
}

/** The queue's records as far as the worker reads them. */
export interface WorkBatch {
  readonly Records: ReadonlyArray<{ readonly messageId: string; readonly body: string }>;
}

export interface WorkBatchResult {
  readonly batchItemFailures: Array<{ itemIdentifier: string }>;
}

/** Builds the worker: a batch of work messages in, the ids of the failed ones out. */
export function makeImportWorker(deps: ImportWorkerDeps) {
  const dealers = new Map(deps.dealers.map((dealer) => [dealer.id, dealer]));
  const record = (messageId: string, body: string, signal: AbortSignal) =>
    handleRecord(deps, dealers, messageId, body, signal);

  return async function importWork(
    batch: WorkBatch,
    context: { getRemainingTimeInMillis(): number },
  ): Promise<WorkBatchResult> {
    const batchItemFailures: WorkBatchResult['batchItemFailures'] = [];
    // A big first import may not fit one invocation: stop starting vehicles before the deadline.
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(),
      Math.max(0, context.getRemainingTimeInMillis() - deps.stopMarginSeconds * 1000),
    );
    try {
      for (const { messageId, body } of batch.Records) {
        if (!(await record(messageId, body, deadline.signal))) batchItemFailures.push({ itemIdentifier: messageId });
      }
    } finally {
      clearTimeout(timer);
    }
    return { batchItemFailures };
  };
}

function parseMessage(body: string): WorkMessage | null {
  try {
    const parsed = WorkMessageSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** One work message; false when it failed (the queue retries it, then dead-letters it). */
async function handleRecord(
  deps: ImportWorkerDeps,
  dealers: ReadonlyMap<string, ResolvedDealer>,
  messageId: string,
  body: string,
  signal: AbortSignal,
): Promise<boolean> {
  const message = parseMessage(body);
  if (!message) {
    deps.log.error('Work message is not valid; leaving it to the DLQ', { messageId });
    deps.metrics.count('ImportFailed', 1);
    return false;
  }
  const dealer = dealers.get(message.dealerId);
  if (!dealer) {
    deps.log.error('Work message names an unknown dealer; leaving it to the DLQ', {
      messageId,
      dealerId: message.dealerId,
    });
    deps.metrics.count('ImportFailed', 1);
    return false;
  }
  try {
    const importDealer = makeImportDealer({
      ...deps.importDeps,
      feeds: feedSourceFor(dealer, message.trigger, deps.feedSources),
    });
    const outcome = await importDealer({
      dealer,
      trigger: message.trigger,
      allowMassRemoval: allowsMassRemoval(message),
      signal,
    });
    await settleOutcome(deps, message, outcome);
    return true;
  } catch (error) {
    deps.log.error('Import failed', { dealerId: dealer.id, trigger: message.trigger, error });
    deps.metrics.count('ImportFailed', 1);
    return false;
  }
}

async function settleOutcome(deps: ImportWorkerDeps, message: WorkMessage, outcome: ImportOutcome): Promise<void> {
  if (outcome.status === 'skipped') {
    // Nothing new, or another run holds the lease: counted, so every run publishes a metric.
    deps.metrics.count('ImportSkipped', 1);
    deps.log.info('Import skipped', { dealerId: message.dealerId, reason: outcome.reason, detail: outcome.message });
    if (outcome.reason === 'lease-held') await comeBackLater(deps, message);
    return;
  }
  countRun(deps.metrics, outcome.summary);
  for (const followUp of outcome.followUps ?? [])
    if (followUp.status !== 'skipped') countRun(deps.metrics, followUp.summary);
}

/**
 * A trigger that found another run holding the lease is sent back, delayed, instead of being
 * done: the upload it announces is imported after the running import (which also imports it
 * itself if the file landed before it ended). If sending fails, the message fails, so the queue
 * retries it: the trigger is never dropped.
 */
async function comeBackLater(deps: ImportWorkerDeps, message: WorkMessage): Promise<void> {
  const retry = leaseHeldRetry(message, deps.leaseRetryDelaySeconds);
  if (!retry) {
    if (message.trigger !== 'schedule')
      deps.log.warn('Trigger gave up waiting for the dealer lease; the next run imports the feed', {
        dealerId: message.dealerId,
        attempt: message.attempt,
      });
    return;
  }
  await deps.workQueue.send([retry.message], { delaySeconds: retry.delaySeconds });
  deps.log.info('Lease held; the trigger comes back later', {
    dealerId: message.dealerId,
    attempt: retry.message.attempt,
    delaySeconds: retry.delaySeconds,
  });
}

/** The metrics of one finished run. */
function countRun(metrics: MetricsSink, summary: ImportSummary): void {
  // Every finished run reports its changes (0 included): a dashboard line per dealer, and no
  // empty-metrics warning on quiet hours.
  metrics.count('VehiclesChanged', summary.created + summary.updated + summary.removed + summary.republished);
  if (summary.blocked) metrics.count('RemovalBlocked', 1);
  if (summary.stopped) metrics.count('ImportFailed', 1);
  if (summary.failed.length > 0) metrics.count('VehiclesFailed', summary.failed.length);
}
