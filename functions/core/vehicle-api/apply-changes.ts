import { isRetryable } from '../errors.js';
import type { ResolvedDealer } from '../dealer-config.js';
import { applyPlan } from '../import/apply.js';
import { planImport, type ImportPlan, type RemoveStep } from '../import/plan.js';
import type {
  Clock,
  Log,
  SnapshotEntry,
  SnapshotReader,
  SnapshotStore,
  VehicleStatusStore,
  WaykeApi,
} from '../../ports.js';
import { DealerBusyError } from './errors.js';
import type { VehicleChangeMessage } from './schemas.js';

/**
 * The Vehicle API's consumer: a batch of accepted changes for one dealer goes through the same
 * lease, snapshot, plan/apply (image diffing, adoption, commit-then-fail) and Wayke client as a
 * file import. Only the latest change per plate is applied (earlier ones in the batch are
 * superseded); an unchanged vehicle costs no Wayke call.
 */

export interface ApplyChangesDeps {
  readonly snapshots: SnapshotStore & SnapshotReader;
  readonly statuses: VehicleStatusStore;
  readonly wayke: (dealer: ResolvedDealer) => WaykeApi | Promise<WaykeApi>;
  readonly clock: Clock;
  readonly log: Log;
  /** Vehicles applied at once (Wayke's per-branch limit); default 4. */
  readonly concurrency?: number;
  readonly lease?: {
    readonly owner: () => string;
    readonly ttlMs?: number;
    /**
     * How long to wait for the lease (a running import, or another batch of the dealer) before the
     * batch is retried after the queue's visibility timeout. Default 20 s: batches of one dealer
     * hold it for well under a second, and one dealer's changes go one batch at a time anyway to
     * stay within Wayke's per-branch limit.
     */
    readonly waitMs?: number;
    readonly host?: string;
    readonly pid?: number;
  };
}

