import type { ResolvedDealer } from '../dealer-config.js';
import { RetryableError } from '../errors.js';
import type { Log } from '../../ports.js';
import type { ChangeResult } from './apply-changes.js';
import { VehicleChangeMessageSchema, type VehicleChangeMessage } from './schemas.js';

/**
 * One SQS batch of the vehicle queue: records parsed, grouped by dealer (in arrival order, which
 * FIFO keeps per plate), each dealer's changes applied in one lease — one lease and one plan per
 * dealer rather than per record, so a plate's changes in one batch make one Wayke write. A record
 * that cannot be read or names an unknown dealer is failed every time, so the redrive policy takes
 * it to the DLQ; the later records of its message group are not applied before it.
 */

export interface BatchRecord {
  readonly messageId: string;
  readonly body: string;
  /** The FIFO message group (dealer + plate). */
  readonly groupId?: string;
}

export type RecordResult = ChangeResult['result'];

export interface BatchOutcome {
  /** Every record's result, by message id. */
  readonly results: ReadonlyMap<string, RecordResult>;
  readonly applied: number;
  readonly failed: number;
}

/** A record whose change waits for a later delivery (its Wayke call failed for a passing reason, or an earlier record of its group did). */
export class ChangeNotAppliedError extends RetryableError {}

interface Item {
  readonly messageId: string;
  readonly change: VehicleChangeMessage;
}

type Deps = {
  readonly dealers: ReadonlyMap<string, ResolvedDealer>;
  readonly apply: (dealer: ResolvedDealer, changes: readonly VehicleChangeMessage[]) => Promise<ChangeResult[]>;
  readonly log: Log;
};

export function makeVehicleBatchProcessor(deps: Deps) {
  return async function processBatch(records: readonly BatchRecord[]): Promise<BatchOutcome> {
    const results = new Map<string, RecordResult>();
    const byDealer = readRecords(deps, records, results);
    for (const [dealer, items] of byDealer) await applyDealer(deps, dealer, items, results);
    const counts = { applied: 0, failed: 0 };
    for (const result of results.values()) if (result !== 'retry') counts[result] += 1;
    return { results, ...counts };
  };
}

/** The readable records by dealer; the rest (and what follows them in their group) marked `retry`. */
function readRecords(
  deps: Deps,
  records: readonly BatchRecord[],
  results: Map<string, RecordResult>,
): Map<ResolvedDealer, Item[]> {
  const byDealer = new Map<ResolvedDealer, Item[]>();
  const blockedGroups = new Set<string>();
  for (const record of records) {
    if (record.groupId !== undefined && blockedGroups.has(record.groupId)) {
      results.set(record.messageId, 'retry');
      continue;
    }
    const change = parse(record.body);
    const dealer = change ? deps.dealers.get(change.dealerId) : undefined;
    if (!change || !dealer) {
      deps.log.error('Vehicle change cannot be applied (unreadable, or the dealer is gone); leaving it to the DLQ', {
        messageId: record.messageId,
        dealerId: change?.dealerId,
      });
      results.set(record.messageId, 'retry');
      if (record.groupId !== undefined) blockedGroups.add(record.groupId);
      continue;
    }
    const list = byDealer.get(dealer) ?? [];
    list.push({ messageId: record.messageId, change });
    byDealer.set(dealer, list);
  }
  return byDealer;
}

/** Applies one dealer's changes; a failure of the whole (the lease stayed taken) retries them all. */
async function applyDealer(
  deps: Deps,
  dealer: ResolvedDealer,
  items: readonly Item[],
  results: Map<string, RecordResult>,
): Promise<void> {
  try {
    const byChange = new Map(
      (
        await deps.apply(
          dealer,
          items.map((item) => item.change),
        )
      ).map((result) => [result.changeId, result.result]),
    );
    for (const item of items) results.set(item.messageId, byChange.get(item.change.changeId) ?? 'retry');
  } catch (error) {
    deps.log.warn('Vehicle changes not applied; retried after the visibility timeout', {
      dealerId: dealer.id,
      changes: items.length,
      errorName: (error as Error).name,
      error: (error as Error).message,
    });
    for (const item of items) results.set(item.messageId, 'retry');
  }
}

function parse(body: string): VehicleChangeMessage | null {
  try {
    const parsed = VehicleChangeMessageSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
