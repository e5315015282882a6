import { randomUUID } from 'node:crypto';
import type { ResolvedDealer } from '../dealer-config.js';
import { vehicleHash } from '../import/fingerprint.js';
import { safetyValve } from '../import/plan.js';
import type { ImportReport } from '../import/report.js';
import { reportText } from '../import/report.js';
import { NOTHING_DONE } from '../import/run-steps.js';
import type { Vehicle } from '../vehicle.js';
import type {
  Clock,
  EventQueue,
  Log,
  ReportSink,
  SnapshotReader,
  SnapshotStore,
  VehicleStatusStore,
} from '../../ports.js';
import type { VehicleChangeMessage, VehicleStatus } from './schemas.js';
import { statusDocument } from './status.js';

/**
 * Accepting a change: record it as `pending` and put it on the vehicle queue (group = dealer +
 * plate, so one plate's changes apply in the order accepted). A `DELETE` passes the dealer's
 * safety valve first: more removals within an hour than the dealer's limit are held — recorded,
 * reported like a blocked run, never queued — until an operator approves them.
 */

export const REMOVAL_WINDOW_MS = 60 * 60 * 1000;

export interface AcceptDeps {
  readonly statuses: VehicleStatusStore;
  readonly snapshots: Pick<SnapshotStore, 'load' | 'consumeMassRemovalApproval'> & SnapshotReader;
  readonly queue: EventQueue;
  readonly reports?: ReportSink;
  readonly clock: Clock;
  readonly log: Log;
}

export type AcceptOutcome =
  | { readonly outcome: 'accepted' | 'held'; readonly status: VehicleStatus }
  | { readonly outcome: 'notFound' };

/** The FIFO group of a plate's changes: one per dealer and plate. */
export const changeGroupId = (dealerId: string, registrationNumber: string) => `${dealerId}:${registrationNumber}`;

export function makeAcceptChange(deps: AcceptDeps) {
  const newChange = () => {
    const at = deps.clock.now();
    return { changeId: `${at.toISOString()}-${randomUUID()}`, acceptedAt: at.toISOString() };
  };

  async function enqueue(message: VehicleChangeMessage): Promise<void> {
    await deps.queue.send({
      body: JSON.stringify(message),
      groupId: changeGroupId(message.dealerId, message.registrationNumber),
      deduplicationId: message.changeId.replace(/[^A-Za-z0-9-]/g, '').slice(0, 128),
    });
  }

  async function put(dealer: ResolvedDealer, vehicle: Vehicle): Promise<AcceptOutcome> {
    const plate = vehicle.registrationNumber;
    const { changeId, acceptedAt } = newChange();
    const fingerprint = vehicleHash(vehicle, 'Published');
    const entry = deps.snapshots.entry(dealer.id, plate);
    entry.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    const record = await deps.statuses.accepted(dealer.id, {
      registrationNumber: plate,
      state: 'pending',
      changeId,
      acceptedAt,
      fingerprint,
    });
    // Recorded before queued: a crash in between leaves `pending` (the DMS retries), never a queued change nobody tracks.
    await enqueue({ op: 'put', dealerId: dealer.id, registrationNumber: plate, changeId, acceptedAt, vehicle });
    return { outcome: 'accepted', status: statusDocument(plate, await entry, record)! };
  }

  async function remove(dealer: ResolvedDealer, plate: string): Promise<AcceptOutcome> {
    const [entry, previous] = await Promise.all([
      deps.snapshots.entry(dealer.id, plate),
      deps.statuses.get(dealer.id, plate),
    ]);
    if (!entry && !previous) return { outcome: 'notFound' };
    // Already down and nothing pending: a repeated DELETE changes nothing and costs no removal.
    if (entry && entry.status !== 'Published' && (!previous || previous.state === 'removed')) {
      return { outcome: 'accepted', status: statusDocument(plate, entry, previous)! };
    }
    const { changeId, acceptedAt } = newChange();
    const now = deps.clock.now();
    const held = await holdRemoval(dealer, plate, now);
    const record = await deps.statuses.accepted(dealer.id, {
      registrationNumber: plate,
      state: held ? 'held' : 'pending',
      changeId,
      acceptedAt,
      ...(held ? {} : { removedAt: acceptedAt }),
    });
    if (!held) await enqueue({ op: 'delete', dealerId: dealer.id, registrationNumber: plate, changeId, acceptedAt });
    return { outcome: held ? 'held' : 'accepted', status: statusDocument(plate, entry, record)! };
  }

  /** True when this removal would pass the dealer's limit for the hour (and no approval is pending). */
  async function holdRemoval(dealer: ResolvedDealer, plate: string, now: Date): Promise<boolean> {
    const recent = await deps.statuses.removalsSince(dealer.id, new Date(now.getTime() - REMOVAL_WINDOW_MS));
    const snapshot = await deps.snapshots.load(dealer.id);
    const liveAds = [...snapshot.values()].filter((entry) => entry.status === 'Published').length;
    const blocked = safetyValve(recent + 1, liveAds, dealer.feed);
    if (!blocked) return false;
    if (await deps.snapshots.consumeMassRemovalApproval(dealer.id)) {
      deps.log.info('Vehicle API removal over the hourly limit let through by an approval', {
        dealerId: dealer.id,
        registrationNumber: plate,
      });
      return false;
    }
    deps.log.warn('Vehicle API removal held by the safety valve', {
      dealerId: dealer.id,
      registrationNumber: plate,
      wouldRemove: blocked.wouldRemove,
      limit: blocked.limit,
    });
    await writeHeldReport(dealer, plate, blocked, now);
    return true;
  }

  async function writeHeldReport(
    dealer: ResolvedDealer,
    plate: string,
    blocked: NonNullable<ReturnType<typeof safetyValve>>,
    now: Date,
  ): Promise<void> {
    if (!deps.reports) return;
    const report: ImportReport = {
      dealer: dealer.id,
      feed: { format: 'json', encoding: 'utf-8', vehicles: 0, rejected: 0 },
      ...NOTHING_DONE,
      rejected: [],
      blocked: { ...blocked, reason: `${blocked.reason} (Vehicle API DELETE of ${plate} within the last hour)` },
      runId: `api-${now.toISOString().replace(/[-:.]/g, '')}`,
      at: now.toISOString(),
      trigger: 'api',
      source: 'Vehicle API',
      movedTo: null,
      retry: false,
    };
    try {
      await deps.reports.write(dealer.id, { at: now, json: report, text: reportText(report) });
    } catch (error) {
      // The hold itself is recorded and answered; a missing report must not turn it into a 5xx.
      deps.log.error('Writing the held-removal report failed', {
        dealerId: dealer.id,
        error: (error as Error).message,
      });
    }
  }

  return { put, remove };
}
