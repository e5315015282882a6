import type { ResolvedDealer } from '../dealer-config.js';
import type { Log } from '../../ports.js';
import type { ChangeResult } from './apply-changes.js';
import { VehicleChangeMessageSchema, type VehicleChangeMessage } from './schemas.js';

/**
 * One SQS batch of the vehicle queue: records parsed, grouped by dealer (in arrival order, which
 * FIFO keeps per plate), each dealer's changes applied in one lease. A record that cannot be read
 * or names an unknown dealer is failed every time, so the redrive policy takes it to the DLQ.
 */

export interface BatchRecord {
  readonly messageId: string;
  readonly body: string;
}

export interface BatchOutcome {
  /** Message ids to report as batch item failures. */
  readonly retry: string[];
  readonly applied: number;
  readonly failed: number;
}

export function makeVehicleBatchProcessor(deps: {
  readonly dealers: ReadonlyMap<string, ResolvedDealer>;
  readonly apply: (dealer: ResolvedDealer, changes: readonly VehicleChangeMessage[]) => Promise<ChangeResult[]>;
  readonly log: Log;
}) {
  return async function processBatch(records: readonly BatchRecord[]): Promise<BatchOutcome> {
    const retry: string[] = [];
    const byDealer = new Map<string, Array<{ messageId: string; change: VehicleChangeMessage }>>();
    for (const record of records) {
      const change = parse(record.body);
      const dealer = change ? deps.dealers.get(change.dealerId) : undefined;
      if (!change || !dealer) {
        deps.log.error('Vehicle change cannot be applied (unreadable, or the dealer is gone); leaving it to the DLQ', {
          messageId: record.messageId,
          dealerId: change?.dealerId,
        });
        retry.push(record.messageId);
        continue;
      }
      const list = byDealer.get(dealer.id) ?? [];
      list.push({ messageId: record.messageId, change });
      byDealer.set(dealer.id, list);
    }
    let applied = 0;
    let failed = 0;
    for (const [dealerId, items] of byDealer) {
      try {
        const results = new Map(
          (
            await deps.apply(
              deps.dealers.get(dealerId)!,
              items.map((item) => item.change),
            )
          ).map((result) => [result.changeId, result.result]),
        );
        for (const item of items) {
          const result = results.get(item.change.changeId) ?? 'retry';
          if (result === 'retry') retry.push(item.messageId);
          else if (result === 'failed') failed += 1;
          else applied += 1;
        }
      } catch (error) {
        deps.log.warn('Vehicle changes not applied; retried after the visibility timeout', {
          dealerId,
          changes: items.length,
          errorName: (error as Error).name,
          error: (error as Error).message,
        });
        retry.push(...items.map((item) => item.messageId));
      }
    }
    return { retry, applied, failed };
  };
}

function parse(body: string): VehicleChangeMessage | null {
  try {
    const parsed = VehicleChangeMessageSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