/** Per change: `applied` (or unchanged), `failed` for good (recorded on the vehicle), or `retry`. */
export type ChangeResult = { readonly changeId: string; readonly result: 'applied' | 'failed' | 'retry' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function makeApplyVehicleChanges(deps: ApplyChangesDeps) {
  const ttlMs = deps.lease?.ttlMs ?? 60_000;
  const waitMs = deps.lease?.waitMs ?? 20_000;

  async function acquire(dealerId: string, owner: string): Promise<void> {
    const holder = {
      owner,
      ...(deps.lease?.host ? { host: deps.lease.host } : {}),
      ...(deps.lease?.pid !== undefined ? { pid: deps.lease.pid } : {}),
    };
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      const lease = await deps.snapshots.acquireLease(dealerId, holder, ttlMs);
      if (lease.acquired) return;
      if (Date.now() >= deadline) {
        throw new DealerBusyError(
          `another run of ${dealerId} holds the lease until ${lease.holder?.expiresAt.toISOString() ?? 'unknown'}`,
          { dealerId, operation: 'lease' },
        );
      }
      await sleep(Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
    }
  }

  return async function applyVehicleChanges(
    dealer: ResolvedDealer,
    changes: readonly VehicleChangeMessage[],
  ): Promise<ChangeResult[]> {
    const owner = deps.lease?.owner() ?? `api-${deps.clock.now().getTime()}-${Math.random().toString(36).slice(2, 8)}`;
    await acquire(dealer.id, owner);
    try {
      return await applyLocked(dealer, changes);
    } finally {
      await deps.snapshots.releaseLease(dealer.id, owner).catch((error: unknown) =>
        deps.log.warn('Could not release the lease; it expires by itself', {
          dealerId: dealer.id,
          error: (error as Error).message,
        }),
      );
    }
  };

  async function applyLocked(
    dealer: ResolvedDealer,
    changes: readonly VehicleChangeMessage[],
  ): Promise<ChangeResult[]> {
    const latest = new Map<string, VehicleChangeMessage>();
    for (const change of changes) latest.set(change.registrationNumber, change);
    // Only the batch's plates: a whole-dealer load per batch would cost O(stock) for ten vehicles.
    const snapshot = new Map<string, SnapshotEntry>();
    await Promise.all(
      [...latest.keys()].map(async (plate) => {
        const entry = await deps.snapshots.entry(dealer.id, plate);
        if (entry) snapshot.set(plate, entry);
      }),
    );
    const plan = planChanges([...latest.values()], snapshot);

    const failures = new Map<string, { message: string; retryable: boolean }>();
    const applied = new Map<string, SnapshotEntry>();
    const wayke = await deps.wayke(dealer);
    await applyPlan(plan, {
      wayke,
      branchId: dealer.branchId,
      removalStatus: dealer.feed.removalStatus,
      concurrency: deps.concurrency ?? 4,
      now: () => deps.clock.now(),
      log: deps.log,
      onApplied: async (entry) => {
        // Read unmarked: `check: false`, so the write keeps a mark a `vehicle-updated` webhook set
        // since (see `put` of the DynamoDB store); the worker's read of the ad may predate that edit.
        const read = snapshot.get(entry.registrationNumber);
        const mark = read && read.check !== true ? { check: false as const } : {};
        const mine: SnapshotEntry = { ...entry, setBy: 'api', ...mark };
        await deps.snapshots.put(dealer.id, [mine]);
        applied.set(entry.registrationNumber, mine);
      },
      onFailed: (step, error) => {
        failures.set(step.registrationNumber, {
          message: error instanceof Error ? error.message || error.name : String(error),
          retryable: isRetryable(error),
        });
      },
    });

    const at = deps.clock.now().toISOString();
    const retry = new Set<string>();
    const failed = new Set<string>();
    for (const change of latest.values()) {
      const plate = change.registrationNumber;
      const failure = failures.get(plate);
      const entry = applied.get(plate) ?? snapshot.get(plate) ?? null;
      if (failure) {
        (failure.retryable ? retry : failed).add(plate);
        deps.log.warn('Vehicle API change failed', {
          dealerId: dealer.id,
          registrationNumber: plate,
          op: change.op,
          retryable: failure.retryable,
        });
        await deps.statuses.settled(dealer.id, change.changeId, {
          registrationNumber: plate,
          state: 'failed',
          lastError: failure.message,
          ...(entry ? { waykeId: entry.adId } : {}),
        });
        continue;
      }
      const removed = change.op === 'delete';
      await deps.statuses.settled(dealer.id, change.changeId, {
        registrationNumber: plate,
        state: removed ? 'removed' : 'applied',
        lastAppliedAt: applied.has(plate) ? at : (entry?.lastSeen ?? at),
        ...(entry ? { waykeId: entry.adId } : {}),
        ...(removed ? { removedAt: at } : {}),
      });
    }
    // FIFO: a plate that must be retried fails with all its changes of the batch, in order.
    return changes.map((change) => ({
      changeId: change.changeId,
      result: retry.has(change.registrationNumber)
        ? 'retry'
        : failed.has(change.registrationNumber)
          ? 'failed'
          : 'applied',
    }));
  }
}

/** The import's planner on the changed plates only (so nothing else is removed), plus the `DELETE`s. */
export function planChanges(
  changes: readonly VehicleChangeMessage[],
  snapshot: ReadonlyMap<string, SnapshotEntry>,
): ImportPlan {
  const puts = changes.filter((change): change is Extract<VehicleChangeMessage, { op: 'put' }> => change.op === 'put');
  const subset = new Map<string, SnapshotEntry>();
  for (const put of puts) {
    const entry = snapshot.get(put.registrationNumber);
    if (entry) subset.set(put.registrationNumber, entry);
  }
  const plan = planImport({ vehicles: puts.map((put) => put.vehicle), snapshot: subset, allowMassRemoval: true });
  const remove: RemoveStep[] = [];
  for (const change of changes) {
    if (change.op !== 'delete') continue;
    const entry = snapshot.get(change.registrationNumber);
    // Never listed, or already down: removed is what the DMS wants, and nothing is to be sent.
    if (entry && entry.status === 'Published')
      remove.push({ action: 'remove', registrationNumber: change.registrationNumber, entry });
  }
  return { ...plan, remove, blocked: null };
}
