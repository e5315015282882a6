import type { ResolvedDealer } from '../dealer-config.js';
import { PermanentError } from '../errors.js';
import type { DeliveredEventArchive, DmsSink, Log } from '../../ports.js';
import { normaliseRegistrationNumber } from '../vehicle.js';

export interface ReplayRequest {
  readonly dealerId: string;
  readonly since: Date;
  readonly until: Date;
  /** Only the events about this plate. */
  readonly vehicle?: string;
}

/** One archived event and what its re-delivery came to. */
export interface ReplayedEvent {
  readonly id: string;
  readonly type: string;
  readonly deliveredAt: string;
  readonly registrationNumber?: string;
  readonly outcome: 'delivered' | 'failed' | 'skipped';
  /** Why it failed, or which earlier event of the same vehicle failed (free of personal data). */
  readonly reason?: string;
}

export interface ReplayReport {
  readonly events: readonly ReplayedEvent[];
  readonly delivered: number;
  readonly failed: number;
  readonly skipped: number;
}

export interface ReplayEventsDeps {
  readonly dealers: ReadonlyMap<string, ResolvedDealer>;
  readonly archive: DeliveredEventArchive;
  readonly sinks: { readonly webhook: DmsSink; readonly outbox: DmsSink };
  readonly log: Log;
}

/** The dealer asked for is not configured, or has no DMS target to replay to. */
export class ReplayTargetError extends PermanentError {}

/**
 * `wayke-dms replay`: re-delivers the events a dealer's DMS accepted in a window, from the archive
 * of delivered events, exactly as first delivered — the same body and `webhook-id` (freshly signed),
 * so a DMS that keys on the id is safe. Oldest first, so order per vehicle holds; once an event of
 * a vehicle fails, the later ones of that vehicle are skipped (and reported) rather than delivered
 * out of order, while other vehicles carry on.
 */
export function makeReplayEvents(deps: ReplayEventsDeps): (request: ReplayRequest) => Promise<ReplayReport> {
  return async (request) => {
    const dealer = deps.dealers.get(request.dealerId);
    if (!dealer?.dms)
      throw new ReplayTargetError(dealer ? 'dealer has no DMS target' : 'dealer is not configured', {
        dealerId: request.dealerId,
      });
    const plate = request.vehicle ? normaliseRegistrationNumber(request.vehicle) : undefined;
    const archived = (
      await deps.archive.list({ dealerId: dealer.id, since: request.since, until: request.until })
    ).filter((entry) => plate === undefined || entry.envelope.registrationNumber === plate);
    const failedSubjects = new Map<string, string>();
    const events: ReplayedEvent[] = [];
    for (const entry of archived) {
      const { envelope } = entry;
      const base = {
        id: envelope.id,
        type: envelope.type,
        deliveredAt: entry.deliveredAt,
        ...(envelope.registrationNumber ? { registrationNumber: envelope.registrationNumber } : {}),
      };
      const blockedBy = failedSubjects.get(entry.subject);
      if (blockedBy) {
        events.push({
          ...base,
          outcome: 'skipped',
          reason: `an earlier event of the same vehicle failed (${blockedBy})`,
        });
        continue;
      }
      try {
        await deps.sinks[dealer.dms.type].deliver({ dealer, envelope });
        events.push({ ...base, outcome: 'delivered' });
        deps.log.info('event replayed', { dealerId: dealer.id, eventId: envelope.id, kind: envelope.type });
      } catch (error) {
        const reason = error instanceof Error ? error.message : 'unknown error';
        failedSubjects.set(entry.subject, envelope.id);
        events.push({ ...base, outcome: 'failed', reason });
        deps.log.warn('event replay failed', {
          dealerId: dealer.id,
          eventId: envelope.id,
          kind: envelope.type,
          error: error instanceof Error ? error.name : 'unknown',
        });
      }
    }
    const count = (outcome: ReplayedEvent['outcome']) => events.filter((event) => event.outcome === outcome).length;
    return { events, delivered: count('delivered'), failed: count('failed'), skipped: count('skipped') };
  };
}
