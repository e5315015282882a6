import type { SnapshotEntry } from '../../ports.js';
import type { Vehicle, VehicleField } from '../vehicle.js';
import { changedFields, fingerprint, vehicleHash, type VehicleFingerprint } from './fingerprint.js';
import { mediaLayoutOutdated } from './media.js';

/**
 * The plan: what one run must change in Wayke so it holds exactly the feed, derived from the feed
 * and the snapshot alone (pure; no I/O). Apply executes it; the safety valve may hold back removals.
 */

export interface CreateStep {
  readonly action: 'create';
  readonly registrationNumber: string;
  readonly vehicle: Vehicle;
  readonly fingerprint: VehicleFingerprint;
}

export interface UpdateStep {
  readonly action: 'update' | 'republish';
  readonly registrationNumber: string;
  readonly vehicle: Vehicle;
  readonly fingerprint: VehicleFingerprint;
  readonly entry: SnapshotEntry;
  /** Data fields whose value changed (including ones the feed no longer has: cleared in Wayke). */
  readonly fields: readonly VehicleField[];
  /** The media changed: the ordered images, the 360 set or the videos. */
  readonly media: boolean;
  /**
   * Set by the check under `wayke-wins`: fields whose hand-edited Wayke value stays, each with the
   * feed's hash it was kept against and the hash of Wayke's value (the entry's new baseline).
   */
  readonly kept?: Readonly<Record<string, { readonly feed: string; readonly wayke: string }>>;
}

export interface RemoveStep {
  readonly action: 'remove';
  readonly registrationNumber: string;
  readonly entry: SnapshotEntry;
}

/**
 * A vehicle the feed did not change whose entry is marked for a check (Wayke reported a change the
 * import did not make): the ad is read, and only a hand edit the policy undoes is sent.
 */
export interface CheckStep {
  readonly action: 'check';
  readonly registrationNumber: string;
  readonly vehicle: Vehicle;
  readonly fingerprint: VehicleFingerprint;
  readonly entry: SnapshotEntry;
}

export type PlanStep = CreateStep | UpdateStep | RemoveStep;

/** Why removals were held back, with the numbers the dealer needs. */
export interface Blocked {
  readonly reason: string;
  readonly wouldRemove: number;
  readonly limit: number;
}

export interface ImportPlan {
  readonly create: readonly CreateStep[];
  readonly update: readonly UpdateStep[];
  readonly republish: readonly UpdateStep[];
  /** Removals planned; when `blocked` is set none of them are applied. */
  readonly remove: readonly RemoveStep[];
  /** Unchanged vehicles Wayke reported changed: read before the run decides (counted in `unchanged`). */
  readonly check: readonly CheckStep[];
  /** Plates Wayke's online sale sold: left alone whatever the feed says (counted in `unchanged`). */
  readonly soldInWayke: readonly string[];
  readonly unchanged: number;
  /** Ads live (Published) in the snapshot before the run: the base of the removal limit. */
  readonly liveAds: number;
  readonly removalLimit: number;
  readonly blocked: Blocked | null;
}

export interface RemovalPolicy {
  /** Removals always allowed per run, whatever the share. Default 3. */
  readonly minRemovalLimit?: number;
  /** Share of live ads one run may remove. Default 0.25. */
  readonly maxRemovalShare?: number;
}

export const DEFAULT_MIN_REMOVAL_LIMIT = 3;
export const DEFAULT_MAX_REMOVAL_SHARE = 0.25;

/** `max(minRemovalLimit, ⌊maxRemovalShare × liveAds⌋)`: rounded down, the dealer's listings come first. */
export function removalLimit(liveAds: number, policy: RemovalPolicy = {}): number {
  const min = policy.minRemovalLimit ?? DEFAULT_MIN_REMOVAL_LIMIT;
  const share = policy.maxRemovalShare ?? DEFAULT_MAX_REMOVAL_SHARE;
  return Math.max(min, Math.floor(share * liveAds + 1e-9));
}

/** The safety valve: `null` when the removals may go, else why not. */
export function safetyValve(wouldRemove: number, liveAds: number, policy: RemovalPolicy = {}): Blocked | null {
  const limit = removalLimit(liveAds, policy);
  if (wouldRemove <= limit) return null;
  return {
    reason: `The feed would remove ${wouldRemove} of ${liveAds} live ads, more than the limit of ${limit}; removals wait for an explicit approval`,
    wouldRemove,
    limit,
  };
}

