import type { SnapshotEntry } from '../../ports.js';
import type { Vehicle, VehicleField } from '../vehicle.js';
import { changedFields, fingerprint, vehicleHash, type VehicleFingerprint } from './fingerprint.js';

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
  /** The ordered image list changed. */
  readonly images: boolean;
}

export interface RemoveStep {
  readonly action: 'remove';
  readonly registrationNumber: string;
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

/** Compares the feed with the snapshot. Vehicles must have distinct plates (the feed reader ensures it). */
export function planImport(input: PlanInput): ImportPlan {
  const create: CreateStep[] = [];
  const update: UpdateStep[] = [];
  const republish: UpdateStep[] = [];
  const remove: RemoveStep[] = [];
  let unchanged = 0;
  const inFeed = new Set<string>();

  for (const vehicle of input.vehicles) {
    const plate = vehicle.registrationNumber;
    inFeed.add(plate);
    const entry = input.snapshot.get(plate);
    // The fast path: an unchanged vehicle costs one hash, nothing more.
    if (entry && entry.status === 'Published' && entry.hash === vehicleHash(vehicle, 'Published')) {
      unchanged += 1;
      continue;
    }
    const print = fingerprint(vehicle, 'Published');
    if (!entry) {
      create.push({ action: 'create', registrationNumber: plate, vehicle, fingerprint: print });
      continue;
    }
    const step: UpdateStep = {
      action: entry.status === 'Published' ? 'update' : 'republish',
      registrationNumber: plate,
      vehicle,
      fingerprint: print,
      entry,
      fields: entry.groups.data === print.groups.data ? [] : changedFields(entry.fields, print.fields),
      images: entry.groups.images !== print.groups.images,
    };
    if (step.action === 'republish') republish.push(step);
    else if (step.fields.length > 0 || step.images) update.push(step);
    else unchanged += 1; // only the whole hash's encoding differed: nothing to send
  }

  let liveAds = 0;
  for (const entry of input.snapshot.values()) {
    if (entry.status !== 'Published') continue;
    liveAds += 1;
    if (!inFeed.has(entry.registrationNumber) && !input.keep?.has(entry.registrationNumber)) {
      remove.push({ action: 'remove', registrationNumber: entry.registrationNumber, entry });
    }
  }
  const byPlate = (a: { registrationNumber: string }, b: { registrationNumber: string }) =>
    a.registrationNumber < b.registrationNumber ? -1 : a.registrationNumber > b.registrationNumber ? 1 : 0;
  remove.sort(byPlate);

  const blocked = input.allowMassRemoval ? null : safetyValve(remove.length, liveAds, input.policy);
  return {
    create,
    update,
    republish,
    remove,
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