export interface PlanInput {
  readonly vehicles: readonly Vehicle[];
  readonly snapshot: ReadonlyMap<string, SnapshotEntry>;
  /**
   * Plates present in the feed on rows that were rejected: they are not valid enough to update,
   * but the dealer still lists them, so they are never removed.
   */
  readonly keep?: ReadonlySet<string>;
  readonly policy?: RemovalPolicy;
  /** Skip the safety valve for this run (the CLI's `--allow-mass-removal`, a one-shot approval). */
  readonly allowMassRemoval?: boolean;
}

/** An entry Wayke's online sale sold: no step may touch its ad again. */
const soldInWayke = (entry: SnapshotEntry | undefined): boolean => entry?.held === 'sold';

/** An unchanged vehicle marked for a check. */
function checkFor(vehicle: Vehicle, entry: SnapshotEntry): CheckStep {
  const plate = vehicle.registrationNumber;
  return { action: 'check', registrationNumber: plate, vehicle, fingerprint: fingerprint(vehicle), entry };
}

/** What one feed vehicle needs: nothing, a check, a create, an update or a republish. */
function stepFor(vehicle: Vehicle, entry: SnapshotEntry | undefined): CreateStep | UpdateStep | CheckStep | null {
  // The fast path: an unchanged vehicle costs one hash, nothing more.
  if (
    entry &&
    entry.status === 'Published' &&
    entry.hash === vehicleHash(vehicle, 'Published') &&
    !mediaLayoutOutdated(entry.media)
  )
    return entry.check ? checkFor(vehicle, entry) : null;
  const plate = vehicle.registrationNumber;
  const print = fingerprint(vehicle, 'Published');
  if (!entry) return { action: 'create', registrationNumber: plate, vehicle, fingerprint: print };
  const step: UpdateStep = {
    action: entry.status === 'Published' ? 'update' : 'republish',
    registrationNumber: plate,
    vehicle,
    fingerprint: print,
    entry,
    fields: entry.groups.data === print.groups.data ? [] : changedFields(entry.fields, print.fields),
    media: entry.groups.images !== print.groups.images || mediaLayoutOutdated(entry.media),
  };
  // Only the whole hash's encoding differed: nothing to send.
  if (step.action === 'update' && step.fields.length === 0 && !step.media)
    return entry.check ? checkFor(vehicle, entry) : null;
  return step;
}

const byPlate = (a: { registrationNumber: string }, b: { registrationNumber: string }) =>
  a.registrationNumber < b.registrationNumber ? -1 : a.registrationNumber > b.registrationNumber ? 1 : 0;

/** The live ads the feed no longer lists (in plate order), and how many ads are live. */
function removalsOf(input: PlanInput, inFeed: ReadonlySet<string>): { remove: RemoveStep[]; liveAds: number } {
  const remove: RemoveStep[] = [];
  let liveAds = 0;
  for (const entry of input.snapshot.values()) {
    if (entry.status !== 'Published' || soldInWayke(entry)) continue;
    liveAds += 1;
    const plate = entry.registrationNumber;
    if (!inFeed.has(plate) && !input.keep?.has(plate))
      remove.push({ action: 'remove', registrationNumber: plate, entry });
  }
  return { remove: remove.sort(byPlate), liveAds };
}

/** Compares the feed with the snapshot. Vehicles must have distinct plates (the feed reader ensures it). */
export function planImport(input: PlanInput): ImportPlan {
  const create: CreateStep[] = [];
  const update: UpdateStep[] = [];
  const republish: UpdateStep[] = [];
  const check: CheckStep[] = [];
  const sold: string[] = [];
  let unchanged = 0;
  const inFeed = new Set<string>();
  for (const vehicle of input.vehicles) {
    inFeed.add(vehicle.registrationNumber);
    const entry = input.snapshot.get(vehicle.registrationNumber);
    const step = soldInWayke(entry) ? null : stepFor(vehicle, entry);
    if (soldInWayke(entry)) sold.push(vehicle.registrationNumber);
    if (!step || step.action === 'check') unchanged += 1;
    if (!step) continue;
    if (step.action === 'check') check.push(step);
    else if (step.action === 'create') create.push(step);
    else if (step.action === 'republish') republish.push(step);
    else update.push(step);
  }
  const { remove, liveAds } = removalsOf(input, inFeed);
  const blocked = input.allowMassRemoval ? null : safetyValve(remove.length, liveAds, input.policy);
  return {
    create,
    update,
    republish,
    remove,
    check,
    soldInWayke: sold,
    unchanged,
    liveAds,
    removalLimit: removalLimit(liveAds, input.policy),
    blocked,
  };
}

/** Number of write steps the plan would apply (removals only when not blocked). */
export function plannedWrites(plan: ImportPlan): number {
  return plan.create.length + plan.update.length + plan.republish.length + (plan.blocked ? 0 : plan.remove.length);
}
